"""The SMTP backend and the built email: the envelope the server gets, the bytes it gets,
multipart boundaries that no part contains, and how headers are written."""

import email
import email.policy
import io
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from email.generator import BytesGenerator
from email.header import decode_header, make_header
from email.policy import compat32
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.mail import EmailMessage

from channels.backends import email as email_backend
from channels.backends.email import SmtpBackend, email_build
from rendering.types import Rendered


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


def _standard_bytes(message: Any) -> bytes:
    """The bytes the standard library's generator writes for the same MIME tree with
    the policy Django's messages have (compat32)."""
    buffer = io.BytesIO()
    BytesGenerator(buffer, mangle_from_=False, policy=compat32).flatten(
        message.message(), linesep="\r\n"
    )
    return buffer.getvalue()


@pytest.mark.parametrize(
    "subject, to_name, extra",
    [
        ("Your bill is ready", "Hanako Yamada", {}),
        # Too long for one line: folded as the standard library folds it.
        ("Your bill " + "is ready " * 12, "Hanako", {"X-Campaign": "winter " * 20}),
        # A tab and a vertical tab are written the standard way too.
        ("Your\tbill", "Hanako", {"X-Note": "a\x0bb"}),
        ("ご請求のお知らせ お支払い期限は2026年12月15日です", "山田 花子", {}),
    ],
)
def test_headers_are_written_as_the_standard_policy_writes_them(subject, to_name, extra):
    message = email_build(
        rendered=replace(_rendered(), subject=subject),
        to="hanako@example.net",
        to_name=to_name,
        from_email="Northwind Energy <billing@nwe.example>",
        message_id="<1.test@ccm.example.com>",
        extra_headers=extra,
    )

    standard = _standard_bytes(message)

    assert message.as_bytes() == standard


@pytest.mark.parametrize(
    "subject",
    [
        "Your bill: £59.00",
        "ご請求のお知らせ お支払い期限は2026年12月15日です。金額は125,000円、口座番号NW-000123",
    ],
)
def test_a_subject_in_other_characters_than_ascii_goes_as_base64_encoded_words(subject):
    message = email_build(
        rendered=replace(_rendered(), subject=subject),
        to="hanako@example.net",
        to_name="山田 花子",
        from_email="Northwind Energy <billing@nwe.example>",
        message_id="<1.test@ccm.example.com>",
    )
    content = message.as_bytes()

    head = content.split(b"\r\n\r\n", 1)[0].decode("ascii")  # headers are ASCII only
    assert all(len(line) <= 78 for line in head.split("\r\n"))
    raw_subject = email.message_from_bytes(content)["Subject"]
    assert str(make_header(decode_header(raw_subject))) == subject
    parsed = email.message_from_bytes(content, policy=email.policy.default)
    assert parsed["To"].addresses[0].display_name == "山田 花子"
    words = re.findall(r"=\?utf-8\?(\w)\?([^?]*)\?=", raw_subject)
    assert words and {kind for kind, _ in words} == {"b"}
