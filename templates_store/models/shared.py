"""Shared content: what block versions and theme versions have in common.

Blocks (header, footer, legal text, signature...) and the brand theme are versioned and
reviewed like communications. A communication version records, when it is submitted, the
exact block and theme versions it uses (``TemplateVersion.block_pins`` / ``theme_pin``),
so sending and the archive always render with those. See docs/studio.md.
"""

import hashlib
import json

from django.conf import settings
from django.db import models

from templates_store.models.versions import TemplateVersion


class SharedVersion(models.Model):
    """What block versions and theme versions share: number, review status and trail."""

    Status = TemplateVersion.Status

    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    content_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    def content_payload(self) -> object:
        raise NotImplementedError(f"{type(self).__name__} must implement content_payload()")

    def compute_content_hash(self) -> str:
        """sha256 over the content, in a stable form."""
        encoded = json.dumps(
            self.content_payload(), ensure_ascii=False, separators=(",", ":"), sort_keys=True
        ).encode()
        return hashlib.sha256(encoded).hexdigest()
