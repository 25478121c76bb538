"""What an SMS must pass before a backend sees it: an E.164 number in an allowed country,
at most the communication's segments, and the communication's sender id; then the
backend's and the sender's rates.

``messages_send`` calls ``sms_build`` and ``sms_throttle`` for each SMS of a chunk.

Rates: ``SMS_BACKENDS[alias]["RATE_LIMIT"]`` for the backend and
``SMS_BACKENDS[alias]["SENDER_RATE_LIMITS"]`` per sender id (``"*"``: any other sender),
messages a second, each sender on a schedule of its own in the shared limiter
(``channels.rate_limits``: GCRA on Redis).
"""

import time
from typing import Any

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext as _

from channels.backends.sms.base import SmsMessage
from channels.exceptions import DeliveryError
from channels.rate_limits import backend_rate_limit, limiter
from rendering.sms_encoding import sms_analyse
from templates_store.models import Communication


class SmsRefused(DeliveryError):
    """The SMS will never be sent as it is: a number that is not E.164 or is in a
    country outside ``CCM_SMS_ALLOWED_COUNTRIES``, or a text over the segment limit.
    Permanent, and the number is not suppressed (it may be fine for another sender)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


def sms_number_check(*, number: str) -> str:
    """The region (ISO 3166 code) of ``number``. Raises SmsRefused when the number is not
    a valid E.164 number or its region is not in ``CCM_SMS_ALLOWED_COUNTRIES``."""
    if not number.startswith("+"):
        raise SmsRefused(
            _("%(number)s is not in E.164 form (+ and country code)") % {"number": number}
        )
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException as exc:
        raise SmsRefused(
            _("%(number)s is not a phone number: %(reason)s") % {"number": number, "reason": exc}
        ) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise SmsRefused(_("%(number)s is not a valid phone number") % {"number": number})
    if phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) != number:
        raise SmsRefused(
            _("%(number)s is not in E.164 form (+ and country code)") % {"number": number}
        )
    region = phonenumbers.region_code_for_number(parsed) or ""
    allowed = [c.upper() for c in getattr(settings, "CCM_SMS_ALLOWED_COUNTRIES", [])]
    if allowed and region not in allowed:
        raise SmsRefused(
            _(
                "%(number)s is a number in %(region)s; SMS may only go to %(allowed)s "
                "(CCM_SMS_ALLOWED_COUNTRIES)"
            )
            % {"number": number, "region": region or "?", "allowed": ", ".join(allowed)}
        )
    return region


def sms_build(*, communication: Communication, to: str, text: str, reference: str) -> SmsMessage:
    """The SMS to hand to a backend, from ``communication``'s sender id. Raises SmsRefused
    (see ``sms_number_check``; and a text longer than ``communication.sms_max_segments``
    segments, which the data can make even when the template passed the check)."""
    sms_number_check(number=to)
    info = sms_analyse(text)
    if info.segments > communication.sms_max_segments:
        raise SmsRefused(
            _("the SMS has %(segments)s segments (%(encoding)s); the limit is %(limit)s")
            % {
                "segments": info.segments,
                "encoding": info.encoding,
                "limit": communication.sms_max_segments,
            }
        )
    return SmsMessage(to=to, sender=communication.sms_sender_id, text=text, reference=reference)


def sender_rate_limit(*, backend_alias: str, sender: str) -> float:
    """Messages a second allowed from ``sender`` on SMS backend ``backend_alias``
    (0: unlimited)."""
    configured: dict[str, Any] = settings.SMS_BACKENDS[backend_alias]
    limits: dict[str, Any] = configured.get("SENDER_RATE_LIMITS") or {}
    return float(limits.get(sender, limits.get("*")) or 0)


def sms_throttle(*, backend_alias: str, sender: str) -> float:
    """Wait for this SMS's slot on the backend's schedule and on the sender's (both shared
    by every worker through Redis); each holds its own rate whatever the other does.
    Returns the time waited."""
    shared = limiter()
    schedules = [
        (f"sms:{backend_alias}", backend_rate_limit(backend_alias)),
        (
            f"sms:{backend_alias}:sender:{sender}",
            sender_rate_limit(backend_alias=backend_alias, sender=sender),
        ),
    ]
    delay = max((shared.reserve(key, rate) for key, rate in schedules if rate), default=0.0)
    if delay > 0:
        time.sleep(delay)
    return max(delay, 0.0)
