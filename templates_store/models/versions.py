import hashlib
import json

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ccm.vocabulary import Channel
from templates_store.models.communications import Communication


class TemplateVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        APPROVED = "approved", _("Approved")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    communication = models.ForeignKey(
        Communication, on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Sample data shown in previews and used for test sends.
    sample_data = models.JSONField(default=dict, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Scheduled publishing: an approved version becomes the published one from this time
    # (the selector honours it at once, a beat task records the step); see services.
    publish_at = models.DateTimeField(_("publish from"), null=True, blank=True)
    publish_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Shared content pinned at submission: {key: {"id", "number", "content_hash"}} of each
    # block the content uses, and the brand theme version ({} before submission, or when
    # the brand had no published theme: the brand's own colours then apply).
    block_pins = models.JSONField(default=dict, blank=True)
    theme_pin = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["communication", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["communication", "number"], name="version_number_unique"
            ),
            models.UniqueConstraint(
                fields=["communication"],
                condition=Q(status="published"),
                name="one_published_version_per_communication",
            ),
        ]
        permissions = [
            ("submit_templateversion", "Can submit a version for review"),
            ("review_templateversion", "Can approve or reject a version"),
            ("publish_templateversion", "Can publish an approved version"),
        ]

    def __str__(self) -> str:
        return f"{self.communication.key} v{self.number}"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    def compute_content_hash(self) -> str:
        """sha256 over every variant's content, in a stable order, and the shared content
        pinned at submission (a version without pins hashes as it always did)."""
        payload: list[object] = [
            [v.channel, v.locale, v.subject, v.body_html, v.body_text]
            for v in sorted(self.variants.all(), key=lambda v: (v.channel, v.locale))
        ]
        if self.block_pins or self.theme_pin:
            pins = {"blocks": self.block_pins, "theme": self.theme_pin}
            payload.append(json.loads(json.dumps(pins, sort_keys=True)))
        encoded = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        return hashlib.sha256(encoded).hexdigest()


class TemplateVariant(models.Model):
    """The content of one channel in one locale. SMS uses body_text; print uses body_html."""

    version = models.ForeignKey(TemplateVersion, on_delete=models.CASCADE, related_name="variants")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    locale = models.CharField(max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(max_length=500, blank=True)
    body_html = models.TextField(blank=True)
    body_text = models.TextField(blank=True)

    class Meta:
        ordering = ["channel", "locale"]
        constraints = [
            models.UniqueConstraint(fields=["version", "channel", "locale"], name="variant_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.version} {self.channel}/{self.locale}"


class ReviewEvent(models.Model):
    """The audit trail of a version: who did what, when, with which content hash."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        SUBMITTED = "submitted", _("Submitted for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")
        SCHEDULED = "scheduled", _("Scheduled for publishing")
        UNSCHEDULED = "unscheduled", _("Publishing schedule cancelled")
        ROLLED_BACK = "rolled_back", _("Published again (roll back)")
        IMPORTED = "imported", _("Imported from files")

    version = models.ForeignKey(TemplateVersion, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices)
    comment = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} of {self.version_id} by {self.actor_id}"
