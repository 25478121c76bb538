import hashlib
import json
from email.utils import formataddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, validate_email
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ccm.vocabulary import Channel

hex_color = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour as #RRGGBB."))
font_stack = RegexValidator(r"^[\w\s,'\"-]+$", _("Font names separated by commas."))
# What carriers accept as the sender of an SMS: up to 11 letters, digits and spaces (an
# alphanumeric sender id, with at least one letter), a short code, or an E.164 number.
sms_sender_validator = RegexValidator(
    r"^(?=.*[A-Za-z])[A-Za-z0-9 .&_-]{1,11}$|^[0-9]{3,8}$|^\+[1-9][0-9]{6,14}$",
    _(
        "An SMS sender is up to 11 letters and digits, a short code (3 to 8 digits) or a "
        "number in E.164 form (+ and country code)."
    ),
)


class LetterEnvelope(models.TextChoices):
    """Window envelopes a letter is laid out for (the page size follows)."""

    DIN_DL = "din_dl", _("DL window envelope, A4 (DIN 5008 form B)")
    DIN_C5 = "din_c5", _("C5 window envelope, A4 (DIN 5008 form B)")
    US_10 = "us_10", _("US #10 window envelope, US Letter")
    JP_NAGA3 = "jp_naga3", _("Japanese Naga 3 (長形3号) window envelope, A4")


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
    email_reply_to = models.EmailField(
        _("reply-to address"),
        blank=True,
        help_text=_("Where replies to this brand's emails go; empty: the sender address."),
    )

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
    # What a designer sets on a communication after creating it (its key never changes:
    # back-office systems send by key), in the order forms and the API show them.
    DESIGNER_FIELDS = (
        "name",
        "description",
        "purpose",
        "category",
        "owner_team",
        "brand",
        "data_schema",
        "sms_max_segments",
        "letter_max_pages",
        "sms_sender",
        "letter_envelope",
        "email_reply_to",
        "email_attach_letter",
        "email_tracking",
    )

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
    sms_sender = models.CharField(
        _("SMS sender"),
        max_length=16,
        blank=True,
        validators=[sms_sender_validator],
        help_text=_("Sender id of this communication's SMS; empty: the brand's."),
    )
    letter_envelope = models.CharField(
        _("letter envelope"),
        max_length=20,
        choices=LetterEnvelope.choices,
        default=LetterEnvelope.DIN_DL,
        help_text=_("The window envelope, which sets the paper size and the address position."),
    )
    email_reply_to = models.EmailField(
        _("reply-to address"),
        blank=True,
        help_text=_("Where replies to this communication's emails go; empty: the brand's."),
    )
    email_attach_letter = models.BooleanField(
        _("attach the letter to the email"),
        default=False,
        help_text=_("The email carries the PDF of the same message's letter."),
    )
    email_tracking = models.BooleanField(
        _("track opens and clicks"),
        default=False,
        help_text=_(
            "Links go through signed redirects and a pixel records opens. "
            "Never for regulatory mail."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.email_tracking and self.category == self.Category.REGULATORY:
            raise ValidationError(
                {"email_tracking": _("Regulatory mail is never tracked (opens or clicks).")}
            )

    @property
    def tracks_email(self) -> bool:
        """Whether its emails are tracked: asked for, and never for regulatory mail."""
        return self.email_tracking and self.category != self.Category.REGULATORY

    @property
    def email_reply_to_address(self) -> str:
        """The Reply-To of its emails: its own, else the brand's ("" for none)."""
        return self.email_reply_to or self.brand.email_reply_to

    @property
    def sms_sender_id(self) -> str:
        """The sender of this communication's SMS: its own, else the brand's."""
        return self.sms_sender or self.brand.sms_sender


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


# SHARED CONTENT -----------------------------------------------------------------------
#
# Blocks (header, footer, legal text, signature...) and the brand theme are versioned and
# reviewed like communications. A communication version records, when it is submitted, the
# exact block and theme versions it uses (``TemplateVersion.block_pins`` / ``theme_pin``),
# so sending and the archive always render with those. See docs/studio.md.

block_key = RegexValidator(
    r"^[a-z][a-z0-9_]*$",
    _("Lower-case letters, digits and underscores, starting with a letter (e.g. legal_notice)."),
)


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


class Block(models.Model):
    """A piece of content shared by communications of one brand, inserted with
    ``{{ block("key") }}``."""

    class Kind(models.TextChoices):
        HEADER = "header", _("Header")
        FOOTER = "footer", _("Footer")
        LEGAL = "legal", _("Legal text")
        SIGNATURE = "signature", _("Signature")
        OTHER = "other", _("Other")

    brand = models.ForeignKey(
        Brand, on_delete=models.PROTECT, related_name="blocks", verbose_name=_("brand")
    )
    key = models.CharField(_("key"), max_length=60, validators=[block_key])
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["brand", "key"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "key"], name="block_key_unique_per_brand"),
        ]

    def __str__(self) -> str:
        return self.key


