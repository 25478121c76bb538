"""Email goes through Django's mail backends (SMTP, or any django-anymail ESP).

This module only turns a ``Rendered`` email into a message object whose bytes are fixed
once built, so that what is archived is byte for byte what the SMTP server receives.
"""

from email import message_from_bytes
from email.headerregistry import Address
from email.message import Message
from email.utils import formatdate
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from channels.rendering import Rendered


class FrozenEmail(EmailMultiAlternatives):
    """An email whose MIME tree (and so its boundaries and bytes) is built only once."""

    _frozen: Any = None

    def message(self, **kwargs: Any) -> Any:
        if self._frozen is None:
            self._frozen = super().message(**kwargs)
        return self._frozen

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
    recipient = str(Address(display_name=name, addr_spec=to)) if name else to
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
    message.attach_alternative(rendered.html, "text/html")
    for filename, content, mimetype in attachments or ():
        message.attach(filename, content, mimetype)
    return message


def default_from_email() -> str:
    return settings.CCM_DEFAULT_FROM_EMAIL
