"""Batches: accept recipient rows, split the work into chunk tasks, finish with print files."""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from ccm.bulk_copy import instances_copy
from ccm.chunking import chunked
from ccm.vocabulary import Channel
from channels.enqueue import batch_dispatch_enqueue, messages_send_enqueue
from channels.models import Batch, Message
from channels.pipeline import transitions
from channels.selectors import batch_counts
from channels.services.callbacks import callback_for_batch, callbacks_for_messages
from channels.services.pacing import marketing_counts
from channels.services.printing import print_files_build
from channels.services.routing import (
    DataValidator,
    RowError,
    Suppressed,
    data_validator,
    route_choose,
)
from customers.models import Customer
from customers.selectors import consents_granted, suppressed_addresses
from templates_store.models import Communication, TemplateVersion
from templates_store.selectors import version_published

_INSERT_CHUNK = 1000
# Rejected rows kept on the batch; past this only the count grows.
_MAX_REPORTED_ERRORS = 10_000


def batch_create(
    *,
    communication: Communication,
    rows: Iterable[Mapping[str, Any]],
    created_by: User,
    source: str = "api",
    send_at: dt.datetime | None = None,
) -> Batch:
    """Accept a batch for the published version of ``communication``.

    Each row names a customer (``customer_id``) or carries inline contact data (``email``,
    ``phone``, ``address``, ``name``, ``locale``, optional ``channel``) plus its ``data``.
    Rows that fail (unknown customer, data not matching the schema, no usable channel)
    are reported as {row, field, reason}; the others are queued. Rows are consumed as a
    stream, a thousand at a time. With ``send_at`` nothing goes before that time.
    The batch and its messages belong to ``created_by``'s API client (the user of the
    token, or the person uploading; see ``channels.selectors.batches_of_client``).
    Raises ValidationError when nothing is published.
    """
    version = version_published(communication=communication)
    if version is None:
        raise ValidationError(f"Communication {communication.key!r} has no published version.")
    available = available_channels(version)

    with transaction.atomic():
        batch = Batch.objects.create(
            communication=communication,
            version=version,
            created_by=created_by,
            source=source,
            send_at=send_at,
        )
        total = 0
        rejected: list[dict[str, Any]] = []
        for chunk in chunked(enumerate(rows, start=1), _INSERT_CHUNK):
            total += len(chunk)
            messages = _messages_for_rows(batch, version, chunk, available, rejected)
            if connection.vendor == "postgresql":
                instances_copy(messages)
            else:
                Message.objects.bulk_create(messages, batch_size=_INSERT_CHUNK)
        batch.total_rows = total
        batch.rejected_rows = rejected[:_MAX_REPORTED_ERRORS]
        batch.save(update_fields=["total_rows", "rejected_rows"])
        batch_dispatch_enqueue(batch.pk)
    return batch


def available_channels(version: TemplateVersion) -> dict[str, set[str]]:
    """Each channel the version has content for, with its locales."""
    available: dict[str, set[str]] = {}
    for variant in version.variants.all():
        available.setdefault(variant.channel, set()).add(variant.locale)
    return available


@dataclass
class RowContext:
    """What routing needs to know about the rows of one chunk, fetched in a few queries."""

    customers: dict[str, Customer] = field(default_factory=dict)
    consented: set[int] = field(default_factory=set)
    suppressed: set[tuple[str, str]] = field(default_factory=set)
    # Marketing messages per customer in the frequency-cap window (grows as rows are accepted).
    marketing_counts: dict[int, int] = field(default_factory=dict)
    # The communication's data schema, ready to check the rows.
    validator: DataValidator = field(default_factory=lambda: DataValidator({}))


def row_context(*, rows: list[Any], communication: Communication) -> RowContext:
    ids = {
        str(r.get("customer_id")) for r in rows if isinstance(r, Mapping) and r.get("customer_id")
    }
    customers = {c.external_id: c for c in Customer.objects.filter(external_id__in=ids)}
    contacts: list[tuple[str, str]] = []
    for row in rows:
        if isinstance(row, Mapping):
            contacts += [
                (Channel.EMAIL, str(row.get("email") or "")),
                (Channel.SMS, str(row.get("phone") or "")),
            ]
    for customer in customers.values():
        contacts += [(Channel.EMAIL, customer.email), (Channel.SMS, customer.phone)]
    customer_ids = [c.pk for c in customers.values()]
    marketing = communication.category == Communication.Category.MARKETING
    return RowContext(
        customers=customers,
        consented=consents_granted(customer_ids=customer_ids, category=communication.category),
        suppressed=suppressed_addresses(contacts=contacts),
        marketing_counts=marketing_counts(customer_ids=customer_ids) if marketing else {},
        validator=data_validator(communication.data_schema),
    )


