"""Delivery events reported by providers after sending: delivered, bounced, complaints,
unsubscribes, opens and clicks. Each is recorded on the message; bounces, complaints and
unsubscribes also feed suppression (and consent), and a bounce falls back to the next
channel as a refused recipient would."""

from typing import Any

from django.db import transaction

from channels.models import DeliveryEvent, Message
from channels.services.callbacks import callbacks_for_messages
from customers.models import Suppression
from customers.services import consent_set, suppression_add

BOUNCED = DeliveryEvent.Kind.BOUNCED
_SENT_STATES = (Message.Status.SENT, Message.Status.DELIVERED)


def delivery_event_record(
    *, message: Message, kind: str, detail: dict[str, Any] | None = None
) -> DeliveryEvent:
    """Record a provider's event on ``message`` and apply what it means."""
    from channels.services.dispatch import message_fallback

    detail = detail or {}
    with transaction.atomic():
        event = DeliveryEvent.objects.create(message=message, kind=kind, detail=detail)
        if kind == DeliveryEvent.Kind.DELIVERED:
            Message.objects.filter(pk=message.pk, status=Message.Status.SENT).update(
                status=Message.Status.DELIVERED
            )
        elif kind in (BOUNCED, DeliveryEvent.Kind.FAILED):
            reason = str(detail.get("reason") or detail.get("description") or kind)
            failed = Message.objects.filter(pk=message.pk, status__in=_SENT_STATES).update(
                status=Message.Status.FAILED, last_error=f"{kind}: {reason}"[:1000]
            )
            if kind == BOUNCED:
                suppression_add(
                    channel=message.channel,
                    address=message.recipient,
                    reason=Suppression.Reason.HARD_BOUNCE,
                    note=reason[:500],
                )
            if failed:
                message.refresh_from_db()
                message_fallback(message=message)
        elif kind == DeliveryEvent.Kind.COMPLAINED:
            suppression_add(
                channel=message.channel,
                address=message.recipient,
                reason=Suppression.Reason.COMPLAINT,
            )
        elif kind == DeliveryEvent.Kind.UNSUBSCRIBED:
            suppression_add(
                channel=message.channel,
                address=message.recipient,
                reason=Suppression.Reason.UNSUBSCRIBE,
            )
            if message.customer is not None:
                consent_set(
                    customer=message.customer,
                    category="marketing",
                    granted=False,
                    source="unsubscribe",
                )
    if kind in (DeliveryEvent.Kind.DELIVERED, BOUNCED, DeliveryEvent.Kind.FAILED):
        callbacks_for_messages(message_ids=[message.pk])
    return event


# EVENTS FROM LINKS IN THE EMAIL ---------------------------------------------------------


def message_unsubscribe(*, message: Message) -> bool:
    """One-click unsubscribe from a marketing email (RFC 8058): the customer's marketing
    consent is withdrawn (an email without a customer has its address suppressed) and an
    ``unsubscribed`` event recorded. Idempotent: returns False when the message was
    already unsubscribed from and nothing changed."""
    with transaction.atomic():
        Message.objects.select_for_update().filter(pk=message.pk).first()
        if message.events.filter(kind=DeliveryEvent.Kind.UNSUBSCRIBED).exists():
            return False
        if message.customer is not None:
            consent_set(
                customer=message.customer,
                category="marketing",
                granted=False,
                source="unsubscribe",
            )
        else:
            suppression_add(
                channel=message.channel,
                address=message.recipient,
                reason=Suppression.Reason.UNSUBSCRIBE,
            )
        DeliveryEvent.objects.create(
            message=message, kind=DeliveryEvent.Kind.UNSUBSCRIBED, detail={"source": "one_click"}
        )
    return True


def message_opened(*, message: Message) -> DeliveryEvent:
    """An open (the pixel loaded): one ``opened`` event per message, whose ``count``
    grows with each later load (mail clients and proxies load images more than once)."""
    with transaction.atomic():
        Message.objects.select_for_update().filter(pk=message.pk).first()
        event = message.events.filter(kind=DeliveryEvent.Kind.OPENED).first()
        if event is None:
            return DeliveryEvent.objects.create(
                message=message, kind=DeliveryEvent.Kind.OPENED, detail={"count": 1}
            )
        event.detail = {**event.detail, "count": int(event.detail.get("count", 1)) + 1}
        event.save(update_fields=["detail"])
        return event


def message_clicked(*, message: Message, url: str) -> DeliveryEvent:
    """A click on a tracked link: one ``clicked`` event per click, naming the link."""
    return DeliveryEvent.objects.create(
        message=message, kind=DeliveryEvent.Kind.CLICKED, detail={"url": url}
    )
