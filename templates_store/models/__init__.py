"""The studio's models, one module per subject; Django loads them from here."""

from templates_store.models.blocks import Block, BlockContent, BlockVersion
from templates_store.models.brands import Brand
from templates_store.models.communications import Communication
from templates_store.models.shared import SharedVersion
from templates_store.models.shared_events import SharedContentEvent
from templates_store.models.test_sends import TestRecipient, TestSendLog, VerifiedPhone
from templates_store.models.themes import ThemeVersion
from templates_store.models.versions import ReviewEvent, TemplateVariant, TemplateVersion

__all__ = [
    "Block",
    "BlockContent",
    "BlockVersion",
    "Brand",
    "Communication",
    "ReviewEvent",
    "SharedContentEvent",
    "SharedVersion",
    "TemplateVariant",
    "TemplateVersion",
    "TestRecipient",
    "TestSendLog",
    "ThemeVersion",
    "VerifiedPhone",
]
