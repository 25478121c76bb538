"""Messages per day, channel and state; rates; fallbacks; print volumes; cost estimates;
the channel x topic matrix and the versions side by side."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    Avg,
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, Length, TruncDate

from ccm.vocabulary import Channel
from channels.models import DeliveryEvent
from compliance.models import ArchiveEntry
from insight.models import SurveyAnswer
from insight.selectors.counts import (
    CHANNELS,
    SENT_STATES,
    Kind,
    Scope,
    grouped_counts,
    percent,
    rows_by,
    summary,
)


def figures_daily(*, scope: Scope) -> list[dict[str, Any]]:
    """Messages per day (of creation), channel and state."""
    return [
        dict(row)
        for row in scope.messages()
        .annotate(day=TruncDate("created_at"))
        .values("day", "channel", "status")
        .annotate(messages=Count("id"))
        .order_by("day", "channel", "status")
    ]


def figures_channels(*, scope: Scope) -> list[dict[str, Any]]:
    """Per channel: counts and rates; a last row ``channel="all"`` adds them up."""
    rows = grouped_counts(scope.messages())
    by_channel = {r["channel"]: r for r in rows}
    result = [
        {"channel": channel, **summary([by_channel[channel]])}
        for channel in CHANNELS
        if channel in by_channel
    ]
    return [*result, {"channel": "all", **summary(rows)}]


def figures_fallbacks(*, scope: Scope) -> list[dict[str, Any]]:
    """Messages sent on another channel because the first failed (e.g. email to letter)."""
    return [
        {"from_channel": r["fallback_of__channel"], "to_channel": r["channel"], "messages": r["n"]}
        for r in scope.messages()
        .filter(fallback_of__isnull=False)
        .values("fallback_of__channel", "channel")
        .annotate(n=Count("id"))
        .order_by("fallback_of__channel", "channel")
    ]


def figures_print(*, scope: Scope) -> dict[str, Any]:
    """Letters put into print files, their pages, and the sheets printed (as print
    production recorded them; else both sides when ``CCM_PRINT_DUPLEX``)."""
    pages = Coalesce(Cast(KT("detail__pages"), IntegerField()), Value(1))
    # The sheets print production recorded; worked out from the pages where it did not.
    sheets = Coalesce(
        Cast(KT("detail__sheets"), IntegerField()),
        ExpressionWrapper((pages + 1) / 2, output_field=IntegerField())
        if settings.CCM_PRINT_DUPLEX
        else pages,
    )
    totals = DeliveryEvent.objects.filter(
        kind=Kind.PRINTED, message__in=scope.messages()
    ).aggregate(
        letters=Count("message", distinct=True),
        print_files=Count(KT("detail__print_file"), distinct=True),
        pages=Coalesce(Sum(pages), 0),
        sheets=Coalesce(Sum(sheets), 0),
    )
    return {**totals, "duplex": bool(settings.CCM_PRINT_DUPLEX)}


def _sms_segments(*, scope: Scope, sent: int) -> int:
    """SMS segments, estimated from the archived text's length (GSM-7 160/153 characters,
    Japanese UCS-2 70/67); a sent SMS with no archived text counts as one segment."""
    length = Length("subject")
    ucs2 = Q(locale__startswith="ja")
    segments = Case(
        When(ucs2 & Q(text_length__lte=70), then=Value(1)),
        When(ucs2, then=(F("text_length") + 66) / 67),
        When(text_length__lte=160, then=Value(1)),
        default=(F("text_length") + 152) / 153,
        output_field=IntegerField(),
    )
    sent_sms = (
        scope.messages()
        .filter(channel=Channel.SMS)
        .filter(Q(status__in=SENT_STATES) | Q(events__kind=Kind.SENT))
        .values("pk")
    )
    archived = (
        ArchiveEntry.objects.filter(message__in=sent_sms, is_test=False)
        .annotate(text_length=length)
        .aggregate(messages=Count("message", distinct=True), segments=Coalesce(Sum(segments), 0))
    )
    return int(archived["segments"]) + max(sent - int(archived["messages"]), 0)


def unit_prices() -> dict[str, Decimal]:
    return {name: Decimal(str(value)) for name, value in settings.CCM_INSIGHT_PRICES.items()}


def figures_costs(
    *,
    scope: Scope,
    channels: list[dict[str, Any]] | None = None,
    printing: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Estimated cost per channel from the unit prices in ``CCM_INSIGHT_PRICES``."""
    channels = channels if channels is not None else figures_channels(scope=scope)
    printing = printing if printing is not None else figures_print(scope=scope)
    prices = unit_prices()
    sent = {r["channel"]: r["sent"] for r in channels}
    sms_segments = (
        _sms_segments(scope=scope, sent=sent.get(Channel.SMS, 0)) if sent.get(Channel.SMS) else 0
    )
    lines = [
        (Channel.EMAIL, "email", sent.get(Channel.EMAIL, 0), prices["email"]),
        (Channel.SMS, "sms_segment", sms_segments, prices["sms_segment"]),
        (Channel.PRINT, "print_sheet", printing["sheets"], prices["print_sheet"]),
        (Channel.PRINT, "postage", printing["letters"], prices["postage"]),
    ]
    rows = [
        {
            "channel": channel,
            "unit": unit,
            "units": units,
            "unit_price": price,
            "cost": (price * units).quantize(Decimal("0.01"), ROUND_HALF_UP),
        }
        for channel, unit, units, price in lines
    ]
    total = sum((r["cost"] for r in rows), Decimal("0.00"))
    return [
        *rows,
        {"channel": "all", "unit": "", "units": None, "unit_price": None, "cost": total},
    ]


def figures_matrix(*, scope: Scope) -> list[dict[str, Any]]:
    """Channel x topic (the communication's purpose): volumes and response rates."""
    rows = grouped_counts(scope.messages(), "version__communication__purpose")
    result = []
    for (purpose,), group in sorted(rows_by(rows, "version__communication__purpose").items()):
        for row in group:
            result.append(
                {
                    "purpose": purpose,
                    "channel": row["channel"],
                    "sent": row["sent"],
                    "responded": row["responded"],
                    "response_rate": percent(row["responded"], row["sent"]),
                }
            )
    return result


def figures_versions(*, scope: Scope) -> list[dict[str, Any]]:
    """Rates per template version side by side (did the new wording do better?)."""
    rows = grouped_counts(scope.messages(), "version__communication__key", "version__number")
    answers: dict[tuple[str, int], dict[str, Any]] = {
        (r["message__version__communication__key"], r["message__version__number"]): dict(r)
        for r in SurveyAnswer.objects.filter(message__in=scope.messages())
        .values("message__version__communication__key", "message__version__number")
        .annotate(average=Avg("score"), answers=Count("id"))
    }
    result = []
    for (key, number), group in sorted(
        rows_by(rows, "version__communication__key", "version__number").items()
    ):
        answered: dict[str, Any] = answers.get((key, number), {})
        average = answered.get("average")
        result.append(
            {
                "communication": key,
                "version": number,
                **summary(group),
                "average_score": None if average is None else round(Decimal(average), 2),
            }
        )
    return result
