"""Re-render check: render an archived communication again from its pinned version and
data, and compare the result with the artifact that was sent.

The bytes of a fresh email or PDF never equal the archived ones (an email's Date and
MIME boundaries, a PDF's creation date and ids), so each channel is compared on what the
customer saw: an SMS on its text (sha256 against the recorded one), an email on its
decoded subject, plain-text and HTML parts, a letter on the text of each page.
"""

import email
import hashlib
import io
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage

from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from ccm.vocabulary import Channel
from compliance.models import ArchiveEntry
from compliance.services import artifact_read
from rendering.as_sent import TEST_SUBJECT_PREFIX, message_render_as_sent, test_send_mark
from rendering.exceptions import RenderError
from rendering.pdf import render_pdf
from rendering.render import render
from rendering.types import Recipient, Rendered

# The parts compared, by channel, and how the page names them.
PART_SUBJECT = "subject"
PART_TEXT = "text"
PART_HTML = "html"
PART_SMS = "sms"
PART_PAGES = "pages"
PART_DATA = "data"
PART_LABELS = {
    PART_SUBJECT: gettext_lazy("subject"),
    PART_TEXT: gettext_lazy("plain-text part"),
    PART_HTML: gettext_lazy("HTML part"),
    PART_SMS: gettext_lazy("SMS text"),
    PART_PAGES: gettext_lazy("number of pages"),
    PART_DATA: gettext_lazy("data"),
}


@dataclass(frozen=True)
class RerenderCheck:
    """The outcome of a re-render: the parts compared and those that differ, or why the
    comparison could not be made (``error``)."""

    compared: list[str] = field(default_factory=list)
    differing: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def identical(self) -> bool:
        return not self.error and not self.differing

    @property
    def compared_labels(self) -> list[str]:
        return [_label(part) for part in self.compared]

    @property
    def differing_labels(self) -> list[str]:
        return [_label(part) for part in self.differing]


def _label(part: str) -> str:
    if part.startswith("page "):
        return gettext("page %(number)s") % {"number": part.removeprefix("page ")}
    return str(PART_LABELS.get(part, part))


def _normalise(text: str) -> str:
    # The archived email travels with CRLF line endings; the rendered text has LF.
    return text.replace("\r\n", "\n").strip()


def _email_parts(content: bytes) -> dict[str, str]:
    message = email.message_from_bytes(content, policy=policy.default)
    assert isinstance(message, EmailMessage)
    html_part = message.get_body(preferencelist=("html",))
    text_part = message.get_body(preferencelist=("plain",))
    return {
        PART_SUBJECT: str(message["Subject"] or ""),
        PART_TEXT: text_part.get_content() if text_part is not None else "",
        PART_HTML: html_part.get_content() if html_part is not None else "",
    }


def pdf_page_texts(content: bytes) -> list[str]:
    """The text of each page of a PDF, as pypdf extracts it."""
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages]


def _compare_email(rendered: Rendered, content: bytes) -> tuple[list[str], list[str]]:
    archived = _email_parts(content)
    fresh = {PART_SUBJECT: rendered.subject, PART_TEXT: rendered.text, PART_HTML: rendered.html}
    compared = list(fresh)
    differing = [part for part in compared if _normalise(fresh[part]) != _normalise(archived[part])]
    return compared, differing


def _compare_letter(rendered: Rendered, content: bytes) -> tuple[list[str], list[str]]:
    archived = pdf_page_texts(content)
    fresh = pdf_page_texts(render_pdf(rendered))
    if len(archived) != len(fresh):
        return [PART_PAGES], [PART_PAGES]
    pages = [f"page {number}" for number in range(1, len(fresh) + 1)]
    differing = [
        name
        for name, old, new in zip(pages, archived, fresh, strict=True)
        if _normalise(old) != _normalise(new)
    ]
    return pages, differing


def _render_again(entry: ArchiveEntry) -> Rendered:
    message = entry.message
    if message is not None:
        # Exactly as the pipeline rendered it (recipient lines, the message's date).
        return message_render_as_sent(message)
    # A test send: rendered with the address as typed, on the day it was sent.
    rendered = render(
        entry.version,
        entry.channel,
        entry.locale,
        entry.data,
        recipient=Recipient(
            name=entry.recipient_name, address_lines=tuple(entry.recipient.splitlines())
        ),
        letter_date=timezone.localdate(entry.created_at),
    )
    if entry.channel == Channel.EMAIL and entry.subject.startswith(TEST_SUBJECT_PREFIX):
        return test_send_mark(rendered)  # sent with "[TEST] " before the subject
    return rendered


def archive_entry_rerender_check(*, entry: ArchiveEntry) -> RerenderCheck:
    """Render ``entry`` again from its version and data and compare it with its archived
    artifact, part by part. Reads only; never raises for a render or artifact problem
    (it is reported in ``error``)."""
    try:
        content = artifact_read(entry=entry)
    except FileNotFoundError:
        return RerenderCheck(error=gettext("the artifact is missing from the archive storage"))
    try:
        rendered = _render_again(entry)
        if entry.channel == Channel.SMS:
            digest = hashlib.sha256(rendered.text.encode("utf-8")).hexdigest()
            compared, differing = (
                [PART_SMS],
                ([] if digest == entry.artifact_sha256 else [PART_SMS]),
            )
        elif entry.channel == Channel.EMAIL:
            compared, differing = _compare_email(rendered, content)
        else:
            compared, differing = _compare_letter(rendered, content)
    except RenderError as exc:
        return RerenderCheck(
            error=gettext("it could not be rendered again: %(error)s") % {"error": exc}
        )
    except PdfReadError as exc:
        return RerenderCheck(
            error=gettext("the archived letter is not a readable PDF: %(error)s") % {"error": exc}
        )
    if entry.message is not None:
        # The pipeline renders from the message; the archive keeps its own copy of the data.
        compared.append(PART_DATA)
        if entry.message.data != entry.data:
            differing.append(PART_DATA)
    return RerenderCheck(compared=compared, differing=differing)
