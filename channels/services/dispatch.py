"""Sending a chunk of messages: claim, render, archive, send, record.

Each step is idempotent. A message is claimed with a conditional update (SKIP LOCKED on
PostgreSQL) that increments ``attempts``; every later write of the worker is fenced by
that number, so a worker that lost its claim (the sweeper took the message back after
CCM_CLAIM_TIMEOUT_SECONDS and another worker claimed it) changes nothing. Provider calls
happen outside any transaction, and the outcome is written after.

The Message-ID (or SMS reference) is derived from the message itself and the archive
holds one entry per message, so the one duplicate no protocol can rule out (the provider
accepted the message, its worker died before recording it) carries the same id, the same
bytes and the same archive entry, and the sweeper records it as a possible duplicate.
"""

import contextvars
import datetime as dt
import hashlib
import logging
import queue
import smtplib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import BooleanField, Case, CharField, F, Func, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from ccm.broker import broker_queue_sizes
from ccm.log_context import log_context_bind
from channels.backends import sms_backends
from channels.backends.email import FrozenEmail, email_build
from channels.backends.sms.base import SmsMessage
from channels.email_links import html_track, unsubscribe_url
from channels.exceptions import DeliveryError, RecipientRejected
from channels.models import Batch, DeliveryEvent, Message
from channels.rate_limits import limiter
from channels.services.batches import (
    available_channels,
    batch_dispatch_enqueue,
    batch_finalize,
    row_context,
)
from channels.services.callbacks import callbacks_for_messages
from channels.services.pacing import quiet_until
from channels.services.routing import RowError, Suppressed, route_choose
from channels.services.sms import sms_build, sms_throttle
from compliance.services import ArchiveRecord, archive_records_create, artifact_read
from customers.models import Suppression
from customers.services import suppression_add
from rendering.render import Recipient, Rendered, RenderError, render, render_pdf, render_pdfs
from templates_store.models import Communication, TemplateVersion

logger = logging.getLogger(__name__)
Status = Message.Status


def _claim(message_ids: Iterable[int]) -> list[Message]:
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(id__in=list(message_ids), status=Status.QUEUED)
            .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
            .values_list("id", flat=True)
        )
        Message.objects.filter(id__in=ids).update(
            status=Status.RENDERING,
            claimed_at=now,
            attempts=F("attempts") + 1,
            **_message_id_fill(),
        )
    claimed = list(Message.objects.filter(id__in=ids).select_related("customer").order_by("id"))
    _message_ids_fix(claimed)
    # A chunk's messages share a version or a few: each is read once, with its variants,
    # and the messages share it.
    versions = (
        TemplateVersion.objects.select_related("communication__brand")
        .prefetch_related("variants")
        .in_bulk({m.version_id for m in claimed})
    )
    for message in claimed:
        message.version = versions[message.version_id]
    return [m for m in claimed if not _deferred_for_quiet_hours(m, now)]


def _owned(message: Message) -> QuerySet[Message]:
    """The message as long as this worker's claim on it stands."""
    return Message.objects.filter(pk=message.pk, attempts=message.attempts)


# Conditions over arrays of a chunk's values (PostgreSQL).
_OWNED_SQL = (
    '("channels_message"."id", "channels_message"."attempts") IN '
    "(SELECT * FROM unnest(%s::bigint[], %s::smallint[]))"
)


def _owned_all(messages: list[Message]) -> QuerySet[Message]:
    """The messages whose claims this worker still holds. On PostgreSQL one condition
    over two arrays (a chunk's OR of pairs costs milliseconds to compile)."""
    if connection.vendor == "postgresql":
        # The ids alone first: the planner then reads the rows by primary key rather
        # than through the status index (all queued messages of every batch).
        ids = [m.pk for m in messages]
        return Message.objects.filter(pk__in=ids).filter(
            RawSQL(  # noqa: S611 (constant SQL, the values are bound parameters)
                _OWNED_SQL, (ids, [m.attempts for m in messages]), output_field=BooleanField()
            )
        )
    claims = Q(pk__in=[])
    for message in messages:
        claims |= Q(pk=message.pk, attempts=message.attempts)
    return Message.objects.filter(claims)


