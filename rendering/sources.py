"""What rendering reads from the studio's objects, as protocols: a template version, its
variants and communication, and the brand.

The studio's models (``templates_store.models``) fit them as they are; rendering imports
none of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, TypeAlias

from django.db import models

# A brand is a model instance: templates read its plain fields (the sandbox lets them read
# nothing else), and a block's render is cached per brand on the values of those fields.
BrandSource: TypeAlias = models.Model


class VariantSource(Protocol):
    """A version's content for one channel and locale."""

    @property
    def channel(self) -> str: ...

    @property
    def locale(self) -> str: ...

    @property
    def subject(self) -> str: ...

    @property
    def body_html(self) -> str: ...

    @property
    def body_text(self) -> str: ...


class VariantsSource(Protocol):
    """A version's variants (a related manager: prefetch them for batches)."""

    def all(self) -> Iterable[VariantSource]: ...


class CommunicationSource(Protocol):
    """The communication a version belongs to: its brand and its letters' envelope."""

    @property
    def brand(self) -> BrandSource: ...

    @property
    def letter_envelope(self) -> str: ...


class VersionSource(Protocol):
    """A template version as ``render`` reads it. ``pk`` and ``communication_id`` are
    what template functions of other apps (``TEMPLATE_FUNCTIONS``) key on."""

    @property
    def pk(self) -> Any: ...

    @property
    def number(self) -> int: ...

    @property
    def communication_id(self) -> int: ...

    @property
    def communication(self) -> CommunicationSource: ...

    @property
    def variants(self) -> VariantsSource: ...
