"""Celery tasks: thin; the work is in templates_store.services."""

from celery import shared_task

from templates_store import services


@shared_task
def versions_publish_due() -> None:
    services.versions_publish_due()
