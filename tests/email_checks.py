"""Every email the test suite sends is parsed back from the bytes that leave and checked:
structure, headers, encodings and the text part."""

import email
import re
from email import policy
from email.message import EmailMessage
from typing import Any

REQUIRED_HEADERS = ("From", "To", "Subject", "Date", "Message-ID")


def email_check(message: Any) -> EmailMessage:
    """Parse ``message`` (a Django email as sent) back and check it; returns the parsed
    message. Raises AssertionError naming what is wrong."""
    raw = message.message().as_bytes(linesep="\r\n")
    bare = raw.replace(b"\r\n", b"")
    assert b"\n" not in bare and b"\r" not in bare, "a bare LF or CR in the message"
    head, _, _body = raw.partition(b"\r\n\r\n")
    try:
        head.decode("ascii")
    except UnicodeDecodeError as exc:
        raise AssertionError(f"raw 8-bit bytes in the headers: {head!r}") from exc
    for line in raw.split(b"\r\n"):
        assert len(line) <= 998, f"a line longer than 998 octets: {line[:80]!r}..."
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    for part in parsed.walk():
        assert not part.defects, f"{part.get_content_type()}: {part.defects}"
    for name in REQUIRED_HEADERS:
        assert parsed[name], f"no {name} header"
        assert len(parsed.get_all(name, [])) == 1, f"{name} appears more than once"
    for name in ("Subject", "From", "To"):
        # Decodes encoded words (RFC 2047); raises on a malformed header.
        str(parsed[name])
    for name, value in parsed.items():
        assert not getattr(value, "defects", ()), f"{name}: {value.defects}"
    assert " ".join(str(parsed["Subject"]).split()) == " ".join(str(message.subject).split()), (
        f"the Subject does not decode to what was sent: {parsed['Subject']!r}"
    )
    for name in ("From", "To"):
        assert parsed[name].addresses, f"{name} holds no address"
    assert parsed["Date"].datetime is not None, f"Date does not parse: {parsed['Date']}"
    assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", str(parsed["Message-ID"]).strip()), (
        f"Message-ID is not <left@right>: {parsed['Message-ID']}"
    )
    _structure_check(parsed)
    text = parsed.get_body(preferencelist=("plain",))
    assert text is not None, "no text/plain part"
    assert text.get_content().strip(), "the text part is empty"
    if parsed.get_content_type() == "multipart/alternative":
        kinds = [p.get_content_type() for p in parsed.iter_parts()]
        assert kinds[0] == "text/plain", f"text/plain must come first: {kinds}"
    return parsed


def _structure_check(parsed: EmailMessage) -> None:
    """An email with HTML is multipart/alternative (text, then HTML), alone or as the first
    part of a multipart/mixed carrying attachments; one without HTML may be text alone."""
    kind = parsed.get_content_type()
    has_html = any(part.get_content_type() == "text/html" for part in parsed.walk())
    if not has_html:
        assert kind in ("text/plain", "multipart/mixed"), f"unexpected structure: {kind}"
        return
    if kind == "multipart/mixed":
        first = next(parsed.iter_parts())
        assert first.get_content_type() == "multipart/alternative", (
            f"multipart/mixed must start with multipart/alternative, not {first.get_content_type()}"
        )
        assert isinstance(first, EmailMessage)
        parsed = first
    else:
        assert kind == "multipart/alternative", f"HTML email must be multipart/alternative: {kind}"
    kinds = [p.get_content_type() for p in parsed.iter_parts()]
    assert kinds[:1] == ["text/plain"] and "text/html" in kinds, (
        f"multipart/alternative must hold text/plain first and text/html: {kinds}"
    )