def _deferred_for_quiet_hours(message: Message, now: dt.datetime) -> bool:
    """Batch messages wait for the end of the recipient's quiet hours (real-time ones,
    such as one-time codes, do not)."""
    if message.batch_id is None:
        return False
    until = quiet_until(channel=message.channel, tz_name=message.timezone, now=now)
    if until is None:
        return False
    if _owned(message).update(status=Status.QUEUED, claimed_at=None, not_before=until):
        _event(message, DeliveryEvent.Kind.DEFERRED, until=until.isoformat())
    return True


def _event(message: Message, kind: str, **detail: Any) -> None:
    DeliveryEvent.objects.create(message=message, kind=kind, detail=detail)


def _fail(message: Message, reason: str) -> bool:
    """Fail the message for good; False when this worker no longer holds it."""
    if not _owned(message).update(status=Status.FAILED, last_error=reason, claimed_at=None):
        return False
    _event(message, DeliveryEvent.Kind.FAILED, reason=reason)
    return True


def retry_delay(attempts: int) -> timedelta:
    """Back-off after a transient failure: 30 s, 1, 2, 4 minutes... at most an hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def _release(messages: list[Message], reason: str) -> None:
    """Put claimed messages that were not finished back in the queue after a transient
    error, each not before its back-off (``messages_release_due`` enqueues it then)."""
    now = timezone.now()
    for message in messages:
        until = now + retry_delay(message.attempts)
        released = (
            _owned(message)
            .filter(status__in=Message.CLAIMED_STATUSES)
            .update(status=Status.QUEUED, claimed_at=None, not_before=until, last_error=reason)
        )
        if released:
            _event(message, DeliveryEvent.Kind.RETRY, reason=reason, until=until.isoformat())
    logger.warning("released %s messages after a transient error: %s", len(messages), reason)


@dataclass
class _Outgoing:
    """A claimed message, rendered and built: the bytes to archive and what to hand over."""

    message: Message
    rendered: Rendered
    content: bytes
    content_type: str
    backend: str
    email: FrozenEmail | None = None
    sms: SmsMessage | None = None
    pages: int = 0

    @property
    def sent_backend(self) -> str:
        """The backend a sent event names (SMS backends by their alias)."""
        return self.backend if self.sms is None else f"sms:{self.backend}"

    @property
    def summary(self) -> str:
        """What the archive searches by words: the subject, or the SMS text."""
        if self.message.channel == "email":
            return self.rendered.subject
        return self.rendered.text[:500]


def _start_sending(outgoing: list[_Outgoing]) -> list[_Outgoing]:
    """Move the chunk from rendering to sending (renewing the claims) in one statement;
    returns those this worker still holds (a message whose claim was taken over is left
    to the worker that has it)."""
    if not outgoing:
        return []
    token = timezone.now()
    messages = [o.message for o in outgoing]
    moved = (
        _owned_all(messages)
        .filter(status=Status.RENDERING)
        .update(status=Status.SENDING, claimed_at=token)
    )
    if moved == len(messages):  # the usual case: this worker holds them all
        return outgoing
    held = set(
        Message.objects.filter(
            pk__in=[m.pk for m in messages], status=Status.SENDING, claimed_at=token
        ).values_list("pk", flat=True)
    )
    return [o for o in outgoing if o.message.pk in held]


# Marks what the provider accepted as sent and adds its events, in one statement (one
# round trip and one commit, where the ORM takes four): parallel arrays, one entry a message.
_RECORD_SENT_SQL = """
WITH marked AS (
    UPDATE channels_message AS m
    SET status = %(sent)s, sent_at = %(now)s, provider_message_id = p.provider_id,
        claimed_at = NULL, not_before = NULL
    FROM unnest(%(ids)s::bigint[], %(attempts)s::smallint[], %(provider_ids)s::text[])
        AS p(id, attempts, provider_id)
    WHERE m.id = p.id AND m.attempts = p.attempts AND m.status = ANY(%(open)s::text[])
    RETURNING m.id
), events AS (
    INSERT INTO channels_deliveryevent (message_id, kind, detail, at)
    SELECT e.id, %(kind)s,
        jsonb_build_object('backend', e.backend, 'provider_message_id', e.provider_id), %(now)s
    FROM unnest(%(ids)s::bigint[], %(backends)s::text[], %(provider_ids)s::text[])
        AS e(id, backend, provider_id)
)
SELECT count(*) FROM marked
"""


def _record_sent(sent: list[tuple[_Outgoing, str]]) -> None:
    """Mark sent what the provider accepted, with its events, in one commit.

    Also when the sweeper has taken a message back meanwhile but nobody claimed it again:
    the provider has it, so it is sent."""
    if not sent:
        return
    record = _sent_mark if connection.vendor == "postgresql" else _sent_mark_orm
    marked = record(sent, timezone.now())
    if marked < len(sent):
        logger.warning(
            "%s messages were sent after another worker claimed them; they may arrive twice",
            len(sent) - marked,
        )


def _sent_mark(sent: list[tuple[_Outgoing, str]], now: dt.datetime) -> int:
    """``_record_sent`` on PostgreSQL; returns how many messages this worker still held."""
    with connection.cursor() as cursor:
        cursor.execute(
            _RECORD_SENT_SQL,
            {
                "sent": Status.SENT,
                "open": [Status.SENDING, Status.QUEUED],
                "kind": DeliveryEvent.Kind.SENT,
                "now": now,
                "ids": [o.message.pk for o, _ in sent],
                "attempts": [o.message.attempts for o, _ in sent],
                "provider_ids": [provider_id for _, provider_id in sent],
                "backends": [o.sent_backend for o, _ in sent],
            },
        )
        (marked,) = cursor.fetchone()
    return int(marked)


def _sent_mark_orm(sent: list[tuple[_Outgoing, str]], now: dt.datetime) -> int:
    """``_record_sent`` on other databases."""
    provider_ids = Case(
        *(When(pk=o.message.pk, then=Value(provider_id)) for o, provider_id in sent),
        default=F("provider_message_id"),
    )
    with transaction.atomic():  # the status and its event together, in one commit
        marked = (
            _owned_all([o.message for o, _ in sent])
            .filter(status__in=[Status.SENDING, Status.QUEUED])
            .update(
                status=Status.SENT,
                sent_at=now,
                provider_message_id=provider_ids,
                claimed_at=None,
                not_before=None,
            )
        )
        DeliveryEvent.objects.bulk_create(
            DeliveryEvent(
                message=o.message,
                kind=DeliveryEvent.Kind.SENT,
                detail={"backend": o.sent_backend, "provider_message_id": provider_id},
            )
            for o, provider_id in sent
        )
    return marked


def _renew_claims(messages: list[Message]) -> None:
    """Tell the sweeper that this worker is alive and still has these messages."""
    _owned_all(messages).filter(status__in=Message.CLAIMED_STATUSES).update(
        claimed_at=timezone.now()
    )


def _recipient(message: Message) -> Recipient:
    lines = tuple(line.strip() for line in message.recipient.splitlines() if line.strip())
    return Recipient(name=message.recipient_name, address_lines=lines)


def message_render(message: Message) -> Rendered:
    return render(
        message.version,
        message.channel,
        message.locale,
        message.data,
        recipient=_recipient(message),
        letter_date=timezone.localdate(message.created_at),
    )


def message_id_for(message: Message) -> str:
    """The message's Message-ID (or SMS reference): stored, or derived from the message
    alone, so that two workers handling the same message can only agree on it."""
    if message.message_id:
        return message.message_id
    created = message.created_at.strftime("%Y%m%d%H%M%S%f")
    return f"<{created}.{message.pk}@{settings.CCM_MESSAGE_ID_DOMAIN}>"


def _message_id_fill() -> dict[str, Any]:
    """On PostgreSQL, what the claim sets ``message_id`` to: the stored id, or for a first
    attempt one derived in SQL exactly as ``message_id_for`` derives it."""
    if connection.vendor != "postgresql":
        return {}
    derived = Concat(
        Value("<"),
        Func(
            F("created_at"),
            template="to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSUS')",
            output_field=CharField(),
        ),
        Value("."),
        Cast("pk", CharField()),
        Value(f"@{settings.CCM_MESSAGE_ID_DOMAIN}>"),
        output_field=CharField(),
    )
    return {"message_id": Case(When(message_id="", then=derived), default=F("message_id"))}


def _message_ids_fix(messages: list[Message]) -> None:
    """Store the Message-ID of claimed messages that have none yet (first attempts) where
    the claim could not (databases other than PostgreSQL)."""
    new = [m for m in messages if not m.message_id]
    for message in new:
        message.message_id = message_id_for(message)
    if new:
        Message.objects.bulk_update(new, ["message_id"], batch_size=500)


def _email_list_headers(message: Message) -> dict[str, str]:
    """Marketing email carries one-click unsubscribe (RFC 8058, RFC 2369): mail clients
    POST to the signed URL, which withdraws the customer's marketing consent."""
    if message.version.communication.category != Communication.Category.MARKETING:
        return {}
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(message.pk)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _email_tracked(message: Message, rendered: Rendered) -> Rendered:
    """With tracking on (never for regulatory mail), the HTML whose links go through
    signed redirects, with an open pixel; this is what is archived and sent. The text
    part keeps the plain links."""
    if not message.version.communication.tracks_email:
        return rendered
    return replace(rendered, html=html_track(html_text=rendered.html, message_id=message.pk))


