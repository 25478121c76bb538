"""Status callbacks to API clients, signed as Standard Webhooks (standardwebhooks).

Events are stored first (one ``WebhookDelivery`` per event and endpoint) and sent by a
periodic task, retried with backoff; after the last attempt a delivery is a dead letter,
listed for operators, who can send it again.

Endpoint URLs are the client's: they go through the outbound request policy
(``ccm.outbound``) when registered and again on every send; redirects are not followed,
and what a delivery records (``last_error``) is a status or a short reason, never the body
of an answer or the text of a network error.
"""

import base64
import datetime as dt
import json
import logging
import secrets
import uuid
from collections.abc import Iterable
from typing import Any

import requests
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from ccm import outbound
from channels.models import Batch, Message, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

# Seconds before attempt 2, 3, ...; after the last one the delivery is dead.
RETRY_SCHEDULE = [30, 120, 600, 1800, 7200, 21600]
TIMEOUT_SECONDS = 10
# A claimed delivery is retried after this long if its worker died mid-request.
LEASE_SECONDS = 300
MESSAGE_EVENTS: dict[str, str] = {
    Message.Status.SENT: "message.sent",
    Message.Status.DELIVERED: "message.delivered",
    Message.Status.FAILED: "message.failed",
    Message.Status.SUPPRESSED: "message.suppressed",
}


def webhook_endpoint_create(*, owner: User, url: str) -> WebhookEndpoint:
    """Register ``url`` for ``owner``'s callbacks; the secret is on the returned endpoint.

    Raises ValidationError on ``url`` when it is not an http(s) URL or the outbound
    request policy refuses its host (an internal address, or a name resolving to one)."""
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError as exc:
        raise ValidationError({"url": f"{url!r} is not a URL"}) from exc
    try:
        outbound.check_url(url)
    except outbound.OutboundRefused as exc:
        raise ValidationError({"url": f"{url!r} is {exc}"}) from exc
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    return WebhookEndpoint.objects.create(owner=owner, url=url, secret=secret)


def _message_payload(message: Message) -> dict[str, Any]:
    return {
        "message_id": message.pk,
        "batch_id": message.batch_id,
        "row_number": message.row_number,
        "customer": message.customer.external_id if message.customer else None,
        "channel": message.channel,
        "status": message.status,
        "error": message.last_error,
        "message_reference": message.message_id,
        "sent_at": message.sent_at,
    }


def _queue(events: list[tuple[int, str, dict[str, Any]]]) -> int:
    """``events`` are (owner id, event type, data); one delivery per active endpoint."""
    owners = {owner for owner, _, _ in events if owner}
    endpoints: dict[int, list[WebhookEndpoint]] = {}
    for endpoint in WebhookEndpoint.objects.filter(owner_id__in=owners, is_active=True):
        endpoints.setdefault(endpoint.owner_id, []).append(endpoint)
    if not endpoints:
        return 0
    now = timezone.now()
    deliveries = [
        WebhookDelivery(
            endpoint=endpoint,
            event_id=f"evt_{uuid.uuid4().hex}",
            event_type=event_type,
            payload=json.loads(
                json.dumps(
                    {"type": event_type, "timestamp": now, "data": data}, cls=DjangoJSONEncoder
                )
            ),
            next_attempt_at=now,
        )
        for owner, event_type, data in events
        for endpoint in endpoints.get(owner, [])
    ]
    WebhookDelivery.objects.bulk_create(deliveries)
    return len(deliveries)


def callbacks_for_messages(*, message_ids: Iterable[int]) -> int:
    """Queue a callback for each of these messages that reached a final status (only
    messages whose requester or batch creator has a callback URL are read)."""
    owners = list(WebhookEndpoint.objects.filter(is_active=True).values_list("owner_id", flat=True))
    if not owners:
        return 0
    messages = (
        Message.objects.filter(id__in=list(message_ids), status__in=list(MESSAGE_EVENTS))
        .filter(Q(requested_by_id__in=owners) | Q(batch__created_by_id__in=owners))
        .select_related("batch", "customer")
        .defer("data")
    )
    events = []
    for message in messages:
        owner = message.requested_by_id or (message.batch.created_by_id if message.batch else None)
        if owner:
            events.append((owner, MESSAGE_EVENTS[message.status], _message_payload(message)))
    return _queue(events)


def callback_for_batch(*, batch: Batch, counts: dict[str, int]) -> int:
    return _queue(
        [
            (
                batch.created_by_id,
                "batch.completed",
                {"batch_id": batch.pk, "status": batch.status, "counts": counts},
            )
        ]
    )


def _claim_due(limit: int) -> list[WebhookDelivery]:
    now = timezone.now()
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at")[:limit]
        )
        WebhookDelivery.objects.filter(id__in=[d.pk for d in due]).update(
            next_attempt_at=now + dt.timedelta(seconds=LEASE_SECONDS)
        )
    return due


def _post(delivery: WebhookDelivery, session: requests.Session) -> tuple[bool, int | None, str]:
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":"))
    sent_at = timezone.now()
    headers = {
        "content-type": "application/json",
        "webhook-id": delivery.event_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": Webhook(endpoint.secret).sign(delivery.event_id, sent_at, body),
    }
    try:
        # stream: the answer's body is never read, only its status.
        with session.post(
            endpoint.url,
            data=body.encode(),
            headers=headers,
            timeout=TIMEOUT_SECONDS,
            allow_redirects=False,
            stream=True,
        ) as response:
            code = response.status_code
    except outbound.OutboundRefused as exc:
        return False, None, str(exc)
    except requests.RequestException as exc:
        # The class only: the text names internal hosts, ports and why they failed.
        return False, None, type(exc).__name__
    ok = 200 <= code < 300
    return ok, code, "" if ok else f"HTTP {code}"


def webhook_deliveries_send(*, limit: int = 500) -> int:
    """Send the deliveries that are due; returns how many were delivered."""
    delivered = 0
    with outbound.session() as session:
        for delivery in _claim_due(limit):
            ok, code, error = _post(delivery, session)
            delivery.attempts += 1
            delivery.last_status_code = code
            delivery.last_error = error
            if ok:
                delivery.status = WebhookDelivery.Status.DELIVERED
                delivery.delivered_at = timezone.now()
                delivered += 1
            elif delivery.attempts > len(RETRY_SCHEDULE):
                delivery.status = WebhookDelivery.Status.DEAD
                logger.warning(
                    "webhook %s to %s is dead: %s", delivery.event_id, delivery.endpoint.url, error
                )
            else:
                delivery.next_attempt_at = timezone.now() + dt.timedelta(
                    seconds=RETRY_SCHEDULE[delivery.attempts - 1]
                )
            delivery.save(
                update_fields=[
                    "attempts",
                    "last_status_code",
                    "last_error",
                    "status",
                    "delivered_at",
                    "next_attempt_at",
                ]
            )
    return delivered


def webhook_delivery_retry(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a dead letter again (from the start of the retry schedule)."""
    if delivery.status != WebhookDelivery.Status.DEAD:
        raise ValidationError("Only a dead letter can be sent again.")
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    return delivery
