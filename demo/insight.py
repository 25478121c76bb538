"""Two weeks of sent history for the insight dashboard: batches of messages that went out,
with provider events (delivered, bounced, opened, clicked), letters in print files, email
bounces that fell back to letters, survey answers, and goals. Rows are written directly
(this is the past: nothing is rendered or sent), in bulk, and dated back."""

import datetime as dt
import random
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from ccm.vocabulary import Channel
from channels.models import Batch, DeliveryEvent, Message
from customers.models import Customer
from insight.models import Goal, Survey, SurveyAnswer
from templates_store.models import Communication

HISTORY_DAYS = 14
HISTORY_SOURCE = "demo-history"
K = DeliveryEvent.Kind
COMMENTS = [
    "Clear and on time, thank you.",
    "The amount was easy to find.",
    "I would prefer a reminder by SMS.",
    "分かりやすかったです。",
    "Too many messages this month.",
]


def demo_history_load(
    *,
    communications: list[Communication],
    customers: list[Customer],
    operator: User,
    designer: User,
    rng: random.Random,
) -> int:
    """Write the history; returns how many messages it holds."""
    _surveys_and_goals(communications, designer)
    total = 0
    now = timezone.now()
    for index, communication in enumerate(communications):
        version = communication.versions.get(status="published")
        channels = sorted({v.channel for v in version.variants.all()})
        for days_ago in range(HISTORY_DAYS, 0, -(2 + index)):
            sent_at = now - dt.timedelta(days=days_ago, hours=rng.randint(0, 6))
            batch = Batch.objects.create(
                communication=communication,
                version=version,
                created_by=operator,
                source=HISTORY_SOURCE,
                status=Batch.Status.COMPLETED,
                total_rows=0,
            )
            people = rng.sample(customers, min(len(customers), rng.randint(25, 45)))
            total += _batch_history(batch, version, channels, people, sent_at, rng)
    return total


def _surveys_and_goals(communications: list[Communication], designer: User) -> None:
    kinds = [Survey.Kind.NPS, Survey.Kind.CSAT]
    for communication, kind in zip(communications, kinds, strict=False):
        Survey.objects.create(communication=communication, kind=kind)
    first = communications[0]
    Goal.objects.create(
        communication=first,
        name="Half of the reminders opened within 7 days",
        metric=Goal.Metric.OPENED_RATE,
        target=50,
        within_days=7,
        created_by=designer,
    )
    Goal.objects.create(
        communication=first,
        name="100 customers open the payment page",
        metric=Goal.Metric.LINK_CLICKS,
        target=100,
        link="pay",
        created_by=designer,
    )
    Goal.objects.create(
        communication=first,
        name="60 survey answers",
        metric=Goal.Metric.SURVEY_ANSWERS,
        target=60,
        created_by=designer,
    )


def _recipient(customer: Customer, channel: str) -> str:
    return {"email": customer.email, "sms": customer.phone, "print": customer.postal_address}[
        channel
    ]


def _batch_history(
    batch: Batch,
    version: Any,
    channels: list[str],
    people: list[Customer],
    sent_at: dt.datetime,
    rng: random.Random,
) -> int:
    plans = []
    for customer in people:
        preferred = [c for c in customer.channel_preference if c in channels]
        channel = next((c for c in preferred if _recipient(customer, c)), None)
        if channel is None:
            continue
        plans.append((customer, channel))
    messages = Message.objects.bulk_create(
        Message(
            batch=batch,
            version=version,
            customer=customer,
            channel=channel,
            locale=customer.locale,
            recipient=_recipient(customer, channel),
            recipient_name=customer.name,
            data=version.sample_data,
            status=Message.Status.SENT,
            sent_at=sent_at,
        )
        for customer, channel in plans
    )
    events: list[tuple[Message, str, dict[str, Any], dt.timedelta]] = []
    fallbacks: list[Message] = []
    final: dict[int, str] = {}
    for message in messages:
        if message.channel == Channel.PRINT:
            events.append((message, K.PRINTED, _printed(batch, rng), dt.timedelta()))
            continue
        events.append((message, K.SENT, {}, dt.timedelta()))
        if rng.random() < 0.05:
            events.append((message, K.BOUNCED, {"reason": "mailbox unknown"}, _later(rng, 1)))
            final[message.pk] = Message.Status.FAILED
            if (
                message.channel == Channel.EMAIL
                and message.customer
                and message.customer.postal_address
            ):
                events.append((message, K.FALLBACK, {}, _later(rng, 1)))
                fallbacks.append(message)
            continue
        if rng.random() < 0.9:
            events.append((message, K.DELIVERED, {}, _later(rng, 1)))
            final[message.pk] = Message.Status.DELIVERED
        if message.channel == Channel.EMAIL and rng.random() < 0.55:
            events.append((message, K.OPENED, {}, _later(rng, 72)))
            if rng.random() < 0.35:
                events.append((message, K.CLICKED, {"link": "pay"}, _later(rng, 96)))
    letters = Message.objects.bulk_create(
        Message(
            batch=batch,
            version=version,
            customer=failed.customer,
            channel="print",
            locale=failed.locale,
            recipient=failed.customer.postal_address if failed.customer else "",
            recipient_name=failed.recipient_name,
            data=failed.data,
            status=Message.Status.SENT,
            sent_at=sent_at + dt.timedelta(days=1),
            fallback_of=failed,
        )
        for failed in fallbacks
    )
    for letter in letters:
        events.append((letter, K.PRINTED, _printed(batch, rng), dt.timedelta(days=1)))
    created = DeliveryEvent.objects.bulk_create(
        DeliveryEvent(message=message, kind=kind, detail=detail)
        for message, kind, detail, _ in events
    )
    # auto_now_add dates rows today: put them back where they happened.
    for event, (_m, _k, _d, delay) in zip(created, events, strict=True):
        event.at = sent_at + delay
    DeliveryEvent.objects.bulk_update(created, ["at"])
    every = [*messages, *letters]
    Message.objects.filter(pk__in=[m.pk for m in every]).update(created_at=sent_at)
    for status in (Message.Status.DELIVERED, Message.Status.FAILED):
        Message.objects.filter(pk__in=[pk for pk, s in final.items() if s == status]).update(
            status=status
        )
    Batch.objects.filter(pk=batch.pk).update(
        total_rows=len(messages), created_at=sent_at, finished_at=sent_at
    )
    _answers(batch, [m for m in messages if final.get(m.pk) != Message.Status.FAILED], sent_at, rng)
    return len(every)


def _printed(batch: Batch, rng: random.Random) -> dict[str, Any]:
    return {"print_file": f"demo-{batch.pk}", "pages": rng.choice((1, 1, 2, 2, 3))}


def _later(rng: random.Random, hours: int) -> dt.timedelta:
    return dt.timedelta(minutes=rng.randint(1, hours * 60))


def _answers(
    batch: Batch, messages: list[Message], sent_at: dt.datetime, rng: random.Random
) -> None:
    survey = Survey.objects.filter(communication_id=batch.communication_id).first()
    if survey is None:
        return
    scores = list(survey.scores)
    # Most customers are content: weights lean towards the top of the scale.
    weights = [1 + i * i for i in range(len(scores))]
    SurveyAnswer.objects.bulk_create(
        SurveyAnswer(
            survey=survey,
            message=message,
            customer=message.customer,
            score=rng.choices(scores, weights)[0],
            comment=rng.choice(COMMENTS) if rng.random() < 0.3 else "",
            answered_at=sent_at + _later(rng, 48),
        )
        for message in messages
        if rng.random() < 0.25
    )
