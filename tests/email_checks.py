"""Every email the test suite sends is parsed back from the bytes that leave and checked:
structure, headers, encodings and the text part."""

import email
from email import policy
from email.message import EmailMessage
from typing import Any

REQUIRED_HEADERS = ("From", "To", "Subject", "Date", "Message-ID")


def email_check(message: Any) -> EmailMessage:
    """Parse ``message`` (a Django email as sent) back and check it; returns the parsed
    message. Raises AssertionError naming what is wrong."""
    raw = message.message().as_bytes(linesep="\r\n")
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
        # Decodes encoded words; raises on a malformed header.
        str(parsed[name])
    text = parsed.get_body(preferencelist=("plain",))
    assert text is not None, "no text/plain part"
    assert text.get_content().strip(), "the text part is empty"
    if parsed.get_content_type() == "multipart/alternative":
        kinds = [p.get_content_type() for p in parsed.iter_parts()]
        assert kinds[0] == "text/plain", f"text/plain must come first: {kinds}"
    return parsed
