"""The running chains of the archive, and the purge's signatures.

Every archive entry and every access-log record is linked, as it is written, into a chain
of its own: the row keeps the id of the row before it (``chain_previous``) and
``chain_hash = HMAC(key, previous chain hash | previous id | the row's leaf hash)``, and
the previous chain hash (``chain_previous_hash``), so that a row's own link can be checked
even when the row before it has been removed. The
key (``CCM_ARCHIVE_SIGNING_KEY``, else derived from ``SECRET_KEY``) is in the settings,
never in the database, so whoever can change rows in the database cannot make an edited,
inserted or removed row chain again: ``archive_verify`` recomputes every link and names
the row where it breaks, also for rows no seal covers yet.

Appends to one chain take their turn on the chain's ``ChainHead`` row (one row lock per
insert or per chunk); the ids are taken from the table's sequence after the lock, so the
chain's order is the ids' order.

Tombstones and purge runs carry an HMAC with the same key over their whole record: a
tombstone written by anything but the purge (say, copying the sealed leaf hash of an
entry deleted behind the trigger's back) does not verify.
"""

import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Model
from django.utils import timezone

from compliance import sealing
from compliance.models import AccessLog, ArchiveEntry, ChainHead, PurgeRun, Tombstone

GENESIS = sealing.GENESIS


def signing_key() -> bytes:
    """The archive's HMAC key: ``CCM_ARCHIVE_SIGNING_KEY``, or one derived from
    ``SECRET_KEY`` when it is empty. Changing it makes every chain link, tombstone and
    purge run recorded under the old key fail verification."""
    configured: str = getattr(settings, "CCM_ARCHIVE_SIGNING_KEY", "")
    if configured:
        return configured.encode()
    return hmac.new(
        settings.SECRET_KEY.encode(), b"ccm.compliance.archive-signing", hashlib.sha256
    ).digest()


def _mac(*parts: object) -> str:
    message = "|".join("" if p is None else str(p) for p in parts)
    return hmac.new(signing_key(), message.encode(), hashlib.sha256).hexdigest()


def link(*, kind: str, previous_id: int | None, previous_hash: str, leaf: str) -> str:
    """The chain hash of a row whose leaf hash is ``leaf``, after the row ``previous_id``."""
    return _mac(kind, previous_hash, previous_id or 0, leaf)


def access_leaf_hash(log: AccessLog) -> str:
    values = {
        "id": log.pk,
        "actor_id": log.actor_id,
        "action": log.action,
        "entry_id": log.entry_id,
        "reason": log.reason,
        "query": log.query,
        "at": log.at.isoformat(),
    }
    encoded = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(b"\x02" + encoded.encode()).hexdigest()


def leaf_hash(kind: str, row: Any) -> str:
    if kind == ChainHead.Name.ACCESS:
        return access_leaf_hash(row)
    return sealing.entry_leaf_hash(row)


def tombstone_signature(tombstone: Tombstone) -> str:
    return _mac(
        "tombstone",
        tombstone.entry_id,
        tombstone.leaf_hash,
        tombstone.channel,
        tombstone.created_at.isoformat(),
        tombstone.purge_run_id,
        tombstone.chain_previous,
        tombstone.chain_hash,
    )


def purge_run_signature(run: PurgeRun) -> str:
    return _mac(
        "purge-run",
        run.pk,
        run.started_at.isoformat(),
        run.finished_at.isoformat() if run.finished_at else "",
        run.actor_id,
        run.expired,
        run.held,
        run.purged,
        run.artifacts_deleted,
    )


_TIME_FIELDS: dict[str, str] = {ChainHead.Name.ENTRIES: "created_at", ChainHead.Name.ACCESS: "at"}


def _head_locked(name: str) -> ChainHead:
    """The chain's head row, locked until the end of the transaction (created at genesis
    when missing, e.g. after a test database was emptied)."""
    if connection.vendor != "postgresql":
        # SQLite has no row locks: a write first takes the database's write lock.
        ChainHead.objects.filter(name=name).update(last_id=F("last_id"))
    head = ChainHead.objects.select_for_update().filter(name=name).first()
    if head is not None:
        return head
    try:
        with transaction.atomic():
            ChainHead.objects.create(name=name, last_id=0, last_hash=GENESIS)
    except IntegrityError:
        pass  # created by another writer meanwhile
    return ChainHead.objects.select_for_update().get(name=name)


def _reserve_ids(model: type[Model], count: int) -> list[int]:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return sorted(row[0] for row in cursor.fetchall())
        # SQLite (under the write lock taken in _head_locked): past the highest id ever
        # given, so a purged entry's id is never given again.
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")  # noqa: S608 (a model's table)
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(highest, row[0] if row else 0) + 1
        return list(range(start, start + count))


def chain_link_rows(name: str, rows: Sequence[ArchiveEntry | AccessLog]) -> None:
    """Give ``rows`` (unsaved, all of one chain, every field but the id and time final)
    their ids, times and chain hashes, in order, and move the chain's head past them.
    Must run inside the transaction that inserts the rows: the head stays locked until it
    ends, and when it rolls back the head does too."""
    if not rows:
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("chain_link_rows must run inside the transaction that saves the rows")
    head = _head_locked(name)
    ids = _reserve_ids(type(rows[0]), len(rows))
    # Stamped under the lock too, so that times rise with ids (sealing relies on it).
    stamp = timezone.now()
    previous_id, previous_hash = head.last_id, head.last_hash
    for row, key in zip(rows, ids, strict=True):
        row.pk = key
        setattr(row, _TIME_FIELDS[name], stamp)
        row.chain_previous = previous_id or None
        row.chain_previous_hash = previous_hash
        row.chain_hash = link(
            kind=name,
            previous_id=previous_id,
            previous_hash=previous_hash,
            leaf=leaf_hash(name, row),
        )
        previous_id, previous_hash = key, row.chain_hash
    ChainHead.objects.filter(pk=head.pk).update(last_id=previous_id, last_hash=previous_hash)


def access_log_create(
    *,
    actor: User,
    action: str,
    entry: ArchiveEntry | None = None,
    query: dict[str, Any] | None = None,
    reason: str = "",
) -> AccessLog:
    """Record one look at the archive (or a hold placed or released), linked into the
    access log's chain."""
    log = AccessLog(
        actor=actor,
        action=action,
        entry=entry,
        query=query or {},
        reason=reason,
        at=timezone.now(),
    )
    with transaction.atomic():
        chain_link_rows(ChainHead.Name.ACCESS, [log])
        log.save(force_insert=True)
    return log


def seal_head_signature(
    *,
    sequence: int,
    seal_hash: str,
    last_entry_id: int,
    last_entry_chain_hash: str,
    access_log_id: int,
    access_chain_hash: str,
    created_at: str,
    entry_chain_id: int,
    entry_chain_hash: str,
) -> str:
    return _mac(
        "seal-head",
        sequence,
        seal_hash,
        last_entry_id,
        last_entry_chain_hash,
        access_log_id,
        access_chain_hash,
        created_at,
        entry_chain_id,
        entry_chain_hash,
    )
