"""Celery tasks: thin, id-based; the work is in channels.services."""

from celery import shared_task

from channels import services
from channels.exceptions import DeliveryError
from channels.services import callbacks


@shared_task(acks_late=True)
def batch_dispatch(batch_id: int) -> None:
    services.batch_dispatch(batch_id=batch_id)


@shared_task(bind=True, acks_late=True, max_retries=8)
def messages_send(self, message_ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    try:
        services.messages_send(message_ids=message_ids)
    except DeliveryError as exc:
        # Transient: the service queued the unsent messages again; retry with backoff.
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 3600)) from exc


@shared_task
def messages_requeue_stuck() -> None:
    services.messages_requeue_stuck()


@shared_task
def realtime_print_run() -> None:
    services.print_files_build(batch=None)


@shared_task
def messages_release_due() -> None:
    services.messages_release_due()


@shared_task
def webhook_deliveries_send() -> None:
    callbacks.webhook_deliveries_send()
