"""Email goes through Django's mail backends (SMTP, or any django-anymail ESP).

This module only turns a ``Rendered`` email into a message object whose bytes are fixed
once built, so that what is archived is byte for byte what the SMTP server receives.
"""

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
        """The RFC 822 bytes the SMTP backend sends (CRLF line endings)."""
        return self.message().as_bytes(linesep="\r\n")


def email_build(
    *,
    rendered: Rendered,
    to: str,
    to_name: str,
    from_email: str,
    message_id: str,
    extra_headers: dict[str, str] | None = None,
) -> FrozenEmail:
    """Build the email for ``rendered`` with a fixed Message-ID and Date."""
    recipient = f"{to_name} <{to}>" if to_name else to
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
        headers=headers,
    )
    message.attach_alternative(rendered.html, "text/html")
    return message


def default_from_email() -> str:
    return settings.CCM_DEFAULT_FROM_EMAIL
