import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from channels.models import Batch, Message, PrintFile
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
    return {
        "counts": counts,
        "accepted": accepted,
        "rejected": len(batch.rejected_rows),
        "done": done,
        "percent": round(100 * done / accepted) if accepted else 100,
        "estimated_finish": estimated_finish,
    }


def batch_list() -> QuerySet[Batch]:
    return Batch.objects.select_related("communication", "version", "created_by")


def message_list(*, batch: Batch, status: str | None = None) -> QuerySet[Message]:
    qs = Message.objects.filter(batch=batch).select_related("customer")
    return qs.filter(status=status) if status else qs


def batch_list_with_progress() -> QuerySet[Batch]:
    """Batches, newest first, each annotated with ``accepted`` (messages created) and
    ``done`` (messages in a final status)."""
    return (
        batch_list()
        .annotate(
            accepted=Count("messages"),
            done=Count("messages", filter=Q(messages__status__in=Message.DONE_STATUSES)),
        )
        .order_by("-created_at", "-id")
    )


def batch_get(*, pk: int) -> Batch:
    return Batch.objects.select_related("communication", "version", "created_by").get(pk=pk)


def print_file_list(*, batch: Batch) -> QuerySet[PrintFile]:
    return PrintFile.objects.filter(batch=batch).order_by("created_at")


def communications_with_published_version() -> QuerySet[Communication]:
    """Communications a batch can be submitted for: those with a published version."""
    return Communication.objects.filter(versions__status=TemplateVersion.Status.PUBLISHED).order_by(
        "name"
    )
