"""The SMTP backend and the built email: the envelope the server gets, the bytes it gets,
and multipart boundaries that no part contains."""

import email
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.mail import EmailMessage

from channels.backends import email as email_backend
from channels.backends.email import SmtpBackend, email_build
from channels.rendering import Rendered


@dataclass
class _Sink:
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        return "250 OK"


@pytest.fixture
def sink() -> Iterator[tuple[_Sink, int]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    handler = _Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def _rendered(text: str = "Hello Hanako,\nyour bill is ready.") -> Rendered:
    return Rendered(
        channel="email",
        locale="en",
        subject="Your bill: £59.00",
        html=f"<p>{text}</p>",
        text=text,
    )


def _built(to: str = "hanako@example.net", text: str = "Hello") -> Any:
    return email_build(
        rendered=_rendered(text),
        to=to,
        to_name="Hanako, Yamada <x@evil.example>",
        from_email="Northwind Energy <billing@nwe.example>",
        message_id="<1.test@ccm.example.com>",
    )


def test_a_built_email_goes_out_with_its_bare_addresses_and_its_archived_bytes(sink):
    handler, port = sink
    message = _built()
    content = message.as_bytes()

    with SmtpBackend(host="127.0.0.1", port=port) as backend:
        assert backend.send_messages([message]) == 1

    ((mail_from, rcpt_tos, received),) = handler.received
    assert mail_from == "billing@nwe.example"
    # The display name (with its comma and angle brackets) adds no envelope recipient.
    assert rcpt_tos == ["hanako@example.net"]
    assert received.replace(b"\r\n", b"\n") == content.replace(b"\r\n", b"\n")


def test_an_international_domain_goes_into_the_envelope_as_punycode(sink):
    handler, port = sink
    with SmtpBackend(host="127.0.0.1", port=port) as backend:
        backend.send_messages([_built(to="hanako@bücher.example")])

    ((_, rcpt_tos, _),) = handler.received
    assert rcpt_tos == ["hanako@xn--bcher-kva.example"]


def test_other_emails_are_sent_as_django_sends_them(sink):
    handler, port = sink
    message = EmailMessage(
        subject="Test",
        body="Hello",
        from_email="Northwind Energy <billing@nwe.example>",
        to=["Hanako Yamada <hanako@example.net>"],
        cc=["accounts@example.net"],
    )
    with SmtpBackend(host="127.0.0.1", port=port) as backend:
        assert backend.send_messages([message]) == 1

    ((mail_from, rcpt_tos, _),) = handler.received
    assert mail_from == "billing@nwe.example"
    assert rcpt_tos == ["hanako@example.net", "accounts@example.net"]


def test_a_boundary_found_in_a_part_is_drawn_again(monkeypatch):
    tokens = iter(["taken", "free"])
    monkeypatch.setattr(email_backend.secrets, "token_hex", lambda n: next(tokens))

    message = _built(text="A line with =_taken in it")

    parsed = email.message_from_bytes(message.as_bytes())
    assert parsed.get_boundary() == "=_free"
    assert [part.get_content_type() for part in parsed.get_payload()] == [
        "text/plain",
        "text/html",
    ]
    assert "=_taken" in parsed.get_payload(0).get_payload(decode=True).decode()
