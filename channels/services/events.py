"""Delivery events reported by providers after sending (delivered, bounced, complaints,
unsubscribes) and one-click unsubscribes. Each is recorded on the message
(``channels.pipeline.transitions``); bounces, complaints and unsubscribes also feed
suppression (and consent), and a bounce falls back to the next channel as a refused
recipient would. Opens and clicks are ``transitions.message_opened`` and
``message_clicked``."""

from typing import Any

from django.db import transaction

from channels.models import DeliveryEvent, Message
from channels.pipeline import transitions
from channels.pipeline.fallback import message_fallback
from channels.services.callbacks import callbacks_for_messages
from customers.models import Suppression
from customers.services import consent_set, suppression_add

BOUNCED = DeliveryEvent.Kind.BOUNCED


def delivery_event_record(
    *, message: Message, kind: str, detail: dict[str, Any] | None = None
) -> DeliveryEvent:
    """Record a provider's event on ``message`` and apply what it means."""
    detail = detail or {}
    with transaction.atomic():
        event, failed = transitions.provider_event_record(message=message, kind=kind, detail=detail)
        if kind == BOUNCED:
            reason = str(detail.get("reason") or detail.get("description") or kind)
            suppression_add(
                channel=message.channel,
                address=message.recipient,
                reason=Suppression.Reason.HARD_BOUNCE,
                note=reason[:500],
            )
        if failed:
            message.refresh_from_db()
            message_fallback(message=message)
        if kind == DeliveryEvent.Kind.COMPLAINED:
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
        transitions.message_unsubscribed(message)
    return True
