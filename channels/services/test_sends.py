"""A designer sends the current content of a version to themself, through the real backends.

Who may receive a test is decided in ``templates_store.test_recipients``: the sender's
own email, phones they verified, the administrators' allowlist. Each person has a budget
of tests (``CCM_TEST_SEND_RATE_LIMIT``, e.g. ``"30/hour"``) and of phone verification
codes (``CCM_PHONE_VERIFICATION_RATE_LIMIT``), in the ``ccm.throttling`` rate syntax.
The budget is counted on the log (``TestSendLog``), which every web process shares and an
administrator reads: every attempt, sent, failed or refused, is a row of it.

A test is marked as one: the email's subject starts with ``TEST_SUBJECT_PREFIX``
(``rendering.as_sent``) and it carries ``X-CCM-Test: true``; an SMS goes from
``CCM_TEST_SMS_SENDER``, not the brand's sender id (unless ``CCM_TEST_SMS_BRAND_SENDER``
is on), with its text as the customer would get it (same segments); the archive entry
has ``is_test``.
"""

import math
from datetime import timedelta
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import get_connection
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ccm.throttling import rate_parse
from ccm.vocabulary import Channel
from channels.backends import sms_backends
from channels.backends.email import email_build
from channels.backends.sms.base import SmsMessage
from channels.exceptions import DeliveryError
from channels.services.sms import sms_number_check, sms_throttle
from compliance.models import ArchiveEntry
from compliance.services import archive_record_create
from rendering.as_sent import test_send_mark
from rendering.pdf import render_pdf
from rendering.render import render
from rendering.types import Recipient
from templates_store.models import TemplateVersion, TestSendLog, VerifiedPhone
from templates_store.test_recipients import (
    ALLOWLIST,
    TestSendRateLimited,
    TestSendRefused,
    phone_code_issue,
    phone_normalise,
    test_recipient_check,
)

Purpose = TestSendLog.Purpose
Result = TestSendLog.Result


def test_sms_sender(*, version: TemplateVersion) -> str:
    """The sender id of a test SMS: ``CCM_TEST_SMS_SENDER``, or the communication's own
    when ``CCM_TEST_SMS_BRAND_SENDER`` is on."""
    if settings.CCM_TEST_SMS_BRAND_SENDER:
        return version.communication.sms_sender_id
    return str(settings.CCM_TEST_SMS_SENDER)


def _rate_setting(purpose: str) -> tuple[str, str]:
    if purpose == Purpose.PHONE_CODE:
        return "CCM_PHONE_VERIFICATION_RATE_LIMIT", settings.CCM_PHONE_VERIFICATION_RATE_LIMIT
    return "CCM_TEST_SEND_RATE_LIMIT", settings.CCM_TEST_SEND_RATE_LIMIT


def _log_refused(
    *,
    user: User,
    purpose: str,
    version: TemplateVersion | None,
    channel: str,
    locale: str,
    recipient: str,
    reason: str,
) -> None:
    TestSendLog.objects.create(
        user=user,
        purpose=purpose,
        version=version,
        channel=channel,
        locale=locale,
        recipient=recipient,
        result=Result.REFUSED,
        reason=reason,
        finished_at=timezone.now(),
    )


