"""Sending a chunk of messages: claim, render, archive, send, record.

Each step is idempotent. A message is claimed with a conditional update (SKIP LOCKED on
PostgreSQL), provider calls happen outside any transaction, and the outcome is written
after. A worker that dies leaves messages in ``rendering``/``sending``; the sweeper puts
them back to ``queued`` after CCM_CLAIM_TIMEOUT_SECONDS. The Message-ID (or SMS
reference) is fixed before the first attempt and reused, so the one duplicate no
protocol can rule out (provider accepted, worker died before recording it) carries the
same id and the same archive entry.
"""

import datetime as dt
import logging
import smtplib
from collections.abc import Iterable
from datetime import timedelta
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from channels.backends import sms_backends
from channels.backends.email import email_build
from channels.backends.sms.base import SmsMessage
from channels.exceptions import DeliveryError, RecipientRejected
from channels.models import Batch, DeliveryEvent, Message
from channels.rate_limits import backend_rate_limit, limiter
from channels.rendering import Recipient, Rendered, RenderError, render, render_pdf
from channels.services.batches import available_channels, batch_finalize, row_context
from channels.services.callbacks import callbacks_for_messages
from channels.services.pacing import quiet_until
from channels.services.routing import RowError, Suppressed, route_choose
from compliance.services import archive_record_create
from customers.models import Suppression
from customers.services import suppression_add

logger = logging.getLogger(__name__)
Status = Message.Status


def _claim(message_ids: Iterable[int]) -> list[Message]:
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(id__in=list(message_ids), status=Status.QUEUED)
            .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
            .values_list("id", flat=True)
        )
        Message.objects.filter(id__in=ids).update(
            status=Status.RENDERING, claimed_at=now, attempts=F("attempts") + 1
        )
    claimed = list(
        Message.objects.filter(id__in=ids)
        .select_related("version__communication__brand", "customer")
        .prefetch_related("version__variants")
        .order_by("id")
    )
    return [m for m in claimed if not _deferred_for_quiet_hours(m, now)]


def _deferred_for_quiet_hours(message: Message, now: dt.datetime) -> bool:
    """Batch messages wait for the end of the recipient's quiet hours (real-time ones,
    such as one-time codes, do not)."""
    if message.batch_id is None:
        return False
    until = quiet_until(channel=message.channel, tz_name=message.timezone, now=now)
    if until is None:
        return False
    Message.objects.filter(pk=message.pk).update(
        status=Status.QUEUED, claimed_at=None, not_before=until
    )
    _event(message, DeliveryEvent.Kind.DEFERRED, until=until.isoformat())
    return True


def _event(message: Message, kind: str, **detail: Any) -> None:
    DeliveryEvent.objects.create(message=message, kind=kind, detail=detail)


def _fail(message: Message, reason: str) -> None:
    Message.objects.filter(pk=message.pk).update(status=Status.FAILED, last_error=reason)
    _event(message, DeliveryEvent.Kind.FAILED, reason=reason)


def _release(messages: list[Message], reason: str) -> None:
    """Put claimed messages that were not finished back in the queue (transient error)."""
    ids = [m.pk for m in messages]
    released = Message.objects.filter(id__in=ids, status__in=Message.CLAIMED_STATUSES).update(
        status=Status.QUEUED, claimed_at=None, last_error=reason
    )
    if released:
        logger.warning("released %s messages after a transient error: %s", released, reason)


def _mark_sent(message: Message, provider_message_id: str, backend: str) -> None:
    Message.objects.filter(pk=message.pk).update(
        status=Status.SENT, sent_at=timezone.now(), provider_message_id=provider_message_id
    )
    _event(
        message, DeliveryEvent.Kind.SENT, backend=backend, provider_message_id=provider_message_id
    )


def _recipient(message: Message) -> Recipient:
    lines = tuple(line.strip() for line in message.recipient.splitlines() if line.strip())
    return Recipient(name=message.recipient_name, address_lines=lines)


def message_render(message: Message) -> Rendered:
    return render(
        message.version,
        message.channel,
        message.locale,
        message.data,
        recipient=_recipient(message),
        letter_date=timezone.localdate(message.created_at),
    )


def _archive(
    message: Message, rendered: Rendered, content: bytes, content_type: str, backend: str
) -> None:
    archive_record_create(
        content=content,
        content_type=content_type,
        message=message,
        version=message.version,
        channel=message.channel,
        locale=message.locale,
        recipient=message.recipient,
        recipient_name=message.recipient_name,
        subject=rendered.subject if message.channel == "email" else rendered.text[:500],
        data=message.data,
        customer=message.customer,
        backend=backend,
        message_reference=message.message_id,
    )


def _ensure_message_id(message: Message) -> None:
    if not message.message_id:
        message.message_id = make_msgid(
            idstring=str(message.pk), domain=settings.CCM_MESSAGE_ID_DOMAIN
        )
        Message.objects.filter(pk=message.pk).update(message_id=message.message_id)


