"""Survey answers: CSAT and NPS per survey kind, the comments, each message's answer."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Q

from insight.models import Survey, SurveyAnswer
from insight.selectors.counts import Scope, percent, rows_by


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
    spread = rows_by(
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