def _attempt_claim(
    *,
    user: User,
    purpose: str,
    version: TemplateVersion | None,
    channel: str,
    locale: str,
    recipient: str,
) -> TestSendLog:
    """Count ``user``'s attempts of ``purpose`` in the rate's period and, within budget,
    log this one as sending. The user's row is locked meanwhile, so two requests at once
    cannot both take the last slot. Raises TestSendRateLimited (logged as refused)."""
    name, rate = _rate_setting(purpose)
    try:
        allowed, period = rate_parse(rate)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from exc
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        now = timezone.now()
        recent = list(
            TestSendLog.objects.filter(
                user=user, purpose=purpose, created_at__gt=now - timedelta(seconds=period)
            )
            .exclude(result=Result.REFUSED)
            .order_by("created_at")
            .values_list("created_at", flat=True)
        )
        if len(recent) < allowed:
            return TestSendLog.objects.create(
                user=user,
                purpose=purpose,
                version=version,
                channel=channel,
                locale=locale,
                recipient=recipient,
                result=Result.SENDING,
            )
        # The attempt whose ageing out frees a slot.
        frees_at = recent[len(recent) - allowed] + timedelta(seconds=period)
    retry_after = max(1, math.ceil((frees_at - now).total_seconds()))
    minutes = math.ceil(retry_after / 60)
    what = _("verification codes") if purpose == Purpose.PHONE_CODE else _("tests")
    message = ngettext(
        "You have sent %(count)s %(what)s within %(period)s; try again in %(minutes)s minute.",
        "You have sent %(count)s %(what)s within %(period)s; try again in %(minutes)s minutes.",
        minutes,
    ) % {"count": allowed, "what": what, "period": _period_words(period), "minutes": minutes}
    _log_refused(
        user=user,
        purpose=purpose,
        version=version,
        channel=channel,
        locale=locale,
        recipient=recipient,
        reason=message,
    )
    raise TestSendRateLimited(message, retry_after=retry_after)


def _period_words(seconds: int) -> str:
    if seconds % 86400 == 0:
        days = seconds // 86400
        return ngettext("a day", "%(n)s days", days) % {"n": days}
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return ngettext("an hour", "%(n)s hours", hours) % {"n": hours}
    if seconds % 60 == 0:
        minutes = seconds // 60
        return ngettext("a minute", "%(n)s minutes", minutes) % {"n": minutes}
    return ngettext("a second", "%(n)s seconds", seconds) % {"n": seconds}


def _attempt_finish(
    attempt: TestSendLog, *, result: str, reason: str = "", reference: str = ""
) -> None:
    attempt.result = result
    attempt.reason = reason
    attempt.message_reference = reference
    attempt.finished_at = timezone.now()
    attempt.save(update_fields=["result", "reason", "message_reference", "finished_at"])


def version_test_send(
    *,
    version: TemplateVersion,
    actor: User,
    channel: str,
    locale: str,
    to: str = "",
    to_name: str = "",
    data: dict[str, Any] | None = None,
) -> tuple[ArchiveEntry, bytes]:
    """Render ``version`` with its sample data (or ``data``) and send it, as ``actor``'s
    test, to ``to``.

    Email and SMS go through the configured backends, only to a recipient
    ``test_recipient_check`` allows ``actor``; a letter is returned as its PDF (``to``,
    its address lines, reaches nobody). Every attempt is logged (``TestSendLog``) and
    counted against ``CCM_TEST_SEND_RATE_LIMIT``; every test sent is archived and marked
    as a test. Returns the entry and the artifact.
    Raises TestSendRefused (recipient not allowed), TestSendRateLimited, RenderError,
    DeliveryError (also SmsRefused for a number in a region SMS may not go to).
    """
    if channel == Channel.SMS:
        to = phone_normalise(to)
    elif channel == Channel.EMAIL:
        to = to.strip()
    logged_to = to if channel != Channel.PRINT else ""
    if channel != Channel.PRINT:
        try:
            allowed = test_recipient_check(user=actor, version=version, channel=channel, to=to)
        except TestSendRefused as exc:
            _log_refused(
                user=actor,
                purpose=Purpose.TEST,
                version=version,
                channel=channel,
                locale=locale,
                recipient=to,
                reason=str(exc),
            )
            raise
        logged_to = to = allowed.address
        if allowed.source == ALLOWLIST:
            to_name = ""  # a shared test address, not the sender's own
    attempt = _attempt_claim(
        user=actor,
        purpose=Purpose.TEST,
        version=version,
        channel=channel,
        locale=locale,
        recipient=logged_to,
    )
    try:
        entry, content = _send(
            version=version, channel=channel, locale=locale, to=to, to_name=to_name, data=data
        )
    except Exception as exc:
        _attempt_finish(attempt, result=Result.FAILED, reason=str(exc))
        raise
    _attempt_finish(attempt, result=Result.SENT, reference=entry.message_reference)
    return entry, content


