"""The seal chain's heads, kept outside the database.

Each seal's head (its sequence and hash, the chain hash of the last entry it covers, and
both chains' heads at that moment, signed with the archive key) is written to
the write-once ``archive`` storage (a folder whose files are never replaced, or S3 with
Object Lock) as ``seal-heads/<sequence>-<seal hash>.json``. Whoever rewrites the database
cannot remove or change these: ``archive_verify`` compares the database's seals with them,
so a deleted newest seal, or one written again over edited entries, is named.
"""

import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.storage import storages
from django.utils import timezone

from compliance import chain
from compliance.models import ChainHead, Seal
from compliance.retention import add_years
from compliance.storage import write_once

FOLDER = "seal-heads"


@dataclass(frozen=True)
class SealHead:
    name: str
    sequence: int
    seal_hash: str
    last_entry_id: int
    last_entry_chain_hash: str
    access_log_id: int
    access_chain_hash: str
    created_at: str
    signature: str
    # The entries' chain head when the seal was made (entries younger than the seal's
    # cut-off included).
    entry_chain_id: int = 0
    entry_chain_hash: str = ""

    def expected_signature(self) -> str:
        return chain.seal_head_signature(
            sequence=self.sequence,
            seal_hash=self.seal_hash,
            last_entry_id=self.last_entry_id,
            last_entry_chain_hash=self.last_entry_chain_hash,
            access_log_id=self.access_log_id,
            access_chain_hash=self.access_chain_hash,
            created_at=self.created_at,
            entry_chain_id=self.entry_chain_id,
            entry_chain_hash=self.entry_chain_hash,
        )


def seal_head_name(sequence: int, seal_hash: str) -> str:
    return f"{FOLDER}/{sequence:010d}-{seal_hash}.json"


def seal_head_write(*, seal: Seal, last_entry_chain_hash: str) -> str:
    """Write ``seal``'s head (never over an existing file); returns its name. Raises the
    storage's errors: the caller's transaction then rolls the seal back."""
    heads = {h.name: h for h in ChainHead.objects.all()}
    access, entries = heads.get(ChainHead.Name.ACCESS), heads.get(ChainHead.Name.ENTRIES)
    fields: dict[str, Any] = {
        "sequence": seal.sequence,
        "seal_hash": seal.seal_hash,
        "last_entry_id": seal.last_entry_id,
        "last_entry_chain_hash": last_entry_chain_hash,
        "access_log_id": access.last_id if access else 0,
        "access_chain_hash": access.last_hash if access else chain.GENESIS,
        "created_at": seal.created_at.isoformat(),
        "entry_chain_id": entries.last_id if entries else 0,
        "entry_chain_hash": entries.last_hash if entries else chain.GENESIS,
    }
    fields["signature"] = chain.seal_head_signature(**fields)
    name = seal_head_name(seal.sequence, seal.seal_hash)
    longest = max(settings.CCM_RETENTION_YEARS.values())
    write_once(
        storages["archive"],
        name,
        json.dumps(fields, sort_keys=True).encode(),
        content_type="application/json",
        retain_until=add_years(timezone.now(), longest),
    )
    return name


def seal_heads_read() -> tuple[list[SealHead], list[str]]:
    """Every head stored, by sequence, and a problem for each file that cannot be read."""
    storage = storages["archive"]
    try:
        _, names = storage.listdir(FOLDER)
    except FileNotFoundError:
        return [], []
    heads: list[SealHead] = []
    problems: list[str] = []
    for filename in sorted(names):
        if not filename.endswith(".json"):
            continue
        name = f"{FOLDER}/{filename}"
        try:
            with storage.open(name, "rb") as fh:
                fields = json.loads(fh.read())
            heads.append(SealHead(name=name, **fields))
        except (OSError, ValueError, TypeError) as exc:
            problems.append(f"seal head {name}: cannot be read ({exc})")
    heads.sort(key=lambda h: (h.sequence, h.name))
    return heads, problems
