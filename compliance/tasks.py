from celery import shared_task

from compliance import retention, services


@shared_task
def archive_seal() -> None:
    while services.archive_seal() is not None:
        pass


@shared_task
def archive_purge() -> None:
    retention.archive_purge()
