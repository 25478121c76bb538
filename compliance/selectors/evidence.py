"""The evidence around an entry: the customer's entries, legal holds, retention, approval."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from compliance.models import ArchiveEntry, LegalHold
from compliance.retention import entry_expires_at, legal_hold_matches
from customers.models import Customer
from templates_store.models import ReviewEvent


def customer_by_external_id(*, external_id: str) -> Customer | None:
    if not external_id:
        return None
    return Customer.objects.filter(external_id=external_id).first()


def archive_entries_for_customer(*, customer: Customer) -> QuerySet[ArchiveEntry]:
    """Everything the archive holds that was sent to ``customer`` (a subject access
    request), newest first; test sends are not sent to customers and are left out."""
    return ArchiveEntry.objects.select_related(
        "communication", "version", "customer", "message"
    ).filter(customer=customer, is_test=False)


def legal_hold_list() -> QuerySet[LegalHold]:
    return LegalHold.objects.select_related(
        "owner", "released_by", "customer", "batch", "communication"
    )


def legal_holds_for_entry(*, entry: ArchiveEntry) -> list[LegalHold]:
    """The active holds that keep ``entry`` from the retention purge."""
    holds = LegalHold.objects.filter(released_at__isnull=True).order_by("created_at", "id")
    return [hold for hold in holds if legal_hold_matches(hold, entry)]


@dataclass(frozen=True)
class Retention:
    expires_at: dt.datetime
    holds: list[LegalHold]


def archive_entry_retention(*, entry: ArchiveEntry) -> Retention:
    """When ``entry`` expires, and the active holds that keep it longer."""
    return Retention(expires_at=entry_expires_at(entry), holds=legal_holds_for_entry(entry=entry))


@dataclass(frozen=True)
class ApprovalRecord:
    """Who wrote and approved the version an entry was rendered from, and whether the
    content hash recorded at approval is the one the entry was sent with."""

    author: Any
    submitted_at: dt.datetime | None
    approved_by: Any
    approved_at: dt.datetime | None
    approved_hash: str
    entry_hash: str
    current_hash: str
    # False when no approval event carries the hash and the version's own is shown.
    hash_from_approval: bool = True

    @property
    def matches(self) -> bool:
        return bool(self.approved_hash) and self.approved_hash == self.entry_hash

    @property
    def content_unchanged(self) -> bool:
        """The version's content still hashes to what was approved."""
        return bool(self.approved_hash) and self.current_hash == self.approved_hash


def archive_entry_approval(*, entry: ArchiveEntry) -> ApprovalRecord:
    version = entry.version
    approval = (
        ReviewEvent.objects.filter(version=version, action=ReviewEvent.Action.APPROVED)
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )
    return ApprovalRecord(
        author=version.author,
        submitted_at=version.submitted_at,
        approved_by=approval.actor if approval else version.approved_by,
        approved_at=approval.at if approval else version.approved_at,
        # Without an approval event, the hash fixed on the version when it was submitted
        # (a submitted version is immutable).
        approved_hash=(approval.content_hash if approval else "") or version.content_hash,
        entry_hash=entry.content_hash,
        current_hash=version.compute_content_hash(),
        hash_from_approval=bool(approval and approval.content_hash),
    )
