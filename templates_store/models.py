import hashlib
import json
from email.utils import formataddr

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    PRINT = "print", _("Print letter")


hex_color = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour as #RRGGBB."))
font_stack = RegexValidator(r"^[\w\s,'\"-]+$", _("Font names separated by commas."))


class Brand(models.Model):
    """Colours, fonts and sender details applied around every channel's content."""

    name = models.CharField(max_length=100, unique=True)
    primary_color = models.CharField(max_length=7, default="#1f4e79", validators=[hex_color])
    text_color = models.CharField(max_length=7, default="#222222", validators=[hex_color])
    font_family = models.CharField(
        max_length=200,
        default="'Noto Sans', 'Noto Sans CJK JP', sans-serif",
        validators=[font_stack],
    )
    email_from = models.EmailField()
    email_from_name = models.CharField(
        max_length=100, blank=True, help_text=_("Sender name shown in inboxes.")
    )
    sms_sender = models.CharField(
        max_length=11, help_text=_("Alphanumeric sender id, 11 characters at most.")
    )
    return_address = models.TextField(
        help_text=_("Sender line printed above the letter's address window.")
    )
    footer_text = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.name

    @property
    def email_sender(self) -> str:
        """The From header: "Name <address>", encoded by the mail layer when not ASCII."""
        return (
            formataddr((self.email_from_name, self.email_from))
            if self.email_from_name
            else self.email_from
        )


class Communication(models.Model):
    class Category(models.TextChoices):
        TRANSACTIONAL = "transactional", _("Transactional")
        REGULATORY = "regulatory", _("Regulatory")
        MARKETING = "marketing", _("Marketing")

    class Purpose(models.TextChoices):
        NOTIFY = "notify", _("Notify")
        EXPLAIN = "explain", _("Explain")
        ADVISE = "advise", _("Advise")
        ADVERTISE = "advertise", _("Advertise")
        EDUCATE = "educate", _("Educate")
        REQUEST_PAYMENT = "request_payment", _("Request payment")
        REGULATORY_NOTICE = "regulatory_notice", _("Regulatory notice")

    key = models.SlugField(_("key"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    purpose = models.CharField(
        _("purpose"), max_length=30, choices=Purpose.choices, default=Purpose.NOTIFY
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    owner_team = models.CharField(_("owner team"), max_length=100, blank=True)
    brand = models.ForeignKey(
        Brand, on_delete=models.PROTECT, related_name="communications", verbose_name=_("brand")
    )
    # JSON Schema of the data every recipient row must carry.
    data_schema = models.JSONField(default=dict, blank=True)
    sms_max_segments = models.PositiveSmallIntegerField(
        _("SMS segment limit"),
        default=3,
        help_text=_("An SMS longer than this many segments is refused at submission."),
    )
    letter_max_pages = models.PositiveSmallIntegerField(
        _("letter page limit"),
        default=4,
        help_text=_("A letter longer than this many pages is refused at submission."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


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
        """sha256 over every variant's content, in a stable order."""
        payload = [
            [v.channel, v.locale, v.subject, v.body_html, v.body_text]
            for v in sorted(self.variants.all(), key=lambda v: (v.channel, v.locale))
        ]
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
