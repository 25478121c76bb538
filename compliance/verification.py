"""``archive_verify``: recompute everything that makes the archive tamper-evident and name
each entry, seal, tombstone, purge run or access-log record that no longer matches.

What is checked, and what each check catches (see docs/security.md, "Archive integrity"):

- the seals: each seal's hash, its link to the previous seal, its Merkle root, and every
  sealed entry's leaf hash (an edited or removed sealed entry);
- the seal heads stored outside the database (compliance.seal_heads): a seal missing from
  the database (the newest one deleted) or written again with another hash;
- the running chains of entries and of the access log (compliance.chain): an edited,
  inserted or removed row, sealed or not yet;
- tombstones and purge runs: their HMAC signatures (a tombstone forged to cover a deleted
  entry).
"""

import hashlib
import heapq
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.files.storage import storages

from compliance import chain, sealing
from compliance.models import AccessLog, ArchiveEntry, ChainHead, PurgeRun, Seal, Tombstone
from compliance.seal_heads import seal_heads_read


@dataclass
class VerifyReport:
    seals: int = 0
    entries: int = 0
    purged: int = 0
    access_logs: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _artifact_problem(entry: ArchiveEntry) -> str | None:
    try:
        with storages["archive"].open(entry.artifact_name, "rb") as fh:
            content = fh.read()
    except FileNotFoundError:
        return f"entry {entry.pk}: artifact {entry.artifact_name} is missing"
    if hashlib.sha256(content).hexdigest() != entry.artifact_sha256:
        return f"entry {entry.pk}: artifact {entry.artifact_name} does not match its sha256"
    return None


def archive_verify() -> VerifyReport:
    """Recompute every seal, leaf, chain link, signature and artifact hash; name each
    entry or seal that no longer matches. Reads only."""
    report = VerifyReport()
    signed = _check_purges(report)
    _check_seals(report, signed)
    _check_chain(
        report,
        label="entry",
        name=ChainHead.Name.ENTRIES,
        rows=_entry_links(),
    )
    _check_chain(
        report,
        label="access log",
        name=ChainHead.Name.ACCESS,
        rows=_access_links(report),
    )
    _check_seal_heads(report)
    return report


def _check_purges(report: VerifyReport) -> set[int]:
    """Check every purge run's and tombstone's signature; return the entry ids of the
    tombstones that verify."""
    runs = {run.pk: run for run in PurgeRun.objects.all()}
    for run in runs.values():
        if run.signature != chain.purge_run_signature(run):
            report.problems.append(f"purge run {run.pk}: record does not match its signature")
    counts: Counter[int] = Counter()
    signed: set[int] = set()
    for tombstone in Tombstone.objects.order_by("entry_id").iterator(chunk_size=2000):
        counts[tombstone.purge_run_id] += 1
        if tombstone.signature != chain.tombstone_signature(tombstone):
            report.problems.append(
                f"tombstone of entry {tombstone.entry_id}: signature does not match "
                "(not written by the purge)"
            )
        else:
            signed.add(tombstone.entry_id)
    for run in runs.values():
        if run.finished_at is not None and counts[run.pk] != run.purged:
            report.problems.append(
                f"purge run {run.pk}: has {counts[run.pk]} tombstones, recorded {run.purged} purged"
            )
    return signed


def _check_seals(report: VerifyReport, signed: set[int]) -> None:
    previous_hash = sealing.GENESIS
    sealed_ids: set[int] = set()
    last_sealed = 0
    for seal in Seal.objects.order_by("sequence").iterator(chunk_size=10):
        report.seals += 1
        if seal.previous_seal_hash != previous_hash:
            report.problems.append(f"seal {seal.sequence}: does not chain to the previous seal")
        if sealing.seal_expected_hash(seal) != seal.seal_hash:
            report.problems.append(f"seal {seal.sequence}: seal hash does not match its content")
        if sealing.merkle_root([str(leaf) for _, leaf in seal.leaves]) != seal.merkle_root:
            report.problems.append(f"seal {seal.sequence}: Merkle root does not match its leaves")
        stored = {int(entry_id): leaf for entry_id, leaf in seal.leaves}
        found = ArchiveEntry.objects.in_bulk(list(stored))
        tombstones = dict(
            Tombstone.objects.filter(entry_id__in=list(stored)).values_list("entry_id", "leaf_hash")
        )
        for entry_id, leaf in stored.items():
            entry = found.get(entry_id)
            if entry is None:
                if tombstones.get(entry_id) == leaf and entry_id in signed:
                    report.purged += 1
                else:
                    report.problems.append(
                        f"entry {entry_id}: sealed in seal {seal.sequence} but missing"
                    )
                continue
            report.entries += 1
            if sealing.entry_leaf_hash(entry) != leaf:
                report.problems.append(f"entry {entry_id}: row altered since seal {seal.sequence}")
            if problem := _artifact_problem(entry):
                report.problems.append(problem)
        sealed_ids.update(stored)
        previous_hash = seal.seal_hash
        last_sealed = max(last_sealed, seal.last_entry_id)
    for entry in ArchiveEntry.objects.order_by("id").iterator(chunk_size=1000):
        if entry.pk in sealed_ids:
            continue
        if entry.pk <= last_sealed:
            report.problems.append(f"entry {entry.pk}: inside a sealed range but in no seal")
        report.entries += 1
        if problem := _artifact_problem(entry):
            report.problems.append(problem)


# A row of a chain as the walk needs it: id, leaf hash, chain_previous, chain_hash and the
# previous chain hash the row stores (None for a tombstone, which its signature covers).
Link = tuple[int, str, int | None, str, str | None]


