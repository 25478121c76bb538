import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from ccm.roles import CANCEL_EVERY_CLIENT, VIEW_EVERY_CLIENT
from channels.models import Batch, Message, PrintFile, WebhookDelivery, WebhookEndpoint
from templates_store.models import Communication, TemplateVersion


def batch_counts(*, batch: Batch) -> dict[str, int]:
    """Messages of the batch per status, every status present (zero when none)."""
    counts = {status: 0 for status in Message.Status.values}
    for row in Message.objects.filter(batch=batch).values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


def batch_progress(*, batch: Batch, now: dt.datetime | None = None) -> dict[str, Any]:
    """Counts per status, how much is done, and when the rest should be done at the rate
    so far (None before the first message is done, or once the batch is finished)."""
    counts = batch_counts(batch=batch)
    accepted = sum(counts.values())
    done = sum(counts[s] for s in Message.DONE_STATUSES)
    estimated_finish = None
    if not batch.is_finished and 0 < done < accepted:
        now = now or timezone.now()
        started = max(batch.created_at, batch.send_at) if batch.send_at else batch.created_at
        elapsed = (now - started).total_seconds()
        if elapsed > 0:
            estimated_finish = now + dt.timedelta(seconds=elapsed / done * (accepted - done))
    # Every row received is accepted (a message) or rejected; rejected_rows keeps the
    # first reasons only, so the count is not its length.
    rejected = max(batch.total_rows - accepted, 0)
    return {
        "counts": counts,
        "accepted": accepted,
        "rejected": rejected,
        "rejected_rows_truncated": len(batch.rejected_rows) < rejected,
        "done": done,
        "percent": round(100 * done / accepted) if accepted else 100,
        "estimated_finish": estimated_finish,
    }


def message_list(*, batch: Batch, status: str | None = None) -> QuerySet[Message]:
    qs = Message.objects.filter(batch=batch).select_related("customer")
    return qs.filter(status=status) if status else qs


def batch_list_with_progress(*, viewer: User) -> QuerySet[Batch]:
    """The batches ``viewer`` may see (``batches_of_client``), newest first, each annotated
    with ``accepted`` (messages created) and ``done`` (messages in a final status)."""
    return (
        batches_of_client(viewer=viewer)
        .annotate(
            accepted=Count("messages"),
            done=Count("messages", filter=Q(messages__status__in=Message.DONE_STATUSES)),
        )
        .order_by("-created_at", "-id")
    )


def print_file_list(*, batch: Batch) -> QuerySet[PrintFile]:
    return PrintFile.objects.filter(batch=batch).order_by("created_at")


def communications_with_published_version() -> QuerySet[Communication]:
    """Communications a batch can be submitted for: those with a published version."""
    return Communication.objects.filter(versions__status=TemplateVersion.Status.PUBLISHED).order_by(
        "name"
    )


# API CLIENTS ----------------------------------------------------------------------------
# A client is a user (ccm.roles, VIEW_EVERY_CLIENT). These are what a client's requests may
# reach, through the API and the pages alike; another client's object is simply not in
# them, so the API and the pages answer 404 for it.


def batches_of_client(*, viewer: User, for_cancel: bool = False) -> QuerySet[Batch]:
    """The batches ``viewer`` may see (``for_cancel``: may cancel): its own, or every
    client's with ``VIEW_EVERY_CLIENT`` (``CANCEL_EVERY_CLIENT``)."""
    spanning = CANCEL_EVERY_CLIENT if for_cancel else VIEW_EVERY_CLIENT
    batches = Batch.objects.select_related("communication", "version", "created_by")
    return batches if viewer.has_perm(spanning) else batches.filter(created_by=viewer)


def messages_of_client(*, viewer: User) -> QuerySet[Message]:
    """The messages ``viewer`` may see: those of its batches and its real-time messages
    (``requested_by``), or every client's with ``VIEW_EVERY_CLIENT``."""
    messages = Message.objects.select_related("customer", "version__communication")
    if viewer.has_perm(VIEW_EVERY_CLIENT):
        return messages
    return messages.filter(Q(requested_by=viewer) | Q(batch__created_by=viewer))


def webhook_endpoints_of_client(*, owner: User) -> QuerySet[WebhookEndpoint]:
    """The caller's own callback endpoints (no role reads another client's)."""
    return WebhookEndpoint.objects.filter(owner=owner)


def webhook_deliveries_of_client(
    *, owner: User, status: str | None = None
) -> QuerySet[WebhookDelivery]:
    """The caller's own callbacks, of one status if given."""
    deliveries = WebhookDelivery.objects.filter(endpoint__owner=owner).select_related("endpoint")
    return deliveries.filter(status=status) if status else deliveries
