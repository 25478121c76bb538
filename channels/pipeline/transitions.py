"""The per-message state machine and the events it writes: one function per transition
or event, and the only place that writes ``DeliveryEvent`` rows.

    queued → rendering (claim) → sending → sent → delivered
                 │                   │      └──→ failed (bounce) → fallback
                 │                   └──→ awaiting_print → sent (printed)
                 └──→ failed / queued again (deferred, retry, taken back)

Writes after a claim are fenced by it (``claims.owned``): each returns or counts what
this worker still held.
"""

import datetime as dt
import logging
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import DeliveryEvent, Message, PrintFile
from channels.pipeline.claims import owned, owned_all

logger = logging.getLogger(__name__)
Status = Message.Status
Kind = DeliveryEvent.Kind


def message_accepted(message: Message) -> None:
    DeliveryEvent.objects.create(message=message, kind=Kind.ACCEPTED)


def messages_cancelled(message_ids: list[int]) -> None:
    """The events of messages a cancelled batch took back (their status already set)."""
    DeliveryEvent.objects.bulk_create(
        DeliveryEvent(message_id=i, kind=Kind.CANCELLED) for i in message_ids
    )


def message_deferred(message: Message, *, until: dt.datetime) -> None:
    """A claimed message waits, queued, until ``until`` (the recipient's quiet hours)."""
    if owned(message).update(status=Status.QUEUED, claimed_at=None, not_before=until):
        DeliveryEvent.objects.create(
            message=message, kind=Kind.DEFERRED, detail={"until": until.isoformat()}
        )


def message_failed(message: Message, reason: str) -> bool:
    """Fail the message for good; False when this worker no longer holds it."""
    if not owned(message).update(status=Status.FAILED, last_error=reason, claimed_at=None):
        return False
    DeliveryEvent.objects.create(message=message, kind=Kind.FAILED, detail={"reason": reason})
    return True


def message_fallback_recorded(message: Message, *, fallback: Message) -> None:
    DeliveryEvent.objects.create(
        message=message,
        kind=Kind.FALLBACK,
        detail={"to_channel": fallback.channel, "fallback_message": fallback.pk},
    )


def retry_delay(attempts: int) -> timedelta:
    """Back-off after a transient failure: 30 s, 1, 2, 4 minutes... at most an hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def messages_retry(messages: list[Message], *, reason: str) -> None:
    """Put claimed messages that were not finished back in the queue after a transient
    error, each not before its back-off (``messages_release_due`` enqueues it then)."""
    now = timezone.now()
    for message in messages:
        until = now + retry_delay(message.attempts)
        released = (
            owned(message)
            .filter(status__in=Message.CLAIMED_STATUSES)
            .update(status=Status.QUEUED, claimed_at=None, not_before=until, last_error=reason)
        )
        if released:
            DeliveryEvent.objects.create(
                message=message,
                kind=Kind.RETRY,
                detail={"reason": reason, "until": until.isoformat()},
            )
    logger.warning("released %s messages after a transient error: %s", len(messages), reason)


def messages_sending(messages: list[Message]) -> list[Message]:
    """Move rendered messages to sending (renewing the claims) in one statement; returns
    those this worker still holds (one whose claim was taken over is left to the worker
    that has it)."""
    if not messages:
        return []
    token = timezone.now()
    moved = (
        owned_all(messages)
        .filter(status=Status.RENDERING)
        .update(status=Status.SENDING, claimed_at=token)
    )
    if moved == len(messages):  # the usual case: this worker holds them all
        return messages
    held = set(
        Message.objects.filter(
            pk__in=[m.pk for m in messages], status=Status.SENDING, claimed_at=token
        ).values_list("pk", flat=True)
    )
    return [m for m in messages if m.pk in held]


# Marks what the provider accepted as sent and adds its events, in one statement (one
# round trip and one commit, where the ORM takes four): parallel arrays, one entry a message.
_SENT_SQL = """
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


def messages_sent(sent: list[tuple[Message, str, str]]) -> None:
    """Mark sent what the provider accepted, given as (message, backend, provider id),
    with its events, in one commit.

    Also when the sweeper has taken a message back meanwhile but nobody claimed it again:
    the provider has it, so it is sent. On PostgreSQL one statement (``_SENT_SQL``), the
    fast path of every chunk; elsewhere the same with the ORM."""
    if not sent:
        return
    now = timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                _SENT_SQL,
                {
                    "sent": Status.SENT,
                    "open": [Status.SENDING, Status.QUEUED],
                    "kind": Kind.SENT,
                    "now": now,
                    "ids": [m.pk for m, _, _ in sent],
                    "attempts": [m.attempts for m, _, _ in sent],
                    "provider_ids": [provider_id for _, _, provider_id in sent],
                    "backends": [backend for _, backend, _ in sent],
                },
            )
            (marked,) = cursor.fetchone()
    else:
        provider_ids = Case(
            *(When(pk=m.pk, then=Value(provider_id)) for m, _, provider_id in sent),
            default=F("provider_message_id"),
        )
        with transaction.atomic():  # the status and its event together, in one commit
            marked = (
                owned_all([m for m, _, _ in sent])
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
                    message=m,
                    kind=Kind.SENT,
                    detail={"backend": backend, "provider_message_id": provider_id},
                )
                for m, backend, provider_id in sent
            )
    if int(marked) < len(sent):
        logger.warning(
            "%s messages were sent after another worker claimed them; they may arrive twice",
            len(sent) - int(marked),
        )