def message_build(
    *,
    version: TemplateVersion,
    row: Any,
    context: RowContext,
    available: dict[str, set[str]],
    batch: Batch | None = None,
    number: int = 0,
    send_at: dt.datetime | None = None,
) -> Message:
    """An unsaved Message for one recipient row: queued, or suppressed with the reason.
    Raises RowError naming the field when the row cannot be accepted."""
    if not isinstance(row, Mapping):
        raise RowError("row", "must be an object")
    customer = None
    if row.get("customer_id"):
        customer = context.customers.get(str(row["customer_id"]))
        if customer is None:
            raise RowError("customer_id", f"no customer {row['customer_id']!r}")
    data = row.get("data", {})
    context.validator.validate(data)
    status, reason = Message.Status.QUEUED, ""
    try:
        route = route_choose(
            communication=version.communication,
            customer=customer,
            row=row,
            available=available,
            consented=customer is not None and customer.pk in context.consented,
            suppressed=context.suppressed,
        )
    except Suppressed as exc:
        route, status, reason = exc.route, Message.Status.SUPPRESSED, exc.reason
    if (
        customer is not None
        and status == Message.Status.QUEUED
        and (version.communication.category == Communication.Category.MARKETING)
    ):
        sent = context.marketing_counts.get(customer.pk, 0)
        if sent >= settings.CCM_MARKETING_CAP_MESSAGES:
            status = Message.Status.SUPPRESSED
            reason = (
                f"frequency cap: {sent} marketing messages in "
                f"{settings.CCM_MARKETING_CAP_DAYS} days"
            )
        else:
            context.marketing_counts[customer.pk] = sent + 1
    return Message(
        batch=batch,
        version=version,
        customer=customer,
        row_number=number,
        channel=route.channel,
        locale=route.locale,
        recipient=route.recipient,
        recipient_name=route.recipient_name,
        timezone=str(
            row.get("timezone") or (customer.timezone if customer else "") or settings.TIME_ZONE
        ),
        not_before=send_at,
        data=data,
        status=status,
        last_error=reason,
    )


def _messages_for_rows(
    batch: Batch,
    version: TemplateVersion,
    chunk: list[tuple[int, Any]],
    available: dict[str, set[str]],
    rejected: list[dict[str, Any]],
) -> list[Message]:
    context = row_context(rows=[row for _, row in chunk], communication=version.communication)
    messages = []
    for number, row in chunk:
        try:
            messages.append(
                message_build(
                    version=version,
                    row=row,
                    context=context,
                    available=available,
                    batch=batch,
                    number=number,
                    send_at=batch.send_at,
                )
            )
        except RowError as exc:
            rejected.append({"row": number, "field": exc.field, "reason": exc.reason})
    return messages


def batch_dispatch(*, batch_id: int) -> int:
    """Split a batch's queued messages into chunk tasks; returns how many were enqueued."""
    updated = Batch.objects.filter(pk=batch_id, status=Batch.Status.QUEUED).update(
        status=Batch.Status.RUNNING
    )
    if not updated:
        return 0
    now = timezone.now()
    ids = (
        Message.objects.filter(batch_id=batch_id, status=Message.Status.QUEUED)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .order_by("id")
        .values_list("id", flat=True)
        .iterator(chunk_size=10_000)
    )
    count = 0
    for chunk in chunked(ids, settings.CCM_CHUNK_SIZE):
        messages_send_enqueue(chunk)
        count += 1
    if count == 0:
        batch_finalize(batch_id=batch_id)
    return count


def batch_finalize(*, batch_id: int) -> bool:
    """Once no message of the batch is left to send, produce its print files and close it.

    Safe to call from every chunk: only the first caller that finds the batch done does
    the work. Returns True when this call completed the batch.
    """
    open_statuses = [Message.Status.QUEUED, Message.Status.RENDERING, Message.Status.SENDING]
    if Message.objects.filter(batch_id=batch_id, status__in=open_statuses).exists():
        return False
    claimed = Batch.objects.filter(pk=batch_id, status=Batch.Status.RUNNING).update(
        status=Batch.Status.FINISHING
    )
    if not claimed:
        return False
    batch = Batch.objects.get(pk=batch_id)
    print_files = print_files_build(batch=batch)
    Batch.objects.filter(pk=batch_id).update(
        status=Batch.Status.COMPLETED, finished_at=timezone.now()
    )
    batch.refresh_from_db()
    for print_file in print_files:
        callbacks_for_messages(message_ids=print_file.message_ids)
    callbacks_for_messages(
        message_ids=Message.objects.filter(
            batch=batch, status=Message.Status.SUPPRESSED
        ).values_list("id", flat=True)
    )
    callback_for_batch(batch=batch, counts=batch_counts(batch=batch))
    return True


@transaction.atomic
def batch_cancel(*, batch: Batch) -> int:
    """Cancel every message not yet claimed by a worker, and letters not yet in a print
    file; returns how many were cancelled."""
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    if batch.is_finished:
        raise ValidationError(f"Batch {batch.pk} is already {batch.get_status_display()}.")
    queued = Message.objects.filter(
        batch=batch, status__in=[Message.Status.QUEUED, Message.Status.AWAITING_PRINT]
    )
    ids = list(queued.values_list("id", flat=True))
    cancelled = queued.update(status=Message.Status.CANCELLED)
    transitions.messages_cancelled(ids)
    batch.status = Batch.Status.CANCELLED
    batch.finished_at = timezone.now()
    batch.save(update_fields=["status", "finished_at"])
    return cancelled
