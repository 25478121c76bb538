from celery import shared_task

from compliance import services


@shared_task
def archive_seal() -> None:
    while services.archive_seal() is not None:
        pass