def _entry_links() -> Iterator[Link]:
    """Entries and tombstones (a purged entry keeps its place in the chain), by id."""
    entries = (
        (e.pk, sealing.entry_leaf_hash(e), e.chain_previous, e.chain_hash, e.chain_previous_hash)
        for e in ArchiveEntry.objects.order_by("id").iterator(chunk_size=1000)
    )
    tombstones = (
        (t.entry_id, t.leaf_hash, t.chain_previous, t.chain_hash, None)
        for t in Tombstone.objects.order_by("entry_id").iterator(chunk_size=2000)
    )
    return heapq.merge(entries, tombstones, key=lambda link: link[0])


def _access_links(report: VerifyReport) -> Iterator[Link]:
    for log in AccessLog.objects.order_by("id").iterator(chunk_size=2000):
        report.access_logs += 1
        yield (
            log.pk,
            chain.access_leaf_hash(log),
            log.chain_previous,
            log.chain_hash,
            log.chain_previous_hash,
        )


def _check_chain(report: VerifyReport, *, label: str, name: str, rows: Iterator[Link]) -> None:
    """Walk one running chain in id order; name the row where it breaks and go on from the
    next row, so one change gives one problem. Each row's own link is checked too, also
    after a removed row (with the previous chain hash the row stores), so that a removal
    never hides an edit of the row after it."""
    previous_id, previous_hash = 0, chain.GENESIS
    for row_id, leaf, chain_previous, chain_hash, stored_previous_hash in rows:
        if not chain_hash:
            report.problems.append(
                f"{label} {row_id}: not in the chain (written around the archive's services)"
            )
            continue
        given = chain_previous or 0
        if given > previous_id:
            report.problems.append(
                f"{label} {given}: removed ({label} {row_id} follows it in the chain)"
            )
        elif given < previous_id:
            report.problems.append(
                f"{label} {row_id}: does not follow {label} {previous_id} in the chain"
            )
        link_previous_hash = previous_hash if given == previous_id else stored_previous_hash
        if link_previous_hash is None:
            pass  # a tombstone: its signature (checked in _check_purges) covers its link
        elif not link_previous_hash:
            report.problems.append(
                f"{label} {row_id}: cannot be checked (the row before it is gone and it "
                "keeps no previous chain hash)"
            )
        elif chain_hash != chain.link(
            kind=name, previous_id=given, previous_hash=link_previous_hash, leaf=leaf
        ):
            report.problems.append(
                f"{label} {row_id}: altered since it was recorded (chain hash does not match)"
            )
        previous_id, previous_hash = row_id, chain_hash
    head = ChainHead.objects.filter(name=name).first()
    if head is None:
        if previous_id:
            report.problems.append(
                f"{label} {previous_id}: the chain's head is missing (it should name this "
                "row as the newest)"
            )
        return
    if head.last_id == previous_id == 0:
        return
    if head.last_id > previous_id:
        report.problems.append(f"{label} {head.last_id}: removed (the newest in the chain)")
    elif head.last_id < previous_id or head.last_hash != previous_hash:
        report.problems.append(
            f"{label} {previous_id}: the chain's head does not name it as the newest"
        )


def _check_seal_heads(report: VerifyReport) -> None:
    """Compare the seals in the database with their heads stored outside it."""
    heads, problems = seal_heads_read()
    report.problems.extend(problems)
    seals = dict(Seal.objects.values_list("sequence", "seal_hash"))
    headed: set[int] = set()
    entry_ids = {h.last_entry_id for h in heads} | {h.entry_chain_id for h in heads}
    log_ids = {h.access_log_id for h in heads if h.access_log_id}
    entry_hashes = dict(
        ArchiveEntry.objects.filter(id__in=entry_ids).values_list("id", "chain_hash")
    )
    entry_hashes.update(
        Tombstone.objects.filter(entry_id__in=entry_ids).values_list("entry_id", "chain_hash")
    )
    log_hashes = dict(AccessLog.objects.filter(id__in=log_ids).values_list("id", "chain_hash"))
    for head in heads:
        if head.signature != head.expected_signature():
            report.problems.append(f"seal head {head.name}: signature does not match")
            continue
        headed.add(head.sequence)
        stored = seals.get(head.sequence)
        if stored is None:
            report.problems.append(
                f"seal {head.sequence}: missing from the database (its head {head.name} "
                "is stored outside it)"
            )
        elif stored != head.seal_hash:
            report.problems.append(
                f"seal {head.sequence}: rewritten (its hash differs from the head "
                f"{head.name} stored outside the database)"
            )
        recorded = entry_hashes.get(head.last_entry_id)
        if recorded is not None and recorded != head.last_entry_chain_hash:
            report.problems.append(
                f"entry {head.last_entry_id}: chain hash differs from the one stored outside "
                f"the database with seal {head.sequence}"
            )
        if head.entry_chain_id and head.entry_chain_id != head.last_entry_id:
            linked = entry_hashes.get(head.entry_chain_id)
            if linked is None:
                report.problems.append(
                    f"entry {head.entry_chain_id}: removed (stored outside the database "
                    f"with seal {head.sequence})"
                )
            elif linked != head.entry_chain_hash:
                report.problems.append(
                    f"entry {head.entry_chain_id}: chain hash differs from the one stored "
                    f"outside the database with seal {head.sequence}"
                )
        if head.access_log_id:
            logged = log_hashes.get(head.access_log_id)
            if logged is None:
                report.problems.append(
                    f"access log {head.access_log_id}: removed (stored outside the database "
                    f"with seal {head.sequence})"
                )
            elif logged != head.access_chain_hash:
                report.problems.append(
                    f"access log {head.access_log_id}: chain hash differs from the one stored "
                    f"outside the database with seal {head.sequence}"
                )
    for sequence in sorted(set(seals) - headed):
        report.problems.append(f"seal {sequence}: no head stored outside the database")