def messages_awaiting_print(letters: list[tuple[Message, int]]) -> None:
    """Letters rendered and archived, given as (message, pages), wait for a print run."""
    if not letters:
        return
    by_pages: dict[int, list[Message]] = {}
    for message, pages in letters:
        by_pages.setdefault(pages, []).append(message)
    for pages, messages in by_pages.items():
        owned_all(messages).filter(status=Status.SENDING).update(
            status=Status.AWAITING_PRINT, claimed_at=None, pages=pages
        )
    DeliveryEvent.objects.bulk_create(
        DeliveryEvent(message=message, kind=Kind.RENDERED) for message, _ in letters
    )


def messages_printed(*, print_file: PrintFile, letters: list[tuple[Message, int, int]]) -> None:
    """Letters handed over in ``print_file``, given as (message, pages, sheets), are sent."""
    Message.objects.filter(id__in=[m.pk for m, _, _ in letters]).update(
        status=Status.SENT, sent_at=timezone.now()
    )
    DeliveryEvent.objects.bulk_create(
        DeliveryEvent(
            message=message,
            kind=Kind.PRINTED,
            detail={"print_file": print_file.pk, "pages": pages, "sheets": sheets},
        )
        for message, pages, sheets in letters
    )


def messages_taken_back(stuck: list[tuple[int, str, bool]], *, cutoff: dt.datetime) -> list[int]:
    """Queue again messages whose claim is older than ``cutoff``, given as (id, status
    read, handed over in sending): a worker that finished meanwhile keeps its result.
    One that was being handed over may have reached its recipient: a ``retry`` event
    says so. Returns the ids taken back."""
    taken: list[int] = []
    events = []
    for message_id, status, handed_over in stuck:
        if not Message.objects.filter(pk=message_id, status=status, claimed_at__lt=cutoff).update(
            status=Status.QUEUED, claimed_at=None
        ):
            continue
        taken.append(message_id)
        if status == Status.SENDING and handed_over:
            reason = _("its worker stopped while sending: the recipient may get it twice")
            events.append(
                DeliveryEvent(
                    message_id=message_id,
                    kind=Kind.RETRY,
                    detail={"reason": str(reason), "possible_duplicate": True},
                )
            )
    DeliveryEvent.objects.bulk_create(events)
    return taken


# EVENTS AFTER SENDING -------------------------------------------------------------------

_SENT_STATES = (Status.SENT, Status.DELIVERED)


def provider_event_record(
    *, message: Message, kind: str, detail: dict[str, Any]
) -> tuple[DeliveryEvent, bool]:
    """A provider's event on ``message``: delivered moves a sent message on, a bounce or
    a failure fails a sent or delivered one. Returns the event and whether the message
    failed by it."""
    event = DeliveryEvent.objects.create(message=message, kind=kind, detail=detail)
    failed = False
    if kind == Kind.DELIVERED:
        Message.objects.filter(pk=message.pk, status=Status.SENT).update(status=Status.DELIVERED)
    elif kind in (Kind.BOUNCED, Kind.FAILED):
        reason = str(detail.get("reason") or detail.get("description") or kind)
        failed = bool(
            Message.objects.filter(pk=message.pk, status__in=_SENT_STATES).update(
                status=Status.FAILED, last_error=f"{kind}: {reason}"[:1000]
            )
        )
    return event, failed


def message_unsubscribed(message: Message) -> None:
    DeliveryEvent.objects.create(
        message=message, kind=Kind.UNSUBSCRIBED, detail={"source": "one_click"}
    )


def message_opened(*, message: Message) -> DeliveryEvent:
    """An open (the pixel loaded): one ``opened`` event per message, whose ``count``
    grows with each later load (mail clients and proxies load images more than once)."""
    with transaction.atomic():
        Message.objects.select_for_update().filter(pk=message.pk).first()
        event = message.events.filter(kind=Kind.OPENED).first()
        if event is None:
            return DeliveryEvent.objects.create(
                message=message, kind=Kind.OPENED, detail={"count": 1}
            )
        event.detail = {**event.detail, "count": int(event.detail.get("count", 1)) + 1}
        event.save(update_fields=["detail"])
        return event


def message_clicked(*, message: Message, url: str) -> DeliveryEvent:
    """A click on a tracked link: one ``clicked`` event per click, naming the link."""
    return DeliveryEvent.objects.create(message=message, kind=Kind.CLICKED, detail={"url": url})
