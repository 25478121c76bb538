"""Reads of the insight app: every figure is one aggregate query over messages, events and
answers (grouped in the database; Python only combines the few grouped rows)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    Avg,
    Case,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, Length, TruncDate

from channels.models import DeliveryEvent, Message
from compliance.models import ArchiveEntry
from insight.models import Goal, Survey, SurveyAnswer

Kind = DeliveryEvent.Kind
Status = Message.Status

# The channels on which each rate can be measured (letters report no delivery, and only
# emails are tracked for opens and clicks).
RATE_CHANNELS: dict[str, tuple[str, ...]] = {
    "delivered": ("email", "sms"),
    "bounced": ("email", "sms"),
    "opened": ("email",),
    "clicked": ("email",),
    "responded": ("email", "sms", "print"),
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
CHANNELS = ("email", "sms", "print")
_LEFT = (Status.SENT, Status.DELIVERED)


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
        "sent": Count("id", filter=Q(ev_sent=True) | Q(status__in=_LEFT)),
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


def _grouped(qs: QuerySet[Message], *fields: str) -> list[dict[str, Any]]:
    """Counts per channel and ``fields``: one query."""
    group = ("channel", *fields)
    return list(_flagged(qs).values(*group).annotate(**_counts()).order_by(*group))


def percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """``part`` of ``whole`` in percent with one decimal, None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _summary(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Add up per-channel rows; each rate counts only the channels it is measured on."""
    rows = list(rows)
    result: dict[str, Any] = {name: sum(r[name] for r in rows) for name in COUNT_FIELDS}
    for metric, channels in RATE_CHANNELS.items():
        measured = [r for r in rows if r["channel"] in channels]
        result[RATE_NAMES[metric]] = percent(
            sum(r[metric] for r in measured), sum(r["sent"] for r in measured)
        )
    return result


def _by(rows: list[dict[str, Any]], *keys: str) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    grouped: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[tuple(row[k] for k in keys)].append(row)
    return grouped


# THE FIGURES ----------------------------------------------------------------------------


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
    rows = _grouped(scope.messages())
    by_channel = {r["channel"]: r for r in rows}
    result = [
        {"channel": channel, **_summary([by_channel[channel]])}
        for channel in CHANNELS
        if channel in by_channel
    ]
    return [*result, {"channel": "all", **_summary(rows)}]


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
        .filter(channel="sms")
        .filter(Q(status__in=_LEFT) | Q(events__kind=Kind.SENT))
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
    sms_segments = _sms_segments(scope=scope, sent=sent.get("sms", 0)) if sent.get("sms") else 0
    lines = [
        ("email", "email", sent.get("email", 0), prices["email"]),
        ("sms", "sms_segment", sms_segments, prices["sms_segment"]),
        ("print", "print_sheet", printing["sheets"], prices["print_sheet"]),
        ("print", "postage", printing["letters"], prices["postage"]),
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
    rows = _grouped(scope.messages(), "version__communication__purpose")
    result = []
    for (purpose,), group in sorted(_by(rows, "version__communication__purpose").items()):
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
    rows = _grouped(scope.messages(), "version__communication__key", "version__number")
    answers: dict[tuple[str, int], dict[str, Any]] = {
        (r["message__version__communication__key"], r["message__version__number"]): dict(r)
        for r in SurveyAnswer.objects.filter(message__in=scope.messages())
        .values("message__version__communication__key", "message__version__number")
        .annotate(average=Avg("score"), answers=Count("id"))
    }
    result = []
    for (key, number), group in sorted(
        _by(rows, "version__communication__key", "version__number").items()
    ):
        answered: dict[str, Any] = answers.get((key, number), {})
        average = answered.get("average")
        result.append(
            {
                "communication": key,
                "version": number,
                **_summary(group),
                "average_score": None if average is None else round(Decimal(average), 2),
            }
        )
    return result


def figures_survey(*, scope: Scope) -> list[dict[str, Any]]:
    """Per survey kind: answers, CSAT average (1-5), NPS (% promoters 9-10 minus %
    detractors 0-6), and how many gave each score."""
    answers = SurveyAnswer.objects.filter(message__in=scope.messages())
    totals = answers.values("survey__kind").annotate(
        answers=Count("id"),
        average=Avg("score"),
        promoters=Count("id", filter=Q(score__gte=9)),
        passives=Count("id", filter=Q(score__in=(7, 8))),
        detractors=Count("id", filter=Q(score__lte=6)),
        comments=Count("id", filter=~Q(comment="")),
    )
    spread = _by(
        [
            dict(r)
            for r in answers.values("survey__kind", "score")
            .annotate(n=Count("id"))
            .order_by("score")
        ],
        "survey__kind",
    )
    result = []
    for row in totals.order_by("survey__kind"):
        kind = row["survey__kind"]
        nps = kind == Survey.Kind.NPS
        result.append(
            {
                "kind": kind,
                "answers": row["answers"],
                "average": round(Decimal(row["average"]), 2),
                "promoters": row["promoters"] if nps else None,
                "passives": row["passives"] if nps else None,
                "detractors": row["detractors"] if nps else None,
                "nps": (
                    percent(row["promoters"] - row["detractors"], row["answers"]) if nps else None
                ),
                "comments": row["comments"],
                "scores": {r["score"]: r["n"] for r in spread.get((kind,), [])},
            }
        )
    return result


def survey_comments(*, scope: Scope, limit: int = 50) -> list[dict[str, Any]]:
    return [
        dict(row)
        for row in SurveyAnswer.objects.filter(message__in=scope.messages())
        .exclude(comment="")
        .order_by("-answered_at")
        .values(
            "answered_at",
            "score",
            "comment",
            "message_id",
            "customer__external_id",
            "survey__kind",
        )[:limit]
    ]


def survey_answers_for_messages(*, message_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The survey answer of each message that has one (for the customer's timeline)."""
    return {
        row["message_id"]: dict(row)
        for row in SurveyAnswer.objects.filter(message_id__in=list(message_ids)).values(
            "message_id", "score", "comment", "answered_at", "survey__kind"
        )
    }


# GOALS ----------------------------------------------------------------------------------


def _goal_value(goal: Goal, scope: Scope) -> Decimal:
    messages = scope.messages().filter(version__communication_id=goal.communication_id)
    if goal.metric == Goal.Metric.SURVEY_ANSWERS:
        return Decimal(SurveyAnswer.objects.filter(message__in=messages).count())
    if goal.metric == Goal.Metric.LINK_CLICKS:
        clicks = DeliveryEvent.objects.filter(kind=Kind.CLICKED, message__in=messages).filter(
            Q(detail__link=goal.link) | Q(detail__url=goal.link)
        )
        return Decimal(clicks.values("message_id").distinct().count())
    kind, channels = {
        Goal.Metric.DELIVERED_RATE: (Kind.DELIVERED, RATE_CHANNELS["delivered"]),
        Goal.Metric.OPENED_RATE: (Kind.OPENED, RATE_CHANNELS["opened"]),
        Goal.Metric.CLICKED_RATE: (Kind.CLICKED, RATE_CHANNELS["clicked"]),
    }[Goal.Metric(goal.metric)]
    deadline = ExpressionWrapper(
        OuterRef("sent_at") + dt.timedelta(days=goal.within_days), output_field=DateTimeField()
    )
    in_time = Exists(
        DeliveryEvent.objects.filter(message=OuterRef("pk"), kind=kind, at__lte=deadline)
    )
    counts = (
        messages.filter(channel__in=channels, sent_at__isnull=False)
        .alias(in_time=in_time)
        .aggregate(sent=Count("id"), reached=Count("id", filter=Q(in_time=True)))
    )
    return percent(counts["reached"], counts["sent"]) or Decimal(0)


def goals_progress(*, scope: Scope) -> list[dict[str, Any]]:
    """Each goal of the scope's communication (every goal without one) with its value now."""
    goals = Goal.objects.select_related("communication").order_by(
        "communication__name", "created_at"
    )
    if scope.communication_id:
        goals = goals.filter(communication_id=scope.communication_id)
    result = []
    for goal in goals:
        value = _goal_value(goal, scope)
        progress = percent(value, goal.target) if goal.target else Decimal(100)
        result.append(
            {
                "goal": goal,
                "id": goal.pk,
                "communication": goal.communication.key,
                "name": goal.name,
                "metric": goal.metric,
                "target": goal.target,
                "within_days": goal.within_days if goal.is_rate else None,
                "link": goal.link,
                "value": value,
                "progress": min(progress or Decimal(0), Decimal(100)),
                "reached": value >= goal.target,
            }
        )
    return result


# EVERYTHING AT ONCE ---------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    scope: Scope
    daily: list[dict[str, Any]]
    channels: list[dict[str, Any]]
    fallbacks: list[dict[str, Any]]
    printing: dict[str, Any]
    costs: list[dict[str, Any]]
    matrix: list[dict[str, Any]]
    versions: list[dict[str, Any]]
    survey: list[dict[str, Any]]
    comments: list[dict[str, Any]]
    goals: list[dict[str, Any]]


def figures_all(*, scope: Scope) -> Figures:
    channels = figures_channels(scope=scope)
    printing = figures_print(scope=scope)
    return Figures(
        scope=scope,
        daily=figures_daily(scope=scope),
        channels=channels,
        fallbacks=figures_fallbacks(scope=scope),
        printing=printing,
        costs=figures_costs(scope=scope, channels=channels, printing=printing),
        matrix=figures_matrix(scope=scope),
        versions=figures_versions(scope=scope),
        survey=figures_survey(scope=scope),
        comments=survey_comments(scope=scope),
        goals=goals_progress(scope=scope),
    )


# The tables every export (CSV) and the API give: name -> (columns, rows).
FIGURE_NAMES = (
    "daily",
    "channels",
    "fallbacks",
    "print",
    "costs",
    "matrix",
    "versions",
    "survey",
    "comments",
    "goals",
)


def figure_table(figures: Figures, name: str) -> tuple[list[str], list[list[Any]]]:
    """One figure as a header and rows (for CSV). Raises KeyError for an unknown name."""
    if name == "daily":
        columns = ["day", "channel", "status", "messages"]
        return columns, [[r[c] for c in columns] for r in figures.daily]
    if name == "channels":
        columns = ["channel", *COUNT_FIELDS, *RATE_NAMES.values()]
        return columns, [[r[c] for c in columns] for r in figures.channels]
    if name == "fallbacks":
        columns = ["from_channel", "to_channel", "messages"]
        return columns, [[r[c] for c in columns] for r in figures.fallbacks]
    if name == "print":
        columns = ["letters", "print_files", "pages", "sheets", "duplex"]
        return columns, [[figures.printing[c] for c in columns]]
    if name == "costs":
        columns = ["channel", "unit", "units", "unit_price", "cost"]
        return columns, [[r[c] for c in columns] for r in figures.costs]
    if name == "matrix":
        columns = ["purpose", "channel", "sent", "responded", "response_rate"]
        return columns, [[r[c] for c in columns] for r in figures.matrix]
    if name == "versions":
        columns = [
            "communication",
            "version",
            *COUNT_FIELDS,
            *RATE_NAMES.values(),
            "average_score",
        ]
        return columns, [[r[c] for c in columns] for r in figures.versions]
    if name == "survey":
        columns = [
            "kind",
            "answers",
            "average",
            "nps",
            "promoters",
            "passives",
            "detractors",
            "comments",
        ]
        return columns, [[r[c] for c in columns] for r in figures.survey]
    if name == "comments":
        columns = ["answered_at", "survey__kind", "score", "comment", "message_id"]
        header = ["answered_at", "kind", "score", "comment", "message", "customer"]
        return header, [
            [*(r[c] for c in columns), r["customer__external_id"] or ""] for r in figures.comments
        ]
    if name == "goals":
        columns = [
            "communication",
            "name",
            "metric",
            "target",
            "within_days",
            "link",
            "value",
            "progress",
            "reached",
        ]
        return columns, [[r[c] for c in columns] for r in figures.goals]
    raise KeyError(name)
