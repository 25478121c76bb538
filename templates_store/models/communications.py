from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from templates_store.models.brands import Brand

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