class BlockVersion(SharedVersion):
    block = models.ForeignKey(Block, on_delete=models.PROTECT, related_name="versions")

    class Meta:
        ordering = ["block", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["block", "number"], name="block_version_number_unique"),
            models.UniqueConstraint(
                fields=["block"],
                condition=Q(status="published"),
                name="one_published_version_per_block",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.block.key} v{self.number}"

    def content_payload(self) -> object:
        return [
            [c.channel, c.locale, c.body]
            for c in sorted(self.contents.all(), key=lambda c: (c.channel, c.locale))
        ]


class BlockContent(models.Model):
    """A block's text in one channel and locale: HTML for email and print, text for SMS."""

    version = models.ForeignKey(BlockVersion, on_delete=models.CASCADE, related_name="contents")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    locale = models.CharField(max_length=10, choices=settings.LANGUAGES)
    body = models.TextField(blank=True)

    class Meta:
        ordering = ["channel", "locale"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "channel", "locale"], name="block_content_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} {self.channel}/{self.locale}"


https_url = RegexValidator(r"^https://\S+$", _("An https:// address."))


class ThemeVersion(SharedVersion):
    """A brand's colours, fonts and logo, used by the email and letter layouts and by
    templates as ``theme.*``. Email shows the logo from ``logo_url`` (mail clients load
    images over https); letters embed ``logo_data`` (the PDF renderer fetches nothing)."""

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="theme_versions")
    primary_color = models.CharField(
        _("primary colour"), max_length=7, default="#1f4e79", validators=[hex_color]
    )
    accent_color = models.CharField(
        _("accent colour"), max_length=7, default="#e07a1f", validators=[hex_color]
    )
    text_color = models.CharField(
        _("text colour"), max_length=7, default="#222222", validators=[hex_color]
    )
    background_color = models.CharField(
        _("background colour"), max_length=7, default="#f3f4f6", validators=[hex_color]
    )
    font_family = models.CharField(
        _("body font"),
        max_length=200,
        default="'Noto Sans', 'Noto Sans CJK JP', sans-serif",
        validators=[font_stack],
    )
    heading_font_family = models.CharField(
        _("heading font"), max_length=200, blank=True, validators=[font_stack]
    )
    logo_url = models.CharField(
        _("logo address (email)"), max_length=500, blank=True, validators=[https_url]
    )
    logo_data = models.TextField(
        _("logo image (letters)"),
        blank=True,
        help_text=_("A PNG or JPEG as a data: URL, embedded in letters."),
    )
    logo_alt = models.CharField(_("logo text alternative"), max_length=200, blank=True)

    CONTENT_FIELDS = (
        "primary_color",
        "accent_color",
        "text_color",
        "background_color",
        "font_family",
        "heading_font_family",
        "logo_url",
        "logo_data",
        "logo_alt",
    )

    class Meta:
        ordering = ["brand", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "number"], name="theme_version_number_unique"),
            models.UniqueConstraint(
                fields=["brand"],
                condition=Q(status="published"),
                name="one_published_theme_per_brand",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand.name} theme v{self.number}"

    def content_payload(self) -> object:
        return {name: getattr(self, name) for name in self.CONTENT_FIELDS}


