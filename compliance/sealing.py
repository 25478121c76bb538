"""Tamper evidence for the archive: leaf hashes, Merkle roots and the seal chain.

A leaf is the sha256 of an entry's canonical JSON (every field that says what was sent,
to whom, from which version, and the artifact's sha256). A seal holds the leaves of a run
of entries, their Merkle root, and the hash of the previous seal, so that changing,
removing or reordering anything sealed breaks the chain.
"""

import hashlib
import json
from typing import Any

from compliance.models import ArchiveEntry, Seal

GENESIS = "0" * 64

LEAF_FIELDS = [
    "id",
    "is_test",
    "message_id",
    "communication_id",
    "version_id",
    "content_hash",
    "customer_id",
    "category",
    "channel",
    "locale",
    "recipient",
    "recipient_name",
    "subject",
    "data",
    "artifact_name",
    "artifact_sha256",
    "artifact_size",
    "content_type",
    "backend",
    "message_reference",
    "created_at",
]


def entry_leaf_hash(entry: ArchiveEntry) -> str:
    values: dict[str, Any] = {}
    for name in LEAF_FIELDS:
        value = getattr(entry, name)
        values[name] = value.isoformat() if hasattr(value, "isoformat") else value
    encoded = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(b"\x00" + encoded.encode()).hexdigest()


def merkle_root(leaves: list[str]) -> str:
    """RFC 6962-style root: leaves are already domain-separated; inner nodes hash 0x01."""
    if not leaves:
        return hashlib.sha256(b"").hexdigest()
    level = [bytes.fromhex(leaf) for leaf in leaves]
    while len(level) > 1:
        paired = []
        for i in range(0, len(level), 2):
            if i + 1 < len(level):
                paired.append(hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest())
            else:
                paired.append(level[i])
        level = paired
    return level[0].hex()


def merkle_proof(leaves: list[str], index: int) -> list[list[str]]:
    """The audit path of ``leaves[index]``: [[side, hash], ...] from the leaf up, where side
    says whether the sibling is on the "left" or the "right". See ``proof_root``."""
    level = [bytes.fromhex(leaf) for leaf in leaves]
    path: list[list[str]] = []
    while len(level) > 1:
        sibling = index ^ 1
        if sibling < len(level):
            path.append(["left" if sibling < index else "right", level[sibling].hex()])
        paired = []
        for i in range(0, len(level), 2):
            if i + 1 < len(level):
                paired.append(hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest())
            else:
                paired.append(level[i])
        level = paired
        index //= 2
    return path


def proof_root(leaf: str, path: list[list[str]]) -> str:
    """The root that ``leaf`` and its audit path lead to (compare with the seal's root)."""
    node = bytes.fromhex(leaf)
    for side, sibling in path:
        pair = bytes.fromhex(sibling) + node if side == "left" else node + bytes.fromhex(sibling)
        node = hashlib.sha256(b"\x01" + pair).digest()
    return node.hex()


def seal_hash(
    *,
    sequence: int,
    first_entry_id: int,
    last_entry_id: int,
    entry_count: int,
    root: str,
    previous: str,
    created_at: str,
) -> str:
    payload = (
        f"{sequence}|{first_entry_id}|{last_entry_id}|{entry_count}|{root}|{previous}|{created_at}"
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def seal_expected_hash(seal: Seal) -> str:
    return seal_hash(
        sequence=seal.sequence,
        first_entry_id=seal.first_entry_id,
        last_entry_id=seal.last_entry_id,
        entry_count=seal.entry_count,
        root=seal.merkle_root,
        previous=seal.previous_seal_hash,
        created_at=seal.created_at.isoformat(),
    )
