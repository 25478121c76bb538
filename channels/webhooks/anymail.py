"""Email delivery events from ESPs, through django-anymail's tracking webhooks.

Anymail verifies and normalises each ESP's webhook (``/anymail/<esp>/tracking/``) and
sends its ``tracking`` signal; this receiver turns the event into a delivery event.

Every anymail route is mounted through ``provider_webhook_urls``: a call answers only with
the HTTP basic auth of ``ANYMAIL["WEBHOOK_SECRET"]`` (``ANYMAIL_WEBHOOK_SECRET``), 401
without it; with no secret configured every call gets a 404. ESP signing keys (SendGrid's
verification key, Mailgun's signing key, ...) are checked by anymail on top, when set.

An event names its message by the provider's message id, the one recorded at send
(``Message.provider_message_id``). The ``ccm_message_id`` an event carries back in its
metadata is believed only for an email whose provider id is not recorded yet (the event
came before the send was recorded), and only when the event's recipient is that email's.
"""

from collections.abc import Callable
from typing import Any

from anymail.signals import AnymailTrackingEvent, tracking
from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.urls import URLPattern, URLResolver, include
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt

from ccm.vocabulary import Channel
from channels.models import DeliveryEvent, Message
from channels.services.events import delivery_event_record

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


def webhook_secrets() -> list[str]:
    """The accepted ``user:password`` strings of ``ANYMAIL["WEBHOOK_SECRET"]`` (a string
    or a list, as anymail takes it); empty when none is configured."""
    secret = (getattr(settings, "ANYMAIL", None) or {}).get("WEBHOOK_SECRET") or []
    secrets = [secret] if isinstance(secret, str) else list(secret)
    return [s for s in secrets if isinstance(s, str) and s]


def _basic_auth(request: HttpRequest) -> str | None:
    from anymail.utils import get_request_basic_auth

    value = get_request_basic_auth(request)
    return value if isinstance(value, str) else None


def webhook_auth_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``view`` answering only calls with the webhook secret's basic auth: 404 when no
    secret is configured (the route is off), 401 when the call lacks it."""

    @csrf_exempt
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        secrets = webhook_secrets()
        if not secrets:
            return HttpResponseNotFound()
        given = _basic_auth(request) or ""
        # Every secret is compared, so the time taken does not tell which one was close.
        matches = [constant_time_compare(given, secret) for secret in secrets]
        if not any(matches):
            response = HttpResponse("webhook basic auth missing or wrong", status=401)
            response["WWW-Authenticate"] = 'Basic realm="ccm-webhooks"'
            return response
        return view(request, *args, **kwargs)

    guarded.__name__ = getattr(view, "__name__", "anymail_webhook")
    return guarded


def provider_webhook_urls() -> Any:
    """anymail's URL patterns (for ``include``), each view behind ``webhook_auth_required``."""
    from anymail import urls as anymail_urls

    patterns: list[URLPattern | URLResolver] = []
    for pattern in anymail_urls.urlpatterns:
        if not isinstance(pattern, URLPattern):  # anymail's routes are all plain views
            raise TypeError(f"unexpected anymail URL entry {pattern!r}")
        callback = webhook_auth_required(pattern.callback)
        patterns.append(URLPattern(pattern.pattern, callback, pattern.default_args, pattern.name))
    return include((patterns, anymail_urls.app_name))


def _same_address(a: str | None, b: str) -> bool:
    return bool(a) and str(a).strip().casefold() == b.strip().casefold()


def message_for_tracking_event(event: AnymailTrackingEvent) -> Message | None:
    """The email an event is about (see the module docstring), or None to ignore it."""
    emails = Message.objects.filter(channel=Channel.EMAIL)
    provider_id = str(event.message_id or "")
    if provider_id:
        message = emails.filter(provider_message_id=provider_id).order_by("-id").first()
        if message is not None:
            if event.recipient and not _same_address(event.recipient, message.recipient):
                return None
            return message
    ccm_id = str((event.metadata or {}).get("ccm_message_id") or "")
    if not ccm_id.isdigit():
        return None
    message = emails.filter(pk=int(ccm_id), provider_message_id="").first()
    if message is None or not _same_address(event.recipient, message.recipient):
        return None
    return message


@receiver(tracking, dispatch_uid="ccm_anymail_tracking")
def anymail_tracking_received(
    sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any
) -> None:
    kind = KINDS.get(event.event_type)
    if kind is None:
        return
    message = message_for_tracking_event(event)
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