class SharedContentEvent(models.Model):
    """The audit trail of block and theme versions: who did what, when, on which content."""

    Action = ReviewEvent.Action

    block_version = models.ForeignKey(
        BlockVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    theme_version = models.ForeignKey(
        ThemeVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=ReviewEvent.Action.choices)
    comment = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(block_version__isnull=False, theme_version__isnull=True)
                | Q(block_version__isnull=True, theme_version__isnull=False),
                name="shared_event_has_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_id}"


# TEST SENDS ---------------------------------------------------------------------------
#
# A test send goes only to the sender's own address (the account's email, which only an
# administrator sets), a phone number the sender verified with a one-time code, or an
# entry of the administrators' allowlist. Every attempt, sent or refused, is logged.
# See docs/studio.md#test-sends and channels/services/test_sends.py.

e164_validator = RegexValidator(
    r"^\+[1-9][0-9]{6,14}$", _("A mobile number in E.164 form: + and country code.")
)


class TestRecipient(models.Model):
    """An address or number that designers may send tests to, besides their own: an
    allowlist kept by administrators. ``team`` limits the entry to communications whose
    owner team is that team; empty: every communication."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("Email address")
        SMS = "sms", _("Mobile number")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    address = models.CharField(
        _("address or number"),
        max_length=254,
        help_text=_("An email address, or a mobile number in E.164 form (+447700900123)."),
    )
    team = models.CharField(
        _("owner team"),
        max_length=100,
        blank=True,
        help_text=_("Only for communications of this owner team; empty: for every communication."),
    )
    label = models.CharField(_("label"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("test recipient")
        ordering = ["kind", "address"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "address", "team"], name="test_recipient_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.address} ({self.label})" if self.label else self.address

    def clean(self) -> None:
        self.address = self.address.strip()
        self.team = self.team.strip()
        try:
            if self.kind == self.Kind.EMAIL:
                self.address = self.address.lower()
                validate_email(self.address)
            elif self.kind == self.Kind.SMS:
                e164_validator(self.address)
        except ValidationError as exc:
            raise ValidationError({"address": exc.messages}) from exc


class VerifiedPhone(models.Model):
    """A mobile number of a user, verified by the one-time code sent to it before it may
    receive test SMS. Until ``verified_at`` is set it holds the pending code: its keyed
    hash, when it was sent and how many wrong codes were typed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="test_phones"
    )
    number = models.CharField(_("mobile number"), max_length=16, validators=[e164_validator])
    verified_at = models.DateTimeField(null=True, blank=True)
    code_hash = models.CharField(max_length=64, blank=True)
    code_sent_at = models.DateTimeField(null=True, blank=True)
    code_attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("verified phone")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["user", "number"], name="verified_phone_unique"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class TestSendLog(models.Model):
    """One attempt to send a test or a phone verification code: who, which version,
    channel, recipient, when, and what happened (sent, failed, refused with the reason).
    Written by the services only; the admin list is read-only."""

    class Purpose(models.TextChoices):
        TEST = "test", _("Test send")
        PHONE_CODE = "phone_code", _("Phone verification code")

    class Result(models.TextChoices):
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        REFUSED = "refused", _("Refused")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=20, choices=Purpose.choices, default=Purpose.TEST)
    version = models.ForeignKey(
        TemplateVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    locale = models.CharField(max_length=10, blank=True)
    recipient = models.CharField(max_length=254, blank=True)
    result = models.CharField(max_length=10, choices=Result.choices)
    reason = models.TextField(blank=True)
    message_reference = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("test send")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "purpose", "created_at"], name="test_send_user_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.channel} to {self.recipient} by {self.user_id}: {self.result}"
