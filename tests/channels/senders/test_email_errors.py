"""The email sender maps SMTP's errors to DeliveryError: a refused recipient and a 5xx on
the data are permanent, anything else SMTP or the network raises is transient."""

import smtplib

import pytest

from channels.backends.email import email_build
from channels.exceptions import DeliveryError, RecipientRejected
from channels.models import Message
from channels.senders.base import Outgoing
from channels.senders.email import EmailSender
from rendering.types import Rendered


class _Refusing:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def send_messages(self, messages: list[object]) -> int:
        raise self.error

    def open(self) -> None:
        raise self.error


def _outgoing() -> Outgoing:
    rendered = Rendered(channel="email", locale="en", subject="Hello", text="Hi", html="<p>Hi</p>")
    email = email_build(
        rendered=rendered,
        to="ann@example.com",
        to_name="Ann",
        from_email="bank@example.com",
        message_id="<1.2@example.com>",
    )
    return Outgoing(
        message=Message(pk=1),
        rendered=rendered,
        content=email.as_bytes(),
        content_type="message/rfc822",
        backend="smtp",
        sent_backend="smtp",
        summary="Hello",
        item=email,
    )


def _raised(error: Exception) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        EmailSender().send(_outgoing(), _Refusing(error))
    return caught.value


class EmailErrorMappingTests:
    def test_a_refused_recipient_is_permanent_and_a_rejection(self):
        error = _raised(smtplib.SMTPRecipientsRefused({"ann@example.com": (550, b"no")}))
        assert isinstance(error, RecipientRejected)
        assert error.permanent

    def test_a_5xx_on_the_data_is_permanent(self):
        error = _raised(smtplib.SMTPDataError(554, b"content rejected"))
        assert error.permanent
        assert str(error) == "SMTP 554: b'content rejected'"

    def test_a_4xx_on_the_data_is_transient(self):
        assert not _raised(smtplib.SMTPDataError(451, b"try later")).permanent

    def test_a_lost_connection_is_transient(self):
        assert not _raised(smtplib.SMTPServerDisconnected("gone")).permanent
        assert not _raised(ConnectionResetError(104, "reset")).permanent

    def test_anything_else_surfaces_unmapped(self):
        with pytest.raises(ValueError):
            EmailSender().send(_outgoing(), _Refusing(ValueError("a bug")))

    def test_the_provider_id_is_the_message_id_without_one_of_the_providers(self):
        class Accepting:
            def send_messages(self, messages: list[object]) -> int:
                return len(messages)

        assert EmailSender().send(_outgoing(), Accepting()) == "<1.2@example.com>"