def _email_attachments(message: Message) -> list[tuple[str, bytes, str]]:
    """The letter of the same message as a PDF, when the communication asks for it:
    the print variant in the message's locale, addressed to the customer's postal
    address. Raises RenderError when there is no such variant."""
    communication = message.version.communication
    if not communication.email_attach_letter:
        return []
    address = message.customer.postal_address if message.customer is not None else ""
    letter = render(
        message.version,
        "print",
        message.locale,
        message.data,
        recipient=Recipient(
            name=message.recipient_name,
            address_lines=tuple(line.strip() for line in address.splitlines() if line.strip()),
        ),
        letter_date=timezone.localdate(message.created_at),
    )
    return [(f"{communication.key}.pdf", render_pdf(letter), "application/pdf")]


def _build(message: Message, rendered: Rendered) -> _Outgoing:
    """The artifact of one email or SMS as it will leave (letters: ``_build_letters``).
    Raises DeliveryError (permanent) for an SMS that may not go (number, country, length)."""
    if message.channel == "email":
        communication = message.version.communication
        email = email_build(
            rendered=_email_tracked(message, rendered),
            to=message.recipient,
            to_name=message.recipient_name,
            from_email=communication.brand.email_sender,
            message_id=message.message_id,
            extra_headers=_email_list_headers(message),
            reply_to=communication.email_reply_to_address,
            attachments=_email_attachments(message),
        )
        # ESPs (through anymail) echo this back in their tracking events.
        email.metadata = {"ccm_message_id": str(message.pk)}  # type: ignore[attr-defined]
        return _Outgoing(
            message, rendered, email.as_bytes(), "message/rfc822", settings.EMAIL_BACKEND, email
        )
    sms = sms_build(
        communication=message.version.communication,
        to=message.recipient,
        text=rendered.text,
        reference=message.message_id,
    )
    alias = "default"
    return _Outgoing(message, rendered, rendered.text.encode("utf-8"), "text/plain", alias, sms=sms)


