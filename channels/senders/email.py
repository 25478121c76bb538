"""How an email leaves: built from the rendered message (Message-ID, list headers,
tracked links, the letter attached), archived as its exact bytes, handed to Django's mail
backend (SMTP, or an ESP through django-anymail) on up to ``CCM_EMAIL_CONNECTIONS``
connections at once, and SMTP's errors mapped to ``DeliveryError``."""

import hashlib
import smtplib
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.core.mail import get_connection

from ccm.vocabulary import Channel
from channels.backends.email import FrozenEmail, email_build
from channels.email_links import html_track, unsubscribe_url
from channels.exceptions import DeliveryError, RecipientRejected
from channels.models import Message
from channels.rate_limits import limiter
from channels.senders.base import Outgoing, Sender
from compliance.models import ArchiveEntry
from compliance.services import artifact_read
from rendering.as_sent import render_as_sent
from rendering.pdf import render_pdf
from rendering.types import Rendered
from templates_store.models import Communication


class EmailSender(Sender):
    channel = Channel.EMAIL

    def build(self, message: Message, rendered: Rendered) -> Outgoing:
        """The email as it will leave. Raises RenderError when the letter to attach
        cannot be rendered."""
        communication = message.version.communication
        email = email_build(
            rendered=_tracked(message, rendered),
            to=message.recipient,
            to_name=message.recipient_name,
            from_email=communication.brand.email_sender,
            message_id=message.message_id,
            extra_headers=_list_headers(message),
            reply_to=communication.email_reply_to_address,
            attachments=_attachments(message),
        )
        # ESPs (through anymail) echo this back in their tracking events.
        email.metadata = {"ccm_message_id": str(message.pk)}  # type: ignore[attr-defined]
        return Outgoing(
            message=message,
            rendered=rendered,
            content=email.as_bytes(),
            content_type="message/rfc822",
            backend=settings.EMAIL_BACKEND,
            sent_backend=settings.EMAIL_BACKEND,
            summary=rendered.subject,
            item=email,
        )

    def archived(self, outgoing: Outgoing, entry: ArchiveEntry) -> None:
        # A newly built email differs from an earlier attempt's (Date, MIME boundaries):
        # it is sent as the archived bytes.
        if entry.artifact_sha256 != hashlib.sha256(outgoing.content).hexdigest():
            outgoing.item.send_as(artifact_read(entry=entry))

    def connections(self) -> int:
        return int(settings.CCM_EMAIL_CONNECTIONS)

    def open(self) -> Any:
        connection = get_connection()
        try:
            connection.open()
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP: {exc}", permanent=False) from exc
        return connection

    def send(self, outgoing: Outgoing, connection: Any) -> str:
        """Returns the provider's id (the Message-ID when the provider has none of its
        own). A refused recipient is permanent, as is an SMTP 5xx on the data."""
        email: FrozenEmail = outgoing.item
        limiter().wait("email", settings.CCM_EMAIL_RATE_LIMIT)
        try:
            connection.send_messages([email])
        except smtplib.SMTPRecipientsRefused as exc:
            raise RecipientRejected(f"recipient refused: {exc.recipients}") from exc
        except smtplib.SMTPDataError as exc:
            raise DeliveryError(
                f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=500 <= exc.smtp_code < 600
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP: {exc}", permanent=False) from exc
        status = getattr(email, "anymail_status", None)
        return str(
            (status.message_id if status is not None else None) or email.extra_headers["Message-ID"]
        )


def _list_headers(message: Message) -> dict[str, str]:
    """Marketing email carries one-click unsubscribe (RFC 8058, RFC 2369): mail clients
    POST to the signed URL, which withdraws the customer's marketing consent."""
    if message.version.communication.category != Communication.Category.MARKETING:
        return {}
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(message.pk)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _tracked(message: Message, rendered: Rendered) -> Rendered:
    """With tracking on (never for regulatory mail), the HTML whose links go through
    signed redirects, with an open pixel; this is what is archived and sent. The text
    part keeps the plain links."""
    if not message.version.communication.tracks_email:
        return rendered
    return replace(rendered, html=html_track(html_text=rendered.html, message_id=message.pk))


def _attachments(message: Message) -> list[tuple[str, bytes, str]]:
    """The letter of the same message as a PDF, when the communication asks for it:
    the print variant in the message's locale, addressed to the customer's postal
    address. Raises RenderError when there is no such variant."""
    communication = message.version.communication
    if not communication.email_attach_letter:
        return []
    letter = render_as_sent(
        version=message.version,
        channel=Channel.PRINT,
        locale=message.locale,
        data=message.data,
        recipient_name=message.recipient_name,
        recipient_address=message.customer.postal_address if message.customer is not None else "",
        created_at=message.created_at,
    )
    return [(f"{communication.key}.pdf", render_pdf(letter), "application/pdf")]
