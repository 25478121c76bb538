"""Retention per category, legal holds, and the purge that leaves tombstones.

An entry expires when the longest retention that applies to it has passed: the period of
the category it was sent under and of its communication's category now. An expired entry
matched by an active legal hold is kept. Purging removes the entry's row and personal
data (on the message too) and its artifact when no other entry shares it, and leaves a
tombstone with the leaf hash it was sealed with and its place in the running chain, signed
(compliance.chain), so the seals and the chain still verify. On PostgreSQL the delete runs
as the role ``ccm_archive_purger``, the only one the write-once trigger lets delete.
"""

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db import connection, transaction
from django.utils import timezone

from ccm.chunking import chunked
from compliance import chain, sealing
from compliance.models import AccessLog, ArchiveEntry, LegalHold, PurgeRun, Seal, Tombstone
from compliance.signals import entries_purged

_CHUNK = 500
# The database role that alone may delete archive entries (compliance/0011).
PURGE_ROLE = "ccm_archive_purger"


def add_years(moment: dt.datetime, years: int) -> dt.datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February in a year that has none
        return moment.replace(year=moment.year + years, day=28)


def retention_years(*categories: str) -> int:
    """The longest retention among ``categories``; an unknown category keeps the longest of all."""
    configured: dict[str, int] = settings.CCM_RETENTION_YEARS
    return max(configured.get(c, max(configured.values())) for c in categories if c is not None)


def entry_expires_at(entry: ArchiveEntry) -> dt.datetime:
    return add_years(
        entry.created_at, retention_years(entry.category or "", entry.communication.category)
    )


def legal_hold_matches(hold: LegalHold, entry: ArchiveEntry) -> bool:
    if hold.customer_id and entry.customer_id != hold.customer_id:
        return False
    if hold.batch_id and (entry.message is None or entry.message.batch_id != hold.batch_id):
        return False
    if hold.communication_id and entry.communication_id != hold.communication_id:
        return False
    if hold.date_from and entry.created_at < hold.date_from:
        return False
    return not (hold.date_to and entry.created_at > hold.date_to)


def legal_hold_create(
    *,
    owner: User,
    reason: str,
    customer: Any = None,
    batch: Any = None,
    communication: Any = None,
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
) -> LegalHold:
    """Place a hold; it needs a reason and at least one criterion. Raises ValidationError."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the communications are held."})
    if not any([customer, batch, communication, date_from, date_to]):
        raise ValidationError("Name a customer, batch, communication or date range to hold.")
    if date_from and date_to and date_from > date_to:
        raise ValidationError({"date_to": "The end of the range is before its start."})
    hold = LegalHold.objects.create(
        owner=owner,
        reason=reason.strip(),
        customer=customer,
        batch=batch,
        communication=communication,
        date_from=date_from,
        date_to=date_to,
    )
    chain.access_log_create(
        actor=owner,
        action=AccessLog.Action.HOLD,
        reason=hold.reason,
        query={"hold": hold.pk, "placed": True},
    )
    return hold


def legal_hold_release(*, hold: LegalHold, actor: User, reason: str) -> LegalHold:
    if not hold.is_active:
        raise ValidationError("This hold is already released.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the hold is released."})
    hold.released_at = timezone.now()
    hold.released_by = actor  # type: ignore[assignment]
    hold.save(update_fields=["released_at", "released_by"])
    chain.access_log_create(
        actor=actor,
        action=AccessLog.Action.HOLD,
        reason=reason.strip(),
        query={"hold": hold.pk, "released": True},
    )
    return hold


def _sealed_leaves() -> dict[int, str]:
    leaves: dict[int, str] = {}
    for seal_leaves in Seal.objects.values_list("leaves", flat=True).iterator(chunk_size=10):
        leaves.update({int(entry_id): leaf for entry_id, leaf in seal_leaves})
    return leaves


def archive_purge(
    *, now: dt.datetime | None = None, actor: User | None = None, dry_run: bool = False
) -> PurgeRun:
    """Remove every expired entry that no active hold keeps. Returns the run's record
    (with ``dry_run`` nothing is changed and the record is not saved)."""
    now = now or timezone.now()
    run = PurgeRun(actor=actor)
    if not dry_run:
        _purge_run_save(run)
    holds = list(LegalHold.objects.filter(released_at__isnull=True))
    shortest = min(settings.CCM_RETENTION_YEARS.values())
    candidates = (
        ArchiveEntry.objects.filter(created_at__lt=add_years(now, -shortest))
        .select_related("communication", "message")
        .order_by("id")
    )
    sealed = _sealed_leaves()
    for chunk in chunked(candidates.iterator(chunk_size=_CHUNK), _CHUNK):
        expired = [e for e in chunk if entry_expires_at(e) <= now]
        to_purge = [e for e in expired if not any(legal_hold_matches(h, e) for h in holds)]
        run.expired += len(expired)
        run.held += len(expired) - len(to_purge)
        run.purged += len(to_purge)
        if dry_run or not to_purge:
            continue
        run.artifacts_deleted += _purge_entries(to_purge, run, sealed)
    run.finished_at = timezone.now()
    if not dry_run:
        _purge_run_save(run)
    return run


def _purge_run_save(run: PurgeRun) -> None:
    """Save the run with its signature (compliance.chain): signed when it starts, so that a
    run that dies half way still verifies, and again with its figures when it ends."""
    if run.pk is None:
        run.save()
    run.signature = chain.purge_run_signature(run)
    run.save()


def _delete_as_purger(ids: list[int]) -> None:
    """Delete the entries ``ids``; on PostgreSQL as the role the write-once trigger lets
    delete (migration compliance/0011), and back to the caller's role afterwards (the
    purge may run inside a longer transaction)."""
    if connection.vendor != "postgresql":
        ArchiveEntry.objects.filter(id__in=ids).delete()
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('role')")
        (role,) = cursor.fetchone()
        cursor.execute(f"SET LOCAL ROLE {PURGE_ROLE}")
        ArchiveEntry.objects.filter(id__in=ids).delete()
        if role == "none":
            cursor.execute("SET LOCAL ROLE NONE")
        else:
            cursor.execute(f"SET LOCAL ROLE {connection.ops.quote_name(role)}")


def _purge_entries(entries: list[ArchiveEntry], run: PurgeRun, sealed: dict[int, str]) -> int:
    ids = [e.pk for e in entries]
    with transaction.atomic():
        tombstones = [
            Tombstone(
                entry_id=e.pk,
                leaf_hash=sealed.get(e.pk) or sealing.entry_leaf_hash(e),
                channel=e.channel,
                created_at=e.created_at,
                purge_run=run,
                chain_previous=e.chain_previous,
                chain_hash=e.chain_hash,
            )
            for e in entries
        ]
        for tombstone in tombstones:
            tombstone.signature = chain.tombstone_signature(tombstone)
        Tombstone.objects.bulk_create(tombstones)
        message_ids = [e.message_id for e in entries if e.message_id]
        entries_purged.send(sender=ArchiveEntry, message_ids=message_ids)
        _delete_as_purger(ids)
    names = {e.artifact_name for e in entries}
    still_used = set(
        ArchiveEntry.objects.filter(artifact_name__in=names).values_list("artifact_name", flat=True)
    )
    storage = storages["archive"]
    deleted = 0
    for name in names - still_used:
        if storage.exists(name):
            storage.delete(name)
            deleted += 1
    return deleted
