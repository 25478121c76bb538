"""Email goes through Django's mail backends (SMTP, or any django-anymail ESP).

This module only turns a ``Rendered`` email into a message object whose bytes are fixed
once built, so that what is archived is byte for byte what the SMTP server receives.
"""

import secrets
import smtplib
from email import message_from_bytes
from email.charset import BASE64, Charset
from email.headerregistry import Address
from email.message import Message
from email.policy import Compat32
from email.utils import formatdate
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends import smtp
from django.core.mail.message import sanitize_address

from rendering.types import Rendered


class FrozenEmail(EmailMultiAlternatives):
    """An email whose MIME tree (and so its boundaries and bytes) is built only once.

    ``envelope_to`` holds the recipients' bare addresses, as ``email_build`` had them:
    ``SmtpBackend`` hands them to the server without parsing the To header again."""

    _frozen: Any = None
    envelope_to: list[str] | None = None

    def message(self, **kwargs: Any) -> Any:
        if self._frozen is None:
            message = super().message(**kwargs)
            _boundaries_set(message)
            message.policy = _SHORT_HEADERS_AS_IS
            self._frozen = message
        return self._frozen

    def _create_message(self, msg: Any) -> Any:
        root = super()._create_message(msg)  # type: ignore[misc]
        # Django encodes the headers it then sets (Subject, From, To...) in this charset.
        root.encoding = _HEADER_CHARSET
        return root

    def as_bytes(self) -> bytes:
        """The RFC 822 bytes the SMTP backend sends (CRLF line endings), serialised once."""
        message = self.message()
        content: bytes = message.as_bytes(linesep="\r\n")
        if not isinstance(message, _SentBytes):
            # The SMTP backend serialises message() again: it gets these very bytes.
            self._frozen = _SentBytes(content)
        return content

    def send_as(self, content: bytes) -> None:
        """Send exactly ``content`` (the bytes archived at the first attempt) instead of a
        newly built MIME tree, whose Date and boundaries would differ."""
        self._frozen = _SentBytes(content)


# Headers with other characters than ASCII (a subject with "£", or in Japanese) as base64
# encoded words. For quoted-printable ones, which Django's charset allows, the standard
# library works out where to split a header character by character, each time encoding
# the whole line so far.
_HEADER_CHARSET = Charset("utf-8")
_HEADER_CHARSET.header_encoding = BASE64


class _ShortHeadersAsIs(Compat32):
    """The policy of Django's messages (compat32), writing a header line that needs no
    folding or encoding (printable ASCII, short enough) as it is. The standard policy
    builds and encodes a ``Header`` for every line to find that out, and gets the same."""

    def fold_binary(self, name: str, value: Any) -> bytes:
        if (
            isinstance(value, str)
            and value.isascii()
            and value.isprintable()
            and self.max_line_length
            and len(name) + 2 + len(value) <= self.max_line_length
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_SHORT_HEADERS_AS_IS = _ShortHeadersAsIs()


def _boundaries_set(message: Message) -> None:
    """Give each multipart a random boundary that no part contains. Without one, the
    standard library's generator makes its own and compiles a pattern to check it."""
    payloads = [p.get_payload() for p in message.walk() if not p.is_multipart()]
    for part in message.walk():
        if part.is_multipart():
            boundary = f"=_{secrets.token_hex(16)}"
            while any(boundary in p for p in payloads if isinstance(p, str)):
                boundary = f"=_{secrets.token_hex(16)}"
            part.set_boundary(boundary)


class SmtpBackend(smtp.EmailBackend):
    """Django's SMTP backend, given the envelope of a built email instead of working it
    out again from its From and To headers for every message."""

    def _send(self, email_message: Any) -> bool:
        envelope_to = getattr(email_message, "envelope_to", None)
        if not envelope_to:
            return bool(super()._send(email_message))  # type: ignore[misc]
        if self.connection is None:  # send_messages opened it, or sends nothing
            return False
        encoding = email_message.encoding or settings.DEFAULT_CHARSET
        try:
            self.connection.sendmail(
                _envelope_sender(email_message.from_email, encoding),
                [sanitize_address(("", address), encoding) for address in envelope_to],
                email_message.message().as_bytes(linesep="\r\n"),
            )
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True


@lru_cache(maxsize=256)
def _envelope_sender(from_email: str, encoding: str) -> str:
    """A brand's sender, parsed once (it is the same for every message of a run)."""
    return str(sanitize_address(from_email, encoding))


class _SentBytes:
    """A built email as its bytes, which it serialises to unchanged. Sending needs only
    the bytes; headers and parts (``message["Subject"]``, ``walk()``...) are read from a
    parse made on first use."""

    def __init__(self, content: bytes) -> None:
        self._content = content
        self._parsed: Message | None = None

    def as_bytes(self, unixfrom: bool = False, policy: Any = None, linesep: str = "\r\n") -> bytes:
        return self._content

    @property
    def parsed(self) -> Message:
        if self._parsed is None:
            self._parsed = message_from_bytes(self._content)
        return self._parsed

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # copy and pickle probe for these before __init__ ran
            raise AttributeError(name)
        return getattr(self.parsed, name)

    def __getitem__(self, name: str) -> Any:
        return self.parsed[name]

    def __contains__(self, name: str) -> bool:
        return name in self.parsed


def email_build(
    *,
    rendered: Rendered,
    to: str,
    to_name: str,
    from_email: str,
    message_id: str,
    extra_headers: dict[str, str] | None = None,
    reply_to: str = "",
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> FrozenEmail:
    """Build the email for ``rendered`` with a fixed Message-ID and Date.

    ``attachments`` are (file name, content, MIME type); with any, the message is
    multipart/mixed around the multipart/alternative text and HTML.

    The recipient's name comes from data: it is put on one line and quoted as a display
    name, so commas, angle brackets or line breaks in it can add no address or header.
    """
    name = " ".join(to_name.split())
    # ``to`` was validated when the message was accepted: given as its parts, it is not
    # parsed again (the header parser takes ten times as long as the rest).
    local_part, _, domain = to.rpartition("@")
    recipient = str(Address(display_name=name, username=local_part, domain=domain)) if name else to
    headers = {
        "Message-ID": message_id,
        "Date": formatdate(localtime=False),
        **(extra_headers or {}),
    }
    message = FrozenEmail(
        subject=rendered.subject,
        body=rendered.text,
        from_email=from_email,
        to=[recipient],
        reply_to=[reply_to] if reply_to else None,
        headers=headers,
    )
    message.envelope_to = [to]
    message.attach_alternative(rendered.html, "text/html")
    for filename, content, mimetype in attachments or ():
        message.attach(filename, content, mimetype)
    return message


def default_from_email() -> str:
    return settings.CCM_DEFAULT_FROM_EMAIL
