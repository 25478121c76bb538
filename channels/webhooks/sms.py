"""SMS delivery reports (DLR) from gateways.

``GET or POST /webhooks/sms/dlr/<token>/?reference=...&status=...`` with the token of
``CCM_SMS_DLR_TOKEN`` (compared in constant time; a wrong token, or none configured, gets
a 404 and changes nothing); ``reference`` is the reference the platform gave the gateway,
or ``ref`` the same in unpadded URL-safe base64 (what the Kannel backend puts in its
dlr-url, where ``%`` is Kannel's), ``status`` is delivered/failed (or Kannel's numeric DLR
type: 1 delivered, 2 failed, 16 rejected by the SMSC; 4 buffered and 8 accepted by the
SMSC are acknowledged and not recorded). ``smsc_reply`` or ``error`` is kept as the reason.
"""

import binascii
import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotFound
from django.views.decorators.csrf import csrf_exempt

from ccm.vocabulary import Channel
from channels.backends.sms.kannel import decode_reference
from channels.models import DeliveryEvent, Message
from channels.services.events import delivery_event_record

STATUSES = {
    "delivered": DeliveryEvent.Kind.DELIVERED,
    "1": DeliveryEvent.Kind.DELIVERED,
    "failed": DeliveryEvent.Kind.FAILED,
    "2": DeliveryEvent.Kind.FAILED,
    "rejected": DeliveryEvent.Kind.FAILED,
    "16": DeliveryEvent.Kind.FAILED,
}
# Kannel's intermediate reports: buffered at the SMSC, accepted by the SMSC.
INTERMEDIATE = frozenset({"4", "8", "buffered", "accepted"})


@csrf_exempt
def sms_delivery_report(request: HttpRequest, token: str) -> HttpResponse:
    expected = settings.CCM_SMS_DLR_TOKEN
    # Compared in constant time, as bytes: a token that is not ASCII is a wrong token too.
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        return HttpResponseNotFound()
    params = request.POST if request.method == "POST" else request.GET
    reference, status = params.get("reference", ""), params.get("status", "").lower()
    if not reference and params.get("ref"):
        try:
            reference = decode_reference(params["ref"])
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return HttpResponseBadRequest("ref is not a reference in URL-safe base64")
    if status in INTERMEDIATE:
        return HttpResponse("ok")
    if status not in STATUSES or not reference:
        return HttpResponseBadRequest("reference and status (delivered or failed) are required")
    message = Message.objects.filter(message_id=reference, channel=Channel.SMS).first()
    if message is None:
        return HttpResponseNotFound("unknown reference")
    delivery_event_record(
        message=message,
        kind=STATUSES[status],
        detail={
            "reason": params.get("error", "") or params.get("smsc_reply", ""),
            "gateway_status": status,
        },
    )
    return HttpResponse("ok")
