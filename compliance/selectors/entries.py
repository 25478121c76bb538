"""One archive entry and its artifact, read and parsed for display."""

import base64
import email
import hashlib
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from typing import IO, Any

from django.core.files.storage import storages

from compliance.models import ArchiveEntry
from compliance.services import artifact_read
from rendering.sms_encoding import SmsInfo, sms_analyse


def archive_entry_get(*, pk: int) -> ArchiveEntry:
    return ArchiveEntry.objects.select_related(
        "communication", "version__approved_by", "version__author", "customer", "message__batch"
    ).get(pk=pk)


def artifact_open(*, entry: ArchiveEntry) -> IO[bytes]:
    """The stored artifact of ``entry``, opened for reading. Raises FileNotFoundError."""
    return storages["archive"].open(entry.artifact_name, "rb")


# Shown inside a sandboxed iframe: nothing may load from anywhere (no tracking pixel, no
# remote font); inline styles and images embedded in the message still show.
_EMAIL_DISPLAY_POLICY = (
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
    "img-src data:; style-src 'unsafe-inline'; font-src data:\">\n"
)
EMAIL_HEADERS = (
    "From",
    "To",
    "Cc",
    "Reply-To",
    "Subject",
    "Date",
    "Message-ID",
    "List-Unsubscribe",
)


@dataclass(frozen=True)
class EmailArtifact:
    """An archived email as parsed from its RFC 822 bytes."""

    headers: list[tuple[str, str]]
    subject: str
    html: str
    text: str
    attachments: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def html_for_display(self) -> str:
        """The HTML part for an ``<iframe sandbox srcdoc>``, with a policy that blocks
        every remote load; the archived bytes are unchanged."""
        return _EMAIL_DISPLAY_POLICY + self.html if self.html else ""


@dataclass(frozen=True)
class ArtifactContent:
    """What the archive holds for an entry, and whether it is still the same bytes."""

    found: bool
    sha256: str = ""
    size: int = 0
    email: EmailArtifact | None = None
    sms_text: str = ""
    sms: SmsInfo | None = None
    problem: str = ""

    @property
    def matches(self) -> bool:
        return self.found and not self.problem


def _inline_images(message: EmailMessage) -> dict[str, str]:
    images = {}
    for part in message.walk():
        content_id = part.get("Content-ID")
        if content_id and part.get_content_maintype() == "image":
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                continue
            encoded = base64.b64encode(payload).decode("ascii")
            images[content_id.strip("<>")] = f"data:{part.get_content_type()};base64,{encoded}"
    return images


def _part_size(part: Any) -> int:
    payload = part.get_payload(decode=True)
    return len(payload) if isinstance(payload, bytes) else 0


def email_artifact_parse(content: bytes) -> EmailArtifact:
    """Headers, HTML and text parts of RFC 822 bytes; images sent inline (``cid:``) are
    embedded so that they show without any request."""
    message = email.message_from_bytes(content, policy=policy.default)
    assert isinstance(message, EmailMessage)
    html_part = message.get_body(preferencelist=("html",))
    text_part = message.get_body(preferencelist=("plain",))
    html = html_part.get_content() if html_part is not None else ""
    for content_id, data_uri in _inline_images(message).items():
        html = html.replace(f"cid:{content_id}", data_uri)
    attachments = [
        (part.get_filename() or "", part.get_content_type(), _part_size(part))
        for part in message.iter_attachments()
    ]
    return EmailArtifact(
        headers=[(name, str(message[name])) for name in EMAIL_HEADERS if message[name] is not None],
        subject=str(message["Subject"] or ""),
        html=html,
        text=text_part.get_content() if text_part is not None else "",
        attachments=attachments,
    )


def archive_entry_artifact(*, entry: ArchiveEntry) -> ArtifactContent:
    """Read the entry's artifact, recompute its sha256 and parse it for display: an
    email's headers and parts, an SMS's text with its encoding and segments. Reads only."""
    try:
        content = artifact_read(entry=entry)
    except FileNotFoundError:
        return ArtifactContent(found=False, problem="missing")
    digest = hashlib.sha256(content).hexdigest()
    problem = "" if digest == entry.artifact_sha256 else "sha256"
    base: dict[str, Any] = {
        "found": True,
        "sha256": digest,
        "size": len(content),
        "problem": problem,
    }
    if entry.content_type == "message/rfc822":
        return ArtifactContent(**base, email=email_artifact_parse(content))
    if entry.content_type.startswith("text/"):
        text = content.decode("utf-8", errors="replace")
        return ArtifactContent(**base, sms_text=text, sms=sms_analyse(text))
    return ArtifactContent(**base)
