"""Celery tasks: thin, id-based; the work is in channels.services and channels.pipeline."""

import logging

from celery import shared_task

from channels import services
from channels.enqueue import BATCH_DISPATCH, MESSAGES_SEND
from channels.exceptions import DeliveryError
from channels.pipeline import send, sweepers
from channels.services import callbacks, printing

logger = logging.getLogger(__name__)


@shared_task(name=BATCH_DISPATCH, acks_late=True)
def batch_dispatch(batch_id: int) -> None:
    services.batch_dispatch(batch_id=batch_id)


@shared_task(name=MESSAGES_SEND, acks_late=True)
def messages_send(message_ids: list[int]) -> None:
    try:
        send.messages_send(message_ids=message_ids)
    except DeliveryError as exc:
        # Transient: the unsent messages are queued again, each after its back-off, and
        # messages_release_due enqueues them when it has passed (no Celery countdown).
        logger.warning("chunk stopped after a transient error: %s", exc)


@shared_task
def messages_requeue_stuck() -> None:
    sweepers.messages_requeue_stuck()


@shared_task
def realtime_print_run() -> None:
    printing.print_files_build(batch=None)


@shared_task
def messages_release_due() -> None:
    sweepers.messages_release_due()


@shared_task
def webhook_deliveries_send() -> None:
    callbacks.webhook_deliveries_send()
