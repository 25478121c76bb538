"""Known messages, events and answers whose figures the tests work out by hand.

Communication "bills" (request payment), NPS survey:
  v1, batch 1: emails e1..e4 (e4 bounced and fell back to letter p1), SMS s1 s2, letter p2
  v2, batch 2: emails e5 e6, and e7 suppressed
Communication "news" (notify), CSAT survey: emails n1..n4, answers 5 4 4 2.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from channels.models import Batch, DeliveryEvent, Message
from insight.models import Survey, SurveyAnswer
from templates_store.models import Communication
from tests.factories.ccm import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import CommunicationFactory, TemplateVersionFactory

K = DeliveryEvent.Kind
S = Message.Status


@dataclass
class Seed:
    bills: Communication
    news: Communication
    batch1: Batch
    batch2: Batch
    messages: dict[str, Message] = field(default_factory=dict)


def _message(version: Any, batch: Any, channel: str, status: str, **kwargs: Any) -> Message:
    customer = CustomerFactory()
    recipient = {
        "email": customer.email,
        "sms": customer.phone,
        "print": customer.postal_address,
    }[channel]
    return Message.objects.create(
        version=version,
        batch=batch,
        customer=customer,
        channel=channel,
        locale="en",
        recipient=recipient,
        recipient_name=customer.name,
        status=status,
        sent_at=timezone.now() - dt.timedelta(days=1) if status != S.SUPPRESSED else None,
        **kwargs,
    )


def _events(message: Message, *kinds: str, **detail: Any) -> None:
    for kind in kinds:
        DeliveryEvent.objects.create(message=message, kind=kind, detail=detail.get(kind, {}))


def seed(suffix: str = "") -> Seed:
    user = UserFactory()
    bills = CommunicationFactory(
        key=f"bills{suffix}", purpose=Communication.Purpose.REQUEST_PAYMENT
    )
    news = CommunicationFactory(key=f"news{suffix}", purpose=Communication.Purpose.NOTIFY)
    v1 = TemplateVersionFactory(communication=bills)
    v2 = TemplateVersionFactory(communication=bills)
    n1 = TemplateVersionFactory(communication=news)
    batch1 = Batch.objects.create(communication=bills, version=v1, created_by=user)
    batch2 = Batch.objects.create(communication=bills, version=v2, created_by=user)
    batch3 = Batch.objects.create(communication=news, version=n1, created_by=user)
    m: dict[str, Message] = {}
    m["e1"] = _message(v1, batch1, "email", S.DELIVERED)
    _events(m["e1"], K.SENT, K.DELIVERED, K.OPENED, K.CLICKED, clicked={"link": "pay"})
    m["e2"] = _message(v1, batch1, "email", S.DELIVERED)
    _events(m["e2"], K.SENT, K.DELIVERED, K.OPENED)
    # e2 was opened 10 days after sending: counts as opened, not "opened within 7 days".
    DeliveryEvent.objects.filter(message=m["e2"], kind=K.OPENED).update(
        at=m["e2"].sent_at + dt.timedelta(days=10)
    )
    m["e3"] = _message(v1, batch1, "email", S.DELIVERED)
    _events(m["e3"], K.SENT, K.DELIVERED)
    m["e4"] = _message(v1, batch1, "email", S.FAILED)
    _events(m["e4"], K.SENT, K.BOUNCED, K.FALLBACK)
    m["p1"] = _message(v1, batch1, "print", S.SENT, fallback_of=m["e4"])
    _events(m["p1"], K.PRINTED, printed={"print_file": 1, "pages": 3})
    m["s1"] = _message(v1, batch1, "sms", S.DELIVERED)
    _events(m["s1"], K.SENT, K.DELIVERED)
    m["s2"] = _message(v1, batch1, "sms", S.SENT)
    _events(m["s2"], K.SENT)
    m["p2"] = _message(v1, batch1, "print", S.SENT)
    _events(m["p2"], K.PRINTED, printed={"print_file": 1, "pages": 2})
    m["e5"] = _message(v2, batch2, "email", S.DELIVERED)
    _events(
        m["e5"], K.SENT, K.DELIVERED, K.OPENED, K.CLICKED, clicked={"url": "https://x.test/info"}
    )
    m["e6"] = _message(v2, batch2, "email", S.DELIVERED)
    _events(m["e6"], K.SENT, K.DELIVERED, K.OPENED, K.CLICKED, clicked={"link": "pay"})
    m["e7"] = _message(v2, batch2, "email", S.SUPPRESSED)

    nps = Survey.objects.create(communication=bills, kind=Survey.Kind.NPS)
    for name, score, comment in (
        ("e1", 10, "Clear, thanks"),
        ("e2", 9, ""),
        ("e3", 7, ""),
        ("s1", 3, '=HYPERLINK("http://evil")'),
        ("e5", 0, ""),
        ("e6", 10, ""),
    ):
        SurveyAnswer.objects.create(
            survey=nps,
            message=m[name],
            customer=m[name].customer,
            score=score,
            comment=comment,
            answered_at=timezone.now(),
        )
    csat = Survey.objects.create(communication=news, kind=Survey.Kind.CSAT)
    for index, score in enumerate((5, 4, 4, 2), start=1):
        message = _message(n1, batch3, "email", S.SENT)
        _events(message, K.SENT)
        m[f"n{index}"] = message
        SurveyAnswer.objects.create(
            survey=csat,
            message=message,
            customer=message.customer,
            score=score,
            answered_at=timezone.now(),
        )
    return Seed(bills=bills, news=news, batch1=batch1, batch2=batch2, messages=m)