def _build_letters(letters: list[tuple[Message, Rendered]]) -> list[_Outgoing]:
    """The chunk's letters as PDFs, written together (``render_pdfs``); a letter that
    cannot be rendered fails on its own."""
    pdfs = render_pdfs([rendered for _, rendered in letters])
    built = []
    for (message, rendered), pdf in zip(letters, pdfs, strict=True):
        if isinstance(pdf, RenderError):
            _fail(message, f"render: {pdf}")
            continue
        built.append(
            _Outgoing(
                message, rendered, pdf.content, "application/pdf", "print:default", pages=pdf.pages
            )
        )
    return built


def _archive(outgoing: list[_Outgoing]) -> None:
    """Archive the chunk in one write before anything leaves. A message archived by an
    earlier attempt (its worker died after archiving) keeps its entry, and its email is
    sent as those archived bytes, not as the newly built ones (Date, MIME boundaries)."""
    entries = archive_records_create(
        records=[
            ArchiveRecord(
                content=o.content,
                content_type=o.content_type,
                message=o.message,
                version=o.message.version,
                channel=o.message.channel,
                locale=o.message.locale,
                recipient=o.message.recipient,
                recipient_name=o.message.recipient_name,
                subject=o.summary,
                data=o.message.data,
                customer=o.message.customer,
                backend=o.backend,
                message_reference=o.message.message_id,
            )
            for o in outgoing
        ]
    )
    for o, entry in zip(outgoing, entries, strict=True):
        if o.email is not None and entry.artifact_sha256 != hashlib.sha256(o.content).hexdigest():
            o.email.send_as(artifact_read(entry=entry))


