"""Claims: which worker holds a message, and the fence on every later write.

A message is claimed with a conditional update (SKIP LOCKED on PostgreSQL) that moves it
to ``rendering`` and increments ``attempts``; every later write of the worker is fenced by
that number (``owned``, ``owned_all``), so a worker that lost its claim (the sweeper took
the message back after CCM_CLAIM_TIMEOUT_SECONDS and another worker claimed it) changes
nothing.

The Message-ID (or SMS reference) is derived from the message itself and stored by the
first claim, so two workers handling the same message can only agree on it.
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, Case, CharField, F, Func, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from channels.models import Message
from templates_store.models import TemplateVersion

Status = Message.Status


def messages_claim(*, message_ids: Iterable[int], now: dt.datetime) -> list[Message]:
    """Claim the given messages that are queued and due; returns them (by id, with their
    customer and version read), their Message-IDs stored."""
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
            **_message_id_derived_in_sql(),
        )
    claimed = list(Message.objects.filter(id__in=ids).select_related("customer").order_by("id"))
    _message_ids_store(claimed)
    # A chunk's messages share a version or a few: each is read once, with its variants,
    # and the messages share it.
    versions = (
        TemplateVersion.objects.select_related("communication__brand")
        .prefetch_related("variants")
        .in_bulk({m.version_id for m in claimed})
    )
    for message in claimed:
        message.version = versions[message.version_id]
    return claimed


def owned(message: Message) -> QuerySet[Message]:
    """The message as long as this worker's claim on it stands."""
    return Message.objects.filter(pk=message.pk, attempts=message.attempts)


# Conditions over arrays of a chunk's values (PostgreSQL).
_OWNED_SQL = (
    '("channels_message"."id", "channels_message"."attempts") IN '
    "(SELECT * FROM unnest(%s::bigint[], %s::smallint[]))"
)


def owned_all(messages: list[Message]) -> QuerySet[Message]:
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


def claims_renew(messages: list[Message]) -> None:
    """Tell the sweeper that this worker is alive and still has these messages."""
    owned_all(messages).filter(status__in=Message.CLAIMED_STATUSES).update(
        claimed_at=timezone.now()
    )


# MESSAGE-ID -----------------------------------------------------------------------------
# Derived from the message row alone, in Python (``message_id_for``) and, so that the claim
# stores it in the same statement on PostgreSQL, in SQL (``_message_id_derived_in_sql``):
# the two must derive the very same id.


def message_id_for(message: Message) -> str:
    """The message's Message-ID (or SMS reference): stored, or derived from the message
    alone, so that two workers handling the same message can only agree on it."""
    if message.message_id:
        return message.message_id
    created = message.created_at.strftime("%Y%m%d%H%M%S%f")
    return f"<{created}.{message.pk}@{settings.CCM_MESSAGE_ID_DOMAIN}>"


def _message_id_derived_in_sql() -> dict[str, Any]:
    """On PostgreSQL, what the claim sets ``message_id`` to: the stored id, or for a first
    attempt one derived exactly as ``message_id_for`` derives it. Elsewhere nothing
    (``_message_ids_store`` stores them after the claim)."""
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


def _message_ids_store(messages: list[Message]) -> None:
    """Store the Message-ID of claimed messages that have none yet (first attempts) where
    the claim could not (databases other than PostgreSQL)."""
    new = [m for m in messages if not m.message_id]
    for message in new:
        message.message_id = message_id_for(message)
    if new:
        Message.objects.bulk_update(new, ["message_id"], batch_size=500)
