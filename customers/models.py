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
