"""The words every layer speaks: the channels a communication goes out on and the states of
one message. They live in the kernel so that rendering, the studio, the archive and the
pipeline name them the same way without importing one another."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    PRINT = "print", _("Print letter")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RENDERING = "rendering", _("Rendering")
    SENDING = "sending", _("Sending")
    AWAITING_PRINT = "awaiting_print", _("Awaiting print file")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    SUPPRESSED = "suppressed", _("Suppressed")
    CANCELLED = "cancelled", _("Cancelled")
