"""System checks of the sending settings (``manage.py check --deploy``), registered when
ChannelsConfig.ready() imports this module."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from channels.webhooks.anymail import webhook_secrets


@register(Tags.security, deploy=True)
def webhook_secret_check(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """An ESP mail backend (django-anymail) needs ``ANYMAIL_WEBHOOK_SECRET``: without it
    the ESP cannot report events (the /anymail/ routes answer 404), and a deployment that
    relies on bounces and complaints would silently lose them."""
    if not str(settings.EMAIL_BACKEND).startswith("anymail.") or webhook_secrets():
        return []
    return [
        Error(
            f"EMAIL_BACKEND is the ESP backend {settings.EMAIL_BACKEND!r} but "
            "ANYMAIL_WEBHOOK_SECRET is empty: its delivery events (/anymail/<esp>/tracking/) "
            "are refused, so bounces and complaints are not recorded.",
            hint="Set ANYMAIL_WEBHOOK_SECRET to a random 'user:password' and give the ESP "
            "the webhook URL https://user:password@<host>/anymail/<esp>/tracking/ "
            "(docs/operations.md).",
            id="ccm.E101",
        )
    ]