def _send_email(message: Message, rendered: Rendered, connection: Any) -> None:
    _ensure_message_id(message)
    email = email_build(
        rendered=rendered,
        to=message.recipient,
        to_name=message.recipient_name,
        from_email=message.version.communication.brand.email_sender,
        message_id=message.message_id,
    )
    # ESPs (through anymail) echo this back in their tracking events.
    email.metadata = {"ccm_message_id": str(message.pk)}  # type: ignore[attr-defined]
    _archive(message, rendered, email.as_bytes(), "message/rfc822", settings.EMAIL_BACKEND)
    Message.objects.filter(pk=message.pk).update(status=Status.SENDING)
    limiter().wait("email", settings.CCM_EMAIL_RATE_LIMIT)
    try:
        connection.send_messages([email])
    except smtplib.SMTPRecipientsRefused as exc:
        raise RecipientRejected(f"recipient refused: {exc.recipients}") from exc
    except smtplib.SMTPDataError as exc:
        raise DeliveryError(
            f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=500 <= exc.smtp_code < 600
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP: {exc}", permanent=False) from exc
    status = getattr(email, "anymail_status", None)
    provider_id = (status.message_id if status is not None else None) or message.message_id
    _mark_sent(message, str(provider_id), settings.EMAIL_BACKEND)


def _send_sms(message: Message, rendered: Rendered, backend: Any) -> None:
    _ensure_message_id(message)
    _archive(message, rendered, rendered.text.encode("utf-8"), "text/plain", backend.alias)
    Message.objects.filter(pk=message.pk).update(status=Status.SENDING)
    sms = SmsMessage(
        to=message.recipient,
        sender=message.version.communication.brand.sms_sender,
        text=rendered.text,
        reference=message.message_id,
    )
    limiter().wait(f"sms:{backend.alias}", backend_rate_limit(backend.alias))
    (result,) = backend.send([sms])
    _mark_sent(message, result.provider_message_id, f"sms:{backend.alias}")


def _prepare_letter(message: Message, rendered: Rendered) -> None:
    _ensure_message_id(message)
    _archive(message, rendered, render_pdf(rendered), "application/pdf", "print:default")
    Message.objects.filter(pk=message.pk).update(status=Status.AWAITING_PRINT)
    _event(message, DeliveryEvent.Kind.RENDERED)


def messages_send(*, message_ids: list[int]) -> None:
    """Send the given messages that are still queued; others are left alone.

    Raises DeliveryError(permanent=False) after a transient failure (SMTP server down,
    SMS gateway unreachable); the messages not yet sent are queued again first, so the
    caller can simply retry the same ids later.
    """
    messages = _claim(message_ids)
    if not messages:
        return
    email_connection = None
    sms_backend = None
    try:
        for index, message in enumerate(messages):
            try:
                rendered = message_render(message)
            except RenderError as exc:
                _fail(message, f"render: {exc}")
                continue
            try:
                if message.channel == "email":
                    if email_connection is None:
                        email_connection = get_connection()
                        email_connection.open()
                    _send_email(message, rendered, email_connection)
                elif message.channel == "sms":
                    if sms_backend is None:
                        sms_backend = sms_backends["default"]
                        sms_backend.open()
                    _send_sms(message, rendered, sms_backend)
                else:
                    _prepare_letter(message, rendered)
            except DeliveryError as exc:
                if exc.permanent:
                    _fail(message, str(exc))
                    if isinstance(exc, RecipientRejected):
                        suppression_add(
                            channel=message.channel,
                            address=message.recipient,
                            reason=Suppression.Reason.HARD_BOUNCE,
                            note=str(exc),
                        )
                    message_fallback(message=message)
                    continue
                _release(messages[index:], str(exc))
                raise
    finally:
        if email_connection is not None:
            email_connection.close()
        if sms_backend is not None:
            sms_backend.close()
    callbacks_for_messages(message_ids=[m.pk for m in messages])
    for batch_id in {m.batch_id for m in messages if m.batch_id}:
        batch_finalize(batch_id=batch_id)


def message_fallback(*, message: Message) -> Message | None:
    """After a permanent failure, queue the same communication on the customer's next
    channel (e.g. the letter after a hard bounce), recorded on both messages. Returns the
    new message, or None when no channel is left."""
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
            fallback_of=message,
        )
        _event(
            message,
            DeliveryEvent.Kind.FALLBACK,
            to_channel=route.channel,
            fallback_message=fallback.pk,
        )
        transaction.on_commit(lambda: _enqueue_send([fallback.pk]))
    return fallback


def _enqueue_send(ids: list[int]) -> None:
    from channels.tasks import messages_send as messages_send_task

    messages_send_task.delay(ids)


def messages_release_due() -> int:
    """Enqueue queued messages whose time has come (scheduled sends, ends of quiet hours).
    Clearing ``not_before`` marks them released, so each is enqueued once."""
    now = timezone.now()
    due = Message.objects.filter(status=Status.QUEUED, not_before__lte=now).exclude(
        batch__status__in=[Batch.Status.CANCELLED]
    )
    ids = list(due.order_by("id").values_list("id", flat=True)[:100_000])
    Message.objects.filter(id__in=ids, status=Status.QUEUED).update(not_before=None)
    for start in range(0, len(ids), settings.CCM_CHUNK_SIZE):
        _enqueue_send(ids[start : start + settings.CCM_CHUNK_SIZE])
    return len(ids)


def messages_requeue_stuck() -> int:
    """Take back messages claimed by a worker that died; enqueue them again.

    Also closes batches whose last chunk finished without closing them. Returns the
    number of messages re-queued.
    """
    from channels.tasks import messages_send as messages_send_task

    cutoff = timezone.now() - timedelta(seconds=settings.CCM_CLAIM_TIMEOUT_SECONDS)
    stuck = Message.objects.filter(status__in=Message.CLAIMED_STATUSES, claimed_at__lt=cutoff)
    ids = list(stuck.values_list("id", flat=True))
    Message.objects.filter(id__in=ids, status__in=Message.CLAIMED_STATUSES).update(
        status=Status.QUEUED, claimed_at=None
    )
    for start in range(0, len(ids), settings.CCM_CHUNK_SIZE):
        messages_send_task.delay(ids[start : start + settings.CCM_CHUNK_SIZE])
    for batch_id in Batch.objects.filter(status=Batch.Status.RUNNING).values_list("id", flat=True):
        batch_finalize(batch_id=batch_id)
    return len(ids)