def _email_connection_open() -> Any:
    connection = get_connection()
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP: {exc}", permanent=False) from exc
    return connection


def _send_email(email: FrozenEmail, connection: Any) -> str:
    """Hand one email to the connection; returns the provider's id (the Message-ID when
    the provider has none of its own)."""
    limiter().wait("email", settings.CCM_EMAIL_RATE_LIMIT)
    try:
        connection.send_messages([email])
    except smtplib.SMTPRecipientsRefused as exc:
        raise RecipientRejected(f"recipient refused: {exc.recipients}") from exc
    except smtplib.SMTPDataError as exc:
        raise DeliveryError(
            f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=500 <= exc.smtp_code < 600
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP: {exc}", permanent=False) from exc
    status = getattr(email, "anymail_status", None)
    return str(
        (status.message_id if status is not None else None) or email.extra_headers["Message-ID"]
    )


def _send_sms(sms: SmsMessage, backend: Any) -> str:
    sms_throttle(backend_alias=backend.alias, sender=sms.sender)
    (result,) = backend.send([sms])
    return str(result.provider_message_id)


def _letters_await_print(letters: list[_Outgoing]) -> None:
    if not letters:
        return
    by_pages: dict[int, list[Message]] = {}
    for o in letters:
        by_pages.setdefault(o.pages, []).append(o.message)
    for pages, messages in by_pages.items():
        _owned_all(messages).filter(status=Status.SENDING).update(
            status=Status.AWAITING_PRINT, claimed_at=None, pages=pages
        )
    DeliveryEvent.objects.bulk_create(
        DeliveryEvent(message=o.message, kind=DeliveryEvent.Kind.RENDERED) for o in letters
    )


def _fail_permanently(message: Message, exc: DeliveryError) -> None:
    """A permanent failure: the message fails with the reason, a refused recipient is
    suppressed, and the customer's next channel gets the communication."""
    if not _fail(message, str(exc)):
        return
    if isinstance(exc, RecipientRejected):
        suppression_add(
            channel=message.channel,
            address=message.recipient,
            reason=Suppression.Reason.HARD_BOUNCE,
            note=str(exc),
        )
    message_fallback(message=message)


def messages_send(*, message_ids: list[int]) -> None:
    """Send the given messages that are still queued; others are left alone.

    The chunk is rendered and built first, moved to ``sending`` and archived in one write
    each, then handed over one by one on one connection, and recorded in one write.

    Raises DeliveryError(permanent=False) after a transient failure (SMTP server down,
    SMS gateway unreachable); the messages not yet sent are queued again first, each not
    before its back-off, and ``messages_release_due`` enqueues them when it has passed.
    """
    messages = _claim(message_ids)
    if not messages:
        return
    built: list[_Outgoing] = []
    letters: list[tuple[Message, Rendered]] = []
    for message in messages:
        if message.attempts > settings.CCM_MAX_ATTEMPTS:
            _fail(message, f"gave up after {message.attempts - 1} attempts")
            continue
        try:
            rendered = message_render(message)
            if message.channel == "print":
                letters.append((message, rendered))
            else:
                built.append(_build(message, rendered))
        except RenderError as exc:
            _fail(message, f"render: {exc}")
        except DeliveryError as exc:
            _fail_permanently(message, exc)
    built.extend(_build_letters(letters))
    outgoing = _start_sending(built)
    _archive(outgoing)
    _letters_await_print([o for o in outgoing if o.message.channel == "print"])
    _hand_over([o for o in outgoing if o.message.channel != "print"])
    callbacks_for_messages(message_ids=[m.pk for m in messages])
    for batch_id in {m.batch_id for m in messages if m.batch_id}:
        batch_finalize(batch_id=batch_id)


class _Connections:
    """Connections to one provider for a chunk: opened as they are needed, each used by
    one sending thread at a time, all closed at the end."""

    def __init__(self, opener: Callable[[], Any]) -> None:
        self._opener = opener
        self._free: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._opened: list[Any] = []

    @contextmanager
    def one(self) -> Iterator[Any]:
        try:
            provider = self._free.get_nowait()
        except queue.Empty:
            provider = self._opener()
            self._opened.append(provider)
        try:
            yield provider
        finally:
            self._free.put(provider)

    def close(self) -> None:
        for provider in self._opened:
            provider.close()


class _InThisThread(Executor):
    """Runs each call at once in the calling thread: one connection needs no thread."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to whoever reads the result, as a pool does
            future.set_exception(exc)
        return future


def _sms_session_open(alias: str) -> Any:
    backend = sms_backends[alias]
    backend.open()
    return backend


def _send_one(item: _Outgoing, connections: _Connections, stopped: threading.Event) -> str | None:
    """Hand one email or SMS over (in a sending thread); returns the provider's id, or
    None when the hand-over had stopped before this one started. A transient error stops
    it (``stopped``), before it reaches the thread that records."""
    if stopped.is_set():
        return None
    log_context_bind(message_id=item.message.pk, batch_id=item.message.batch_id)
    try:
        with connections.one() as provider:
            if item.email is not None:
                return _send_email(item.email, provider)
            return _send_sms(cast(SmsMessage, item.sms), provider)
    except DeliveryError as exc:
        if not exc.permanent:
            stopped.set()
        raise


def _hand_over(outgoing: list[_Outgoing]) -> None:
    """Hand the chunk's emails, then its SMS, to their providers and record what was sent.

    Emails go out on up to CCM_EMAIL_CONNECTIONS connections at once (each an SMTP
    connection or an ESP's HTTP session); an SMS backend is one session, used by one
    thread. Raises DeliveryError(permanent=False) after a transient failure, once every
    message not handed over is queued again (``_release``)."""
    emails = [o for o in outgoing if o.email is not None]
    texts = [o for o in outgoing if o.sms is not None]
    sms_alias = texts[0].backend if texts else "default"
    groups = [
        (emails, _email_connection_open, settings.CCM_EMAIL_CONNECTIONS),
        (texts, lambda: _sms_session_open(sms_alias), 1),
    ]
    for position, (items, opener, threads) in enumerate(groups):
        connections = _Connections(opener)
        try:
            unsent, error = _hand_over_on(items, connections, max(1, threads))
        finally:
            connections.close()
        if error is not None:
            later = [o for group in groups[position + 1 :] for o in group[0]]
            _release([o.message for o in unsent + later], str(error))
            raise error


def _hand_over_on(
    items: list[_Outgoing], connections: _Connections, threads: int
) -> tuple[list[_Outgoing], DeliveryError | None]:
    """Send ``items`` on up to ``threads`` connections at once, each reused for the chunk,
    so that one provider's round trips overlap another's.

    This thread records what was sent (``_record_sent``) while the next messages are on
    their way, and never lets more than CCM_SENT_RECORD_EVERY messages be handed over
    and not recorded: a worker that dies leaves at most that many, which will be sent
    again. A permanent failure fails its message (and falls back to the next channel).
    After a transient one nothing more is started; returns what was not sent, with the
    error (None when all went)."""
    window = max(1, settings.CCM_SENT_RECORD_EVERY)
    # One connection: each message is sent in this thread, and a full window recorded
    # (sending would wait for the record anyway). With more, the whole window is queued
    # for the sending threads, and half of it recorded while they send the other half.
    queued_at_most = 1 if threads == 1 else window
    record_at = window if threads == 1 else max(1, window // 2)
    stopped = threading.Event()
    waiting = deque(items)
    running: dict[Future[str | None], _Outgoing] = {}
    sent: list[tuple[_Outgoing, str]] = []
    unsent: list[_Outgoing] = []
    error: DeliveryError | None = None
    renewed = time.monotonic()
    pool: Executor = (
        ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ccm-send")
        if threads > 1
        else _InThisThread()
    )
    try:
        while running or (waiting and error is None):
            while (
                waiting
                and error is None
                and len(running) < queued_at_most
                and len(running) + len(sent) < window
            ):
                item = waiting.popleft()
                send = contextvars.copy_context().run
                running[pool.submit(send, _send_one, item, connections, stopped)] = item
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                item = running.pop(future)
                try:
                    provider_id = future.result()
                except DeliveryError as exc:
                    if exc.permanent:
                        _fail_permanently(item.message, exc)
                    else:
                        error = error or exc
                        unsent.append(item)
                    continue
                if provider_id is None:  # not started: a transient error had stopped it
                    unsent.append(item)
                else:
                    sent.append((item, provider_id))
            finished = not running and not (waiting and error is None)
            if len(sent) >= record_at or (sent and finished):
                _record_sent(sent)
                sent.clear()
            if time.monotonic() - renewed > settings.CCM_CLAIM_TIMEOUT_SECONDS / 3:
                _renew_claims([o.message for o in [*running.values(), *waiting]])
                renewed = time.monotonic()
    finally:
        # After an unexpected error: nothing more starts, what is on its way finishes
        # and is recorded with the rest of what was sent.
        stopped.set()
        pool.shutdown(wait=True, cancel_futures=True)
        for future, item in running.items():
            if future.done() and not future.cancelled() and future.exception() is None:
                provider_id = future.result()
                if provider_id is not None:
                    sent.append((item, provider_id))
        _record_sent(sent)
    return unsent + list(waiting), error


def message_fallback(*, message: Message) -> Message | None:
    """After a permanent failure, queue the same communication on the customer's next
    channel (e.g. the letter after a hard bounce), recorded on both messages. Returns the
    new message, or None when no channel is left."""
    if message.customer is None:
        return None
    tried = set()
    link: Message | None = message
    while link is not None:
        tried.add(link.channel)
        link = link.fallback_of
    communication = message.version.communication
    context = row_context(
        rows=[{"customer_id": message.customer.external_id}], communication=communication
    )
    try:
        route = route_choose(
            communication=communication,
            customer=message.customer,
            row={"locale": message.locale},
            available=available_channels(message.version),
            consented=message.customer.pk in context.consented,
            suppressed=context.suppressed,
            exclude=tried,
        )
    except (RowError, Suppressed):
        return None
    with transaction.atomic():
        fallback = Message.objects.create(
            batch=message.batch,
            version=message.version,
            customer=message.customer,
            row_number=message.row_number,
            channel=route.channel,
            locale=route.locale,
            recipient=route.recipient,
            recipient_name=route.recipient_name,
            data=message.data,
            requested_by=message.requested_by,
            fallback_of=message,
        )
        _event(
            message,
            DeliveryEvent.Kind.FALLBACK,
            to_channel=route.channel,
            fallback_message=fallback.pk,
        )
        transaction.on_commit(lambda: _enqueue_send([fallback.pk]))
    return fallback


def _enqueue_send(ids: list[int]) -> None:
    from channels.tasks import messages_send as messages_send_task

    messages_send_task.delay(ids)


# Messages one sweep enqueues at most; the next sweep takes the rest.
_SWEEP_LIMIT = 100_000


def messages_release_due() -> int:
    """Enqueue queued messages whose time has come (scheduled sends, ends of quiet hours).
    Clearing ``not_before`` marks them released, so each is enqueued once."""
    now = timezone.now()
    due = Message.objects.filter(status=Status.QUEUED, not_before__lte=now).exclude(
        batch__status__in=[Batch.Status.CANCELLED]
    )
    ids = list(due.order_by("id").values_list("id", flat=True)[:_SWEEP_LIMIT])
    Message.objects.filter(id__in=ids, status=Status.QUEUED).update(not_before=None)
    for start in range(0, len(ids), settings.CCM_CHUNK_SIZE):
        _enqueue_send(ids[start : start + settings.CCM_CHUNK_SIZE])
    return len(ids)


def messages_requeue_stuck() -> int:
    """Take back what dead workers and a lost broker left behind, and enqueue it again.

    - Messages claimed longer ago than CCM_CLAIM_TIMEOUT_SECONDS: their worker died. One
      that was being sent may have reached its recipient; that is recorded on it.
    - When the broker holds no task: messages still queued, due, and older than the
      timeout (their tasks were lost with the broker), and batches never dispatched.

    Also closes batches whose last chunk finished without closing them. Returns the
    number of messages enqueued again.
    """
    cutoff = timezone.now() - timedelta(seconds=settings.CCM_CLAIM_TIMEOUT_SECONDS)
    ids = _take_back_claimed(cutoff)
    if not any(broker_queue_sizes().values()):
        ids += _orphaned(cutoff)
        for batch_id in Batch.objects.filter(
            status=Batch.Status.QUEUED, created_at__lt=cutoff
        ).values_list("id", flat=True):
            batch_dispatch_enqueue(batch_id)
    for start in range(0, len(ids), settings.CCM_CHUNK_SIZE):
        _enqueue_send(ids[start : start + settings.CCM_CHUNK_SIZE])
    for batch_id in Batch.objects.filter(status=Batch.Status.RUNNING).values_list("id", flat=True):
        batch_finalize(batch_id=batch_id)
    return len(ids)


def _take_back_claimed(cutoff: dt.datetime) -> list[int]:
    stuck = list(
        Message.objects.filter(status__in=Message.CLAIMED_STATUSES, claimed_at__lt=cutoff)
        .order_by("id")
        .values_list("id", "status", "channel")[:_SWEEP_LIMIT]
    )
    taken: list[int] = []
    events = []
    for message_id, status, channel in stuck:
        # Conditional on the state read: a worker that finished meanwhile keeps its result.
        if not Message.objects.filter(pk=message_id, status=status, claimed_at__lt=cutoff).update(
            status=Status.QUEUED, claimed_at=None
        ):
            continue
        taken.append(message_id)
        if status == Status.SENDING and channel != "print":
            reason = _("its worker stopped while sending: the recipient may get it twice")
            events.append(
                DeliveryEvent(
                    message_id=message_id,
                    kind=DeliveryEvent.Kind.RETRY,
                    detail={"reason": str(reason), "possible_duplicate": True},
                )
            )
    DeliveryEvent.objects.bulk_create(events)
    if taken:
        logger.warning("took back %s messages from workers that stopped", len(taken))
    return taken


def _orphaned(cutoff: dt.datetime) -> list[int]:
    """Queued messages that no task will ever pick up: the broker lost their tasks."""
    return list(
        Message.objects.filter(
            status=Status.QUEUED,
            not_before__isnull=True,
            created_at__lt=cutoff,
        )
        .filter(Q(batch__isnull=True) | Q(batch__status=Batch.Status.RUNNING))
        .order_by("id")
        .values_list("id", flat=True)[:_SWEEP_LIMIT]
    )
