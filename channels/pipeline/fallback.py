"""After a permanent failure: the message fails with the reason, a refused recipient is
suppressed (hard bounce), and the same communication goes to the customer's next
channel (e.g. the letter after a hard bounce), recorded on both messages."""

from django.db import transaction

from channels.enqueue import messages_send_enqueue
from channels.exceptions import DeliveryError, RecipientRejected
from channels.models import Message
from channels.pipeline import transitions
from channels.services.batches import available_channels, row_context
from channels.services.routing import RowError, Suppressed, route_choose
from customers.models import Suppression
from customers.services import suppression_add


def message_fail_permanently(message: Message, exc: DeliveryError) -> None:
    """Fail ``message`` for good with ``exc`` as the reason (nothing when this worker no
    longer holds it); a ``RecipientRejected`` also suppresses the address. Then the
    customer's next channel gets the communication (``message_fallback``)."""
    if not transitions.message_failed(message, str(exc)):
        return
    if isinstance(exc, RecipientRejected):
        suppression_add(
            channel=message.channel,
            address=message.recipient,
            reason=Suppression.Reason.HARD_BOUNCE,
            note=str(exc),
        )
    message_fallback(message=message)


def message_fallback(*, message: Message) -> Message | None:
    """Queue the same communication on the customer's next channel, one not tried yet
    along ``fallback_of``; a ``fallback`` event on ``message`` names the new message, which
    is enqueued on commit. Returns it, or None when no channel is left."""
    if message.customer is None:
        return None
    tried = set()
    link: Message | None = message
    while link is not None:
        tried.add(link.channel)
        link = link.fallback_of
    communication = message.version.communication
    context = row_context(
        rows=[{"customer_id": message.customer.external_id}], communication=communication
    )
    try:
        route = route_choose(
            communication=communication,
            customer=message.customer,
            row={"locale": message.locale},
            available=available_channels(message.version),
            consented=message.customer.pk in context.consented,
            suppressed=context.suppressed,
            exclude=tried,
        )
    except (RowError, Suppressed):
        return None
    with transaction.atomic():
        fallback = Message.objects.create(
            batch=message.batch,
            version=message.version,
            customer=message.customer,
            row_number=message.row_number,
            channel=route.channel,
            locale=route.locale,
            recipient=route.recipient,
            recipient_name=route.recipient_name,
            data=message.data,
            requested_by=message.requested_by,
            fallback_of=message,
        )
        transitions.message_fallback_recorded(message, fallback=fallback)
        messages_send_enqueue([fallback.pk])
    return fallback