def _send(
    *,
    version: TemplateVersion,
    channel: str,
    locale: str,
    to: str,
    to_name: str,
    data: dict[str, Any] | None,
) -> tuple[ArchiveEntry, bytes]:
    data = version.sample_data if data is None else data
    message_id = make_msgid(idstring="test", domain=settings.CCM_MESSAGE_ID_DOMAIN)
    recipient = Recipient(name=to_name, address_lines=tuple(to.splitlines()))
    rendered = render(version, channel, locale, data, recipient=recipient)
    brand = version.communication.brand
    if channel == Channel.EMAIL:
        rendered = test_send_mark(rendered)
        email = email_build(
            rendered=rendered,
            to=to,
            to_name=to_name,
            from_email=brand.email_sender,
            message_id=message_id,
            extra_headers={"X-CCM-Test": "true"},
        )
        content, content_type = email.as_bytes(), "message/rfc822"
        with get_connection() as connection:
            connection.send_messages([email])
    elif channel == Channel.SMS:
        sms_number_check(number=to)
        content, content_type = rendered.text.encode("utf-8"), "text/plain"
        sender = test_sms_sender(version=version)
        sms_throttle(backend_alias="default", sender=sender)
        sms_backends["default"].send(
            [SmsMessage(to=to, sender=sender, text=rendered.text, reference=message_id)]
        )
    else:
        content, content_type = render_pdf(rendered), "application/pdf"
    entry = archive_record_create(
        content=content,
        content_type=content_type,
        message=None,
        version=version,
        channel=channel,
        locale=locale,
        recipient=to,
        recipient_name=to_name,
        subject=rendered.subject if channel == Channel.EMAIL else rendered.text[:500],
        data=dict(data),
        message_reference=message_id,
        is_test=True,
    )
    return entry, content


def phone_verification_start(*, user: User, number: str) -> VerifiedPhone:
    """Send a one-time code by SMS to ``number`` so that ``user`` can prove it is theirs
    (``test_recipients.phone_verification_confirm``). The SMS goes through the default
    SMS backend from ``CCM_TEST_SMS_SENDER`` (always: never a brand's), counted
    against ``CCM_PHONE_VERIFICATION_RATE_LIMIT`` and logged. Raises TestSendRefused
    (already verified), TestSendRateLimited, SmsRefused (not a valid number, or a region
    SMS may not go to), DeliveryError."""
    number = phone_normalise(number)
    try:
        sms_number_check(number=number)
    except DeliveryError as exc:
        _log_refused(
            user=user,
            purpose=Purpose.PHONE_CODE,
            version=None,
            channel=Channel.SMS,
            locale="",
            recipient=number,
            reason=str(exc),
        )
        raise
    if VerifiedPhone.objects.filter(user=user, number=number, verified_at__isnull=False).exists():
        raise TestSendRefused(_("%(number)s is already verified.") % {"number": number})
    attempt = _attempt_claim(
        user=user,
        purpose=Purpose.PHONE_CODE,
        version=None,
        channel=Channel.SMS,
        locale="",
        recipient=number,
    )
    phone, code = phone_code_issue(user=user, number=number)
    reference = make_msgid(idstring="phone-code", domain=settings.CCM_MESSAGE_ID_DOMAIN)
    sender = str(settings.CCM_TEST_SMS_SENDER)
    text = _("Your CCM verification code is %(code)s. It expires in 10 minutes.") % {"code": code}
    try:
        sms_throttle(backend_alias="default", sender=sender)
        sms_backends["default"].send(
            [SmsMessage(to=number, sender=sender, text=text, reference=reference)]
        )
    except Exception as exc:
        _attempt_finish(attempt, result=Result.FAILED, reason=str(exc))
        raise
    _attempt_finish(attempt, result=Result.SENT, reference=reference)
    return phone
