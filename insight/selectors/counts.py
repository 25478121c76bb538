"""The scope of a figure and the counts every figure is made of: each one aggregate query
over messages, events and answers (grouped in the database; Python only combines the few
grouped rows)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from ccm.vocabulary import Channel, MessageStatus
from channels.models import DeliveryEvent, Message
from insight.models import SurveyAnswer

Kind = DeliveryEvent.Kind
Status = MessageStatus

# The channels on which each rate can be measured (letters report no delivery, and only
# emails are tracked for opens and clicks).
RATE_CHANNELS: dict[str, tuple[str, ...]] = {
    "delivered": (Channel.EMAIL, Channel.SMS),
    "bounced": (Channel.EMAIL, Channel.SMS),
    "opened": (Channel.EMAIL,),
    "clicked": (Channel.EMAIL,),
    "responded": (Channel.EMAIL, Channel.SMS, Channel.PRINT),
}
RATE_NAMES = {
    "delivered": "delivery_rate",
    "bounced": "bounce_rate",
    "opened": "open_rate",
    "clicked": "click_rate",
    "responded": "response_rate",
}
COUNT_FIELDS = (
    "total",
    "sent",
    "delivered",
    "bounced",
    "opened",
    "clicked",
    "responded",
    "answered",
    "failed",
    "suppressed",
    "fallbacks",
)
CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.PRINT)
SENT_STATES = (Status.SENT, Status.DELIVERED)


@dataclass(frozen=True)
class Scope:
    """Which messages a figure covers: created between two days (inclusive, local time),
    of one communication and/or one batch."""

    start: dt.date | None = None
    end: dt.date | None = None
    communication_id: int | None = None
    batch_id: int | None = None

    def messages(self) -> QuerySet[Message]:
        qs = Message.objects.all()
        if self.start:
            qs = qs.filter(created_at__date__gte=self.start)
        if self.end:
            qs = qs.filter(created_at__date__lte=self.end)
        if self.communication_id:
            qs = qs.filter(version__communication_id=self.communication_id)
        if self.batch_id:
            qs = qs.filter(batch_id=self.batch_id)
        return qs


def _has(*kinds: str) -> Exists:
    return Exists(DeliveryEvent.objects.filter(message=OuterRef("pk"), kind__in=kinds))


def _flagged(qs: QuerySet[Message]) -> QuerySet[Message]:
    return qs.alias(
        ev_sent=_has(Kind.SENT, Kind.PRINTED),
        ev_delivered=_has(Kind.DELIVERED),
        ev_bounced=_has(Kind.BOUNCED),
        ev_opened=_has(Kind.OPENED),
        ev_clicked=_has(Kind.CLICKED),
        ev_answered=Exists(SurveyAnswer.objects.filter(message=OuterRef("pk"))),
    )


def _counts() -> dict[str, Any]:
    return {
        "total": Count("id"),
        "sent": Count("id", filter=Q(ev_sent=True) | Q(status__in=SENT_STATES)),
        "delivered": Count("id", filter=Q(ev_delivered=True) | Q(status=Status.DELIVERED)),
        "bounced": Count("id", filter=Q(ev_bounced=True)),
        "opened": Count("id", filter=Q(ev_opened=True)),
        "clicked": Count("id", filter=Q(ev_clicked=True)),
        "responded": Count("id", filter=Q(ev_clicked=True) | Q(ev_answered=True)),
        "answered": Count("id", filter=Q(ev_answered=True)),
        "failed": Count("id", filter=Q(status=Status.FAILED)),
        "suppressed": Count("id", filter=Q(status=Status.SUPPRESSED)),
        "fallbacks": Count("id", filter=Q(fallback_of__isnull=False)),
    }


def grouped_counts(qs: QuerySet[Message], *fields: str) -> list[dict[str, Any]]:
    """Counts per channel and ``fields``: one query."""
    group = ("channel", *fields)
    return list(_flagged(qs).values(*group).annotate(**_counts()).order_by(*group))


def percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """``part`` of ``whole`` in percent with one decimal, None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def summary(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Add up per-channel rows; each rate counts only the channels it is measured on."""
    rows = list(rows)
    result: dict[str, Any] = {name: sum(r[name] for r in rows) for name in COUNT_FIELDS}
    for metric, channels in RATE_CHANNELS.items():
        measured = [r for r in rows if r["channel"] in channels]
        result[RATE_NAMES[metric]] = percent(
            sum(r[metric] for r in measured), sum(r["sent"] for r in measured)
        )
    return result


def rows_by(rows: list[dict[str, Any]], *keys: str) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    grouped: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[tuple(row[k] for k in keys)].append(row)
    return grouped
