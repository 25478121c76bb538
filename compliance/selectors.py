from typing import Any

from django.db.models import Q, QuerySet

from compliance.models import AccessLog, ArchiveEntry


def archive_entry_search(
    *, query: str = "", channel: str = "", batch: int | None = None, communication: str = "", is_test: bool | None = None
) -> QuerySet[ArchiveEntry]:
    """Archive entries matching every given criterion, newest first.

    ``query`` matches the recipient (address or phone, exact or prefix), the customer's
    external id or the recipient's name.
    """
    qs = ArchiveEntry.objects.select_related("communication", "version", "customer", "message")
    if query:
        qs = qs.filter(
            Q(recipient__startswith=query)
            | Q(customer__external_id=query)
            | Q(recipient_name__icontains=query)
        )
    if channel:
        qs = qs.filter(channel=channel)
    if batch:
        qs = qs.filter(message__batch_id=batch)
    if communication:
        qs = qs.filter(communication__key=communication)
    if is_test is not None:
        qs = qs.filter(is_test=is_test)
    return qs


def archive_entry_get(*, pk: int) -> ArchiveEntry:
    return ArchiveEntry.objects.select_related(
        "communication", "version__approved_by", "version__author", "customer", "message__batch"
    ).get(pk=pk)


def access_log_list(**filters: Any) -> QuerySet[AccessLog]:
    return AccessLog.objects.select_related("actor", "entry").filter(**filters)
