"""Writes to the archive. Entries are created once and never updated."""

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.files.storage import storages
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ccm.bulk_copy import instances_copy
from compliance import chain, seal_heads, sealing
from compliance.models import AccessLog, ArchiveEntry, ChainHead, Seal
from compliance.retention import add_years, retention_years
from compliance.storage import write_once

# File extension of each kind of artifact (the archive's names and exports use it).
ARTIFACT_EXTENSIONS = {"message/rfc822": "eml", "text/plain": "txt", "application/pdf": "pdf"}


def artifact_store(
    *, content: bytes, content_type: str, retain_until: dt.datetime | None = None
) -> tuple[str, str]:
    """Store ``content`` under its sha256 in the archive storage; return (name, sha256).

    The name is derived from the content, so an existing file is the same bytes and is
    never overwritten. A storage with Object Lock (compliance.storage) also locks the
    object until ``retain_until``.
    """
    digest = hashlib.sha256(content).hexdigest()
    name = f"{digest[:2]}/{digest[2:4]}/{digest}.{ARTIFACT_EXTENSIONS.get(content_type, 'bin')}"
    write_once(
        storages["archive"],
        name,
        content,
        content_type=content_type,
        retain_until=retain_until,
    )
    return name, digest


def artifact_read(*, entry: ArchiveEntry) -> bytes:
    with storages["archive"].open(entry.artifact_name, "rb") as fh:
        return fh.read()


@dataclass(frozen=True)
class ArchiveRecord:
    """One communication to archive: the artifact bytes and what they were."""

    content: bytes
    content_type: str
    message: Any | None
    version: Any
    channel: str
    locale: str
    recipient: str
    data: dict[str, Any]
    recipient_name: str = ""
    subject: str = ""
    customer: Any | None = None
    backend: str = ""
    message_reference: str = ""
    is_test: bool = False


def _entry_from_record(
    record: ArchiveRecord, *, name: str, digest: str, created_at: dt.datetime
) -> ArchiveEntry:
    """The archive entry of ``record`` whose artifact was stored as ``name`` (unsaved)."""
    version = record.version
    return ArchiveEntry(
        message=record.message,
        is_test=record.is_test,
        communication_id=version.communication_id,
        version=version,
        content_hash=version.content_hash,
        customer=record.customer,
        category=version.communication.category,
        channel=record.channel,
        locale=record.locale,
        recipient=record.recipient,
        recipient_name=record.recipient_name,
        subject=record.subject,
        data=record.data,
        artifact_name=name,
        artifact_sha256=digest,
        artifact_size=len(record.content),
        content_type=record.content_type,
        backend=record.backend,
        message_reference=record.message_reference,
        created_at=created_at,
    )


def archive_record_create(
    *,
    content: bytes,
    content_type: str,
    message: Any | None,
    version: Any,
    channel: str,
    locale: str,
    recipient: str,
    recipient_name: str = "",
    subject: str = "",
    data: dict[str, Any],
    customer: Any | None = None,
    backend: str = "",
    message_reference: str = "",
    is_test: bool = False,
) -> ArchiveEntry:
    """Archive one communication as it leaves: the artifact bytes and what they were.

    For a pipeline message already archived (a retry after a crash), the existing entry
    is returned: one message, one entry.
    """
    return _archive_record_store(
        ArchiveRecord(
            content=content,
            content_type=content_type,
            message=message,
            version=version,
            channel=channel,
            locale=locale,
            recipient=recipient,
            recipient_name=recipient_name,
            subject=subject,
            data=data,
            customer=customer,
            backend=backend,
            message_reference=message_reference,
            is_test=is_test,
        )
    )


@transaction.atomic
def _archive_record_store(record: ArchiveRecord) -> ArchiveEntry:
    message = record.message
    if message is not None and not record.is_test:
        existing = ArchiveEntry.objects.filter(message=message, is_test=False).first()
        if existing is not None:
            return existing
    category = record.version.communication.category
    retain_until = add_years(timezone.now(), retention_years(category))
    name, digest = artifact_store(
        content=record.content, content_type=record.content_type, retain_until=retain_until
    )
    entry = _entry_from_record(record, name=name, digest=digest, created_at=timezone.now())
    try:
        with transaction.atomic():
            chain.chain_link_rows(ChainHead.Name.ENTRIES, [entry])
            entry.save(force_insert=True)
            return entry
    except IntegrityError:
        if message is None or record.is_test:
            raise
        # Another worker archived the same message first: its entry stands.
        return ArchiveEntry.objects.get(message=message, is_test=False)


