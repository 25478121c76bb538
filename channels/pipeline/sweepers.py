"""Sweepers (Celery beat): what no running task will pick up is enqueued again.

- ``messages_release_due``: queued messages whose time has come (scheduled sends, ends
  of quiet hours, back-offs after a transient error).
- ``messages_requeue_stuck``: messages whose worker died, and what a lost broker left
  behind (queued messages and batches never dispatched).
"""

import datetime as dt
import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from ccm.broker import broker_queue_sizes
from channels.enqueue import batch_dispatch_enqueue, messages_send_enqueue
from channels.models import Batch, Message
from channels.pipeline import transitions
from channels.senders.registry import senders_all
from channels.services.batches import batch_finalize

logger = logging.getLogger(__name__)
Status = Message.Status

# Messages one sweep enqueues at most; the next sweep takes the rest.
_SWEEP_LIMIT = 100_000


def messages_release_due() -> int:
    """Enqueue queued messages whose time has come (scheduled sends, ends of quiet hours).
    Clearing ``not_before`` marks them released, so each is enqueued once."""
    now = timezone.now()
    due = Message.objects.filter(status=Status.QUEUED, not_before__lte=now).exclude(
        batch__status__in=[Batch.Status.CANCELLED]
    )
    ids = list(due.order_by("id").values_list("id", flat=True)[:_SWEEP_LIMIT])
    Message.objects.filter(id__in=ids, status=Status.QUEUED).update(not_before=None)
    _enqueue_in_chunks(ids)
    return len(ids)


def messages_requeue_stuck() -> int:
    """Take back what dead workers and a lost broker left behind, and enqueue it again.

    - Messages claimed longer ago than CCM_CLAIM_TIMEOUT_SECONDS: their worker died. One
      that was being sent may have reached its recipient; that is recorded on it.
    - When the broker holds no task: messages still queued, due, and older than the
      timeout (their tasks were lost with the broker), and batches never dispatched.

    Also closes batches whose last chunk finished without closing them. Returns the
    number of messages enqueued again.
    """
    cutoff = timezone.now() - timedelta(seconds=settings.CCM_CLAIM_TIMEOUT_SECONDS)
    ids = _take_back_claimed(cutoff)
    if not any(broker_queue_sizes().values()):
        ids += _orphaned(cutoff)
        for batch_id in Batch.objects.filter(
            status=Batch.Status.QUEUED, created_at__lt=cutoff
        ).values_list("id", flat=True):
            batch_dispatch_enqueue(batch_id)
    _enqueue_in_chunks(ids)
    for batch_id in Batch.objects.filter(status=Batch.Status.RUNNING).values_list("id", flat=True):
        batch_finalize(batch_id=batch_id)
    return len(ids)


def _enqueue_in_chunks(ids: list[int]) -> None:
    for start in range(0, len(ids), settings.CCM_CHUNK_SIZE):
        messages_send_enqueue(ids[start : start + settings.CCM_CHUNK_SIZE])


def _take_back_claimed(cutoff: dt.datetime) -> list[int]:
    stuck = list(
        Message.objects.filter(status__in=Message.CLAIMED_STATUSES, claimed_at__lt=cutoff)
        .order_by("id")
        .values_list("id", "status", "channel")[:_SWEEP_LIMIT]
    )
    # A letter in ``sending`` was never handed to anyone: it cannot arrive twice.
    kept = {sender.channel for sender in senders_all() if not sender.hands_over}
    taken = transitions.messages_taken_back(
        [(message_id, status, channel not in kept) for message_id, status, channel in stuck],
        cutoff=cutoff,
    )
    if taken:
        logger.warning("took back %s messages from workers that stopped", len(taken))
    return taken


def _orphaned(cutoff: dt.datetime) -> list[int]:
    """Queued messages that no task will ever pick up: the broker lost their tasks."""
    return list(
        Message.objects.filter(
            status=Status.QUEUED,
            not_before__isnull=True,
            created_at__lt=cutoff,
        )
        .filter(Q(batch__isnull=True) | Q(batch__status=Batch.Status.RUNNING))
        .order_by("id")
        .values_list("id", flat=True)[:_SWEEP_LIMIT]
    )
