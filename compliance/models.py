from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from templates_store.models import Channel


class ArchiveEntry(models.Model):
    """One communication as it left the platform. Written once, never updated.

    The artifact (RFC 822 email bytes, SMS text, PDF letter) lives in the ``archive``
    storage under its sha256; this row says what it was, to whom, and from which version.
    """

    message = models.ForeignKey(
        "channels.Message", on_delete=models.PROTECT, null=True, blank=True, related_name="archive_entries"
    )
    is_test = models.BooleanField(default=False)
    communication = models.ForeignKey("templates_store.Communication", on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey("templates_store.TemplateVersion", on_delete=models.PROTECT, related_name="+")
    content_hash = models.CharField(max_length=64)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    locale = models.CharField(max_length=10)
    recipient = models.TextField()
    recipient_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    # The data the message was rendered from, so it can be rendered again identically.
    data = models.JSONField(default=dict)
    artifact_name = models.CharField(max_length=300)
    artifact_sha256 = models.CharField(max_length=64)
    artifact_size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    backend = models.CharField(max_length=100, blank=True)
    # The email's Message-ID, or the reference given to the SMS provider.
    message_reference = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "archive entries"
        permissions = [("export_archiveentry", "Can export archive entries as evidence")]
        indexes = [
            models.Index(fields=["recipient"], name="archive_recipient"),
            models.Index(fields=["channel", "created_at"], name="archive_channel_created"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient_name or self.recipient} ({self.created_at:%Y-%m-%d})"


class Seal(models.Model):
    """A tamper-evident seal over the archive entries with ids in [first_entry_id, last_entry_id].

    ``leaves`` keeps each entry's leaf hash ([[entry_id, sha256], ...]) so that verification
    can name the entry that changed; ``merkle_root`` is the root over those leaves and
    ``seal_hash`` chains this seal to the previous one.
    """

    sequence = models.PositiveIntegerField(unique=True)
    first_entry_id = models.BigIntegerField()
    last_entry_id = models.BigIntegerField()
    entry_count = models.PositiveIntegerField()
    leaves = models.JSONField()
    merkle_root = models.CharField(max_length=64)
    previous_seal_hash = models.CharField(max_length=64)
    seal_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["sequence"]

    def __str__(self) -> str:
        return f"Seal {self.sequence} (entries {self.first_entry_id}–{self.last_entry_id})"


class AccessLog(models.Model):
    """Every look at the archive by a person: who, when, what, why."""

    class Action(models.TextChoices):
        SEARCH = "search", _("Search")
        VIEW = "view", _("View")
        DOWNLOAD = "download", _("Download artifact")

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices)
    entry = models.ForeignKey(ArchiveEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    query = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