def archive_records_create(*, records: Sequence[ArchiveRecord]) -> list[ArchiveEntry]:
    """Archive a chunk of communications: each artifact to the archive storage under its
    sha256 (as ``archive_record_create``), then every row in one statement (COPY on
    PostgreSQL). Returns one entry per record, in order.

    A pipeline message already archived (a retry after a crash) gets its existing entry
    back and nothing is written for it. When another worker archives one of the messages
    at the same time, the chunk falls back to one entry at a time, which resolves it.
    """
    if not records:
        return []
    message_ids = [r.message.pk for r in records if r.message is not None and not r.is_test]
    existing: dict[int, ArchiveEntry] = {}
    if message_ids:
        existing = {
            e.message_id: e
            for e in ArchiveEntry.objects.filter(message_id__in=message_ids, is_test=False)
            if e.message_id is not None
        }
    now = timezone.now()
    new: list[ArchiveEntry] = []
    result: list[ArchiveEntry] = []
    for record in records:
        key = record.message.pk if record.message is not None and not record.is_test else None
        if key is not None and key in existing:
            result.append(existing[key])
            continue
        retain_until = add_years(now, retention_years(record.version.communication.category))
        name, digest = artifact_store(
            content=record.content, content_type=record.content_type, retain_until=retain_until
        )
        entry = _entry_from_record(record, name=name, digest=digest, created_at=now)
        if key is not None:
            existing[key] = entry  # the same message twice in one chunk: one entry
        new.append(entry)
        result.append(entry)
    if not new:
        return result
    try:
        with transaction.atomic():
            chain.chain_link_rows(ChainHead.Name.ENTRIES, new)
            if connection.vendor == "postgresql":
                instances_copy(new)
            else:
                ArchiveEntry.objects.bulk_create(new)
    except IntegrityError:
        # A message of this chunk was archived meanwhile: the single path settles each.
        return [_archive_record_store(r) for r in records]
    return result


def access_log_record(
    *,
    actor: User,
    action: str,
    entry: ArchiveEntry | None = None,
    query: dict[str, Any] | None = None,
) -> AccessLog:
    """Record that a person searched, viewed or downloaded archive content (linked into
    the access log's chain, see compliance.chain)."""
    return chain.access_log_create(actor=actor, action=action, entry=entry, query=query)


# SEALING AND VERIFICATION -------------------------------------------------------------

# Entries younger than this are left for the next seal, so that a transaction that took
# an id earlier but committed later is never skipped.
SEAL_SETTLE_SECONDS = 60


def archive_seal(
    *, max_entries: int = 10_000, settle_seconds: int = SEAL_SETTLE_SECONDS
) -> Seal | None:
    """Seal the next run of unsealed entries (oldest first) into the chain.

    Returns the new seal, or None when there is nothing to seal.
    """
    cutoff = timezone.now() - timedelta(seconds=settle_seconds)
    with transaction.atomic():
        previous = Seal.objects.select_for_update().order_by("-sequence").first()
        after = previous.last_entry_id if previous else 0
        entries = list(
            ArchiveEntry.objects.filter(id__gt=after, created_at__lt=cutoff).order_by("id")[
                :max_entries
            ]
        )
        if not entries:
            return None
        leaves = [[e.pk, sealing.entry_leaf_hash(e)] for e in entries]
        root = sealing.merkle_root([str(leaf) for _, leaf in leaves])
        sequence = previous.sequence + 1 if previous else 1
        previous_hash = previous.seal_hash if previous else sealing.GENESIS
        created_at = timezone.now()
        seal = Seal.objects.create(
            sequence=sequence,
            first_entry_id=entries[0].pk,
            last_entry_id=entries[-1].pk,
            entry_count=len(entries),
            leaves=leaves,
            merkle_root=root,
            previous_seal_hash=previous_hash,
            seal_hash=sealing.seal_hash(
                sequence=sequence,
                first_entry_id=entries[0].pk,
                last_entry_id=entries[-1].pk,
                entry_count=len(entries),
                root=root,
                previous=previous_hash,
                created_at=created_at.isoformat(),
            ),
            created_at=created_at,
        )
        # Outside the database too; when that write fails, the seal is rolled back.
        seal_heads.seal_head_write(seal=seal, last_entry_chain_hash=entries[-1].chain_hash)
        return seal


__all__ = [
    "ARTIFACT_EXTENSIONS",
    "ArchiveRecord",
    "access_log_record",
    "archive_record_create",
    "archive_records_create",
    "archive_seal",
    "artifact_read",
    "artifact_store",
]
