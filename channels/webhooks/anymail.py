"""Email delivery events from ESPs, through django-anymail's tracking webhooks.

Anymail verifies and normalises each ESP's webhook (``/anymail/<esp>/tracking/``) and
sends its ``tracking`` signal; this receiver turns the event into a delivery event.
"""

from typing import Any

from anymail.signals import AnymailTrackingEvent, tracking
from django.dispatch import receiver

from channels.models import DeliveryEvent
from channels.services.events import delivery_event_record, message_for_provider_event

KINDS = {
    "delivered": DeliveryEvent.Kind.DELIVERED,
    "bounced": DeliveryEvent.Kind.BOUNCED,
    "rejected": DeliveryEvent.Kind.FAILED,
    "failed": DeliveryEvent.Kind.FAILED,
    "complained": DeliveryEvent.Kind.COMPLAINED,
    "unsubscribed": DeliveryEvent.Kind.UNSUBSCRIBED,
    "opened": DeliveryEvent.Kind.OPENED,
    "clicked": DeliveryEvent.Kind.CLICKED,
}


@receiver(tracking, dispatch_uid="ccm_anymail_tracking")
def anymail_tracking_received(
    sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any
) -> None:
    kind = KINDS.get(event.event_type)
    if kind is None:
        return
    message = message_for_provider_event(
        provider_message_id=event.message_id or "",
        ccm_message_id=(event.metadata or {}).get("ccm_message_id"),
    )
    if message is None:
        return
    delivery_event_record(
        message=message,
        kind=kind,
        detail={
            "esp": esp_name,
            "event_id": event.event_id,
            "reason": event.reject_reason,
            "description": event.description,
            "mta_response": event.mta_response,
            "url": event.click_url,
        },
    )
