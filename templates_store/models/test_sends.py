"""Test sends: the allowlist, verified phones and the log of every attempt.

A test send goes only to the sender's own address (the account's email, which only an
administrator sets), a phone number the sender verified with a one-time code, or an
entry of the administrators' allowlist. Every attempt, sent or refused, is logged.
See docs/studio.md#test-sends and channels/services/test_sends.py.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, validate_email
from django.db import models
from django.utils.translation import gettext_lazy as _

from ccm.vocabulary import Channel
from templates_store.models.versions import TemplateVersion

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
