"""Goals and how far each has come."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, DateTimeField, Exists, ExpressionWrapper, OuterRef, Q

from channels.models import DeliveryEvent
from insight.models import Goal, SurveyAnswer
from insight.selectors.counts import RATE_CHANNELS, Kind, Scope, percent


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
