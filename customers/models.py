from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def default_channel_preference() -> list[str]:
    return ["email", "sms", "print"]


class Customer(models.Model):
    """A recipient known to a back-office system by its external id."""

    external_id = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    locale = models.CharField(max_length=10, choices=settings.LANGUAGES, default="en")
    timezone = models.CharField(max_length=64, default="UTC")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text=_("E.164, e.g. +447700900123"))
    postal_address = models.TextField(blank=True, help_text=_("One line per address line."))
    # Channels in the order the customer prefers them.
    channel_preference = models.JSONField(default=default_channel_preference)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["external_id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.external_id})"


class Consent(models.Model):
    """Whether a customer agreed to communications of one category (marketing needs it)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    category = models.CharField(max_length=20)
    granted = models.BooleanField()
    source = models.CharField(max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "category"], name="consent_per_category")
        ]

    def __str__(self) -> str:
        return f"{self.category}: {'granted' if self.granted else 'withdrawn'}"


class Suppression(models.Model):
    """An address that must not be contacted on a channel again."""

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", _("Hard bounce")
        COMPLAINT = "complaint", _("Complaint")
        UNSUBSCRIBE = "unsubscribe", _("Unsubscribed")
        INVALID = "invalid", _("Invalid address")
        MANUAL = "manual", _("Manual")

    channel = models.CharField(max_length=10)
    # Lower-cased email address or E.164 phone number.
    address = models.CharField(max_length=320)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "address"], name="suppression_unique")
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.address} ({self.reason})"
