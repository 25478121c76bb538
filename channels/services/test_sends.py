"""A designer sends the current content of a version to themself, through the real backends."""

from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import get_connection

from channels.backends import sms_backends
from channels.backends.email import email_build
from channels.backends.sms.base import SmsMessage
from channels.rendering import Recipient, render, render_pdf
from compliance.models import ArchiveEntry
from compliance.services import archive_record_create
from templates_store.models import TemplateVersion


def version_test_send(
    *,
    version: TemplateVersion,
    channel: str,
    locale: str,
    to: str,
    to_name: str = "",
    data: dict[str, Any] | None = None,
) -> tuple[ArchiveEntry, bytes]:
    """Render ``version`` with its sample data (or ``data``) and send it to ``to``.

    Email and SMS go through the configured backends; a letter is returned as its PDF.
    Every test send is archived and marked as a test. Returns the entry and the artifact.
    Raises RenderError, DeliveryError.
    """
    data = version.sample_data if data is None else data
    message_id = make_msgid(idstring="test", domain=settings.CCM_MESSAGE_ID_DOMAIN)
    recipient = Recipient(name=to_name, address_lines=tuple(to.splitlines()))
    rendered = render(version, channel, locale, data, recipient=recipient)
    brand = version.communication.brand
    if channel == "email":
        email = email_build(
            rendered=rendered,
            to=to,
            to_name=to_name,
            from_email=brand.email_sender,
            message_id=message_id,
            extra_headers={"X-CCM-Test": "true"},
        )
        content, content_type = email.as_bytes(), "message/rfc822"
        with get_connection() as connection:
            connection.send_messages([email])
    elif channel == "sms":
        content, content_type = rendered.text.encode("utf-8"), "text/plain"
        backend = sms_backends["default"]
        backend.send(
            [SmsMessage(to=to, sender=brand.sms_sender, text=rendered.text, reference=message_id)]
        )
    else:
        content, content_type = render_pdf(rendered), "application/pdf"
    entry = archive_record_create(
        content=content,
        content_type=content_type,
        message=None,
        version=version,
        channel=channel,
        locale=locale,
        recipient=to,
        recipient_name=to_name,
        subject=rendered.subject if channel == "email" else rendered.text[:500],
        data=dict(data),
        message_reference=message_id,
        is_test=True,
    )
    return entry, content
