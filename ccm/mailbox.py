"""The local mailbox: the SMTP sink of ``make run`` keeps every email here, and the
mailbox pages show them as a mail client would.

Each email is one ``.eml`` file holding exactly the bytes the SMTP server received, named
after the time it arrived (UTC) and a counter, so that names sort in arrival order.
"""

import datetime as dt
import email
import email.parser
import email.policy
import itertools
import logging
import os
import re
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

logger = logging.getLogger(__name__)

NAME_PATTERN = re.compile(r"^\d{8}T\d{6}\.\d{6}Z-\d+-\d{6}\.eml$")
PAGE_SIZE = 50


class MailNotFound(Exception):
    """No email of that name in the mailbox (or the name is not a mailbox file name)."""


# STORING ------------------------------------------------------------------------------


class MailboxWriter:
    """Writes each received email to ``directory`` under a new name; never overwrites.

    The file appears under its final name only once complete (written to a hidden
    temporary file, then renamed), so a reader never sees half an email. Names carry the
    process id and a counter, so two sinks sharing a folder never collide.
    """

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def store(self, content: bytes) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._lock:
            number = next(self._counter)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        final = self.directory / f"{stamp}-{os.getpid()}-{number:06d}.eml"
        temporary = self.directory / f".{final.name}.tmp"
        with temporary.open("xb") as fh:
            fh.write(content)
        temporary.rename(final)
        return final


class SmtpSinkHandler:
    """aiosmtpd handler: accepts every message and keeps it in the mailbox."""

    def __init__(self, writer: MailboxWriter) -> None:
        self.writer = writer

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content: bytes = envelope.original_content
        stored = self.writer.store(content)
        headers = email.message_from_bytes(content, policy=email.policy.default)
        logger.info(
            "received %s from %s to %s (%d bytes) -> %s",
            headers.get("Message-ID", "(no Message-ID)"),
            envelope.mail_from,
            ", ".join(envelope.rcpt_tos),
            len(content),
            stored.name,
        )
        return "250 Message accepted for delivery"


# READING ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MailSummary:
    name: str
    sender: str
    to: str
    subject: str
    date: dt.datetime | None


@dataclass(frozen=True)
class MailAttachment:
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class MailDetail:
    summary: MailSummary
    headers: list[tuple[str, str]]
    html: str | None
    text: str | None
    attachments: list[MailAttachment] = field(default_factory=list)
    raw: str = ""
    size: int = 0


def mailbox_dir() -> Path:
    return Path(settings.CCM_MAILBOX_DIR)


def mailbox_names(*, directory: Path) -> list[str]:
    """Every email's file name, newest first."""
    if not directory.is_dir():
        return []
    return sorted((p.name for p in directory.iterdir() if NAME_PATTERN.match(p.name)), reverse=True)


def _header(message: EmailMessage, name: str) -> str:
    try:
        return str(message.get(name, ""))
    except (ValueError, IndexError):  # an undecodable header is shown as it came
        return str(message.get_all(name, [""])[0])


def _date(message: EmailMessage, fallback: Path) -> dt.datetime | None:
    try:
        value = parsedate_to_datetime(_header(message, "Date"))
    except (TypeError, ValueError):
        value = None
    if value is None:
        return dt.datetime.fromtimestamp(fallback.stat().st_mtime, tz=dt.UTC)
    return value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)


def _summary(path: Path, message: EmailMessage) -> MailSummary:
    return MailSummary(
        name=path.name,
        sender=_header(message, "From"),
        to=_header(message, "To"),
        subject=_header(message, "Subject"),
        date=_date(message, path),
    )


def mail_summaries(*, directory: Path, names: list[str]) -> list[MailSummary]:
    """The From, To, Subject and Date of the named emails (headers only are parsed)."""
    parser = email.parser.BytesParser(policy=email.policy.default)
    summaries = []
    for name in names:
        path = directory / name
        try:
            with path.open("rb") as fh:
                message = parser.parse(fh, headersonly=True)
        except FileNotFoundError:
            continue
        summaries.append(_summary(path, message))  # type: ignore[arg-type]
    return summaries


def _path_for(directory: Path, name: str) -> Path:
    if not NAME_PATTERN.match(name):
        raise MailNotFound(name)
    path = directory / name
    if not path.is_file():
        raise MailNotFound(name)
    return path


def _decoded(part: EmailMessage) -> str:
    try:
        return str(part.get_content())
    except (LookupError, ValueError):
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""


def mail_read(*, directory: Path, name: str) -> MailDetail:
    """One email: its headers, HTML and text bodies and attachments. Raises MailNotFound."""
    path = _path_for(directory, name)
    content = path.read_bytes()
    message: EmailMessage = email.message_from_bytes(content, policy=email.policy.default)  # type: ignore[assignment]
    html_part = message.get_body(preferencelist=("html",))
    text_part = message.get_body(preferencelist=("plain",))
    attachments = [
        MailAttachment(
            filename=part.get_filename() or "",
            content_type=part.get_content_type(),
            size=len(part.get_payload(decode=True) or b""),
        )
        for part in message.iter_attachments()
    ]
    return MailDetail(
        summary=_summary(path, message),
        headers=[(key, _header_value(value)) for key, value in message.items()],
        html=_decoded(html_part) if html_part is not None else None,  # type: ignore[arg-type]
        text=_decoded(text_part) if text_part is not None else None,  # type: ignore[arg-type]
        attachments=attachments,
        raw=content.decode("utf-8", errors="replace"),
        size=len(content),
    )


def _header_value(value: Any) -> str:
    try:
        return str(value)
    except (ValueError, IndexError):
        return repr(value)


# VIEWS --------------------------------------------------------------------------------


def mailbox_enabled() -> bool:
    return bool(settings.DEBUG or settings.CCM_MAILBOX_ENABLED)


def _require_enabled() -> None:
    if not mailbox_enabled():
        raise Http404("The mailbox is only available in development.")


@login_required
def mailbox_list(request: HttpRequest) -> HttpResponse:
    _require_enabled()
    directory = mailbox_dir()
    names = mailbox_names(directory=directory)
    page = Paginator(names, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "ccm/mailbox_list.html",
        {
            "page": page,
            "mails": mail_summaries(directory=directory, names=list(page.object_list)),
            "directory": directory,
        },
    )


@login_required
def mailbox_detail(request: HttpRequest, name: str) -> HttpResponse:
    _require_enabled()
    try:
        mail = mail_read(directory=mailbox_dir(), name=name)
    except MailNotFound as exc:
        raise Http404("No such email in the mailbox.") from exc
    return render(request, "ccm/mailbox_detail.html", {"mail": mail})


app_name = "mailbox"
urlpatterns = [
    path("", mailbox_list, name="list"),
    path("<str:name>/", mailbox_detail, name="detail"),
]
