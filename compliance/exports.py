"""Evidence exports: a zip a third party can check without access to the platform.

The zip holds each artifact exactly as archived, a manifest (CSV, formula-escaped, and
JSON), SHA256SUMS over every file, and for each sealed entry its seal and Merkle audit
path, so that anyone can recompute leaf → root → seal chain.
"""

import hashlib
import json
import tempfile
import zipfile
from collections.abc import Iterable
from typing import IO, Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from ccm.spreadsheets import csv_bytes
from compliance import chain, sealing
from compliance.models import AccessLog, ArchiveEntry, Seal
from compliance.services import ARTIFACT_EXTENSIONS, artifact_read

MANIFEST_FIELDS = [
    "entry_id",
    "created_at",
    "is_test",
    "communication",
    "version",
    "content_hash",
    "customer",
    "channel",
    "locale",
    "recipient_name",
    "recipient",
    "subject",
    "message_reference",
    "file",
    "sha256",
    "seal",
    "leaf_hash",
]

VERIFY_README = """Evidence export
===============

artifacts/   each communication exactly as it left (email as RFC 822 .eml, SMS .txt, letter .pdf)
manifest.csv / manifest.json   what each file is: recipient, channel, communication, version...
SHA256SUMS   sha256 of every other file: `sha256sum -c SHA256SUMS`
seals.json   for each sealed entry: its leaf hash, the Merkle audit path to its seal's root,
             and the seals (each seal's hash chains the previous one).

To check an entry against its seal: start from leaf_hash; for each [side, sibling] of its
path compute sha256(0x01 || sibling || node) when side is "left", else
sha256(0x01 || node || sibling); the result must equal the seal's merkle_root.
"""


def _seal_index() -> dict[int, tuple[Seal, int]]:
    index: dict[int, tuple[Seal, int]] = {}
    for seal in Seal.objects.order_by("sequence"):
        for position, (entry_id, _) in enumerate(seal.leaves):
            index[int(entry_id)] = (seal, position)
    return index


def evidence_export(
    *,
    entries: Iterable[ArchiveEntry],
    actor: User,
    reason: str,
    query: dict[str, Any] | None = None,
) -> IO[bytes]:
    """Write the evidence zip of ``entries`` to a temporary file and return it, positioned
    at the start. The export is recorded in the access log with its reason.
    Raises ValidationError when the reason is empty or there is nothing to export."""
    if not reason.strip():
        raise ValidationError({"reason": "An evidence export needs a reason."})
    entries = list(entries)
    if not entries:
        raise ValidationError("There is nothing to export.")
    seals = _seal_index()
    rows: list[dict[str, Any]] = []
    proofs: dict[str, Any] = {}
    used_seals: dict[int, Seal] = {}
    checksums: list[tuple[str, str]] = []
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - returned open, the caller streams it
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for entry in entries:
            content = artifact_read(entry=entry)
            name = f"artifacts/{entry.pk}.{ARTIFACT_EXTENSIONS.get(entry.content_type, 'bin')}"
            archive.writestr(name, content)
            checksums.append((hashlib.sha256(content).hexdigest(), name))
            seal_info = seals.get(entry.pk)
            leaf = sealing.entry_leaf_hash(entry)
            if seal_info is not None:
                seal, position = seal_info
                used_seals[seal.sequence] = seal
                leaves = [leaf_hash for _, leaf_hash in seal.leaves]
                proofs[str(entry.pk)] = {
                    "seal": seal.sequence,
                    "leaf_hash": leaves[position],
                    "path": sealing.merkle_proof(leaves, position),
                }
            rows.append(
                {
                    "entry_id": entry.pk,
                    "created_at": entry.created_at.isoformat(),
                    "is_test": entry.is_test,
                    "communication": entry.communication.key,
                    "version": entry.version.number,
                    "content_hash": entry.content_hash,
                    "customer": entry.customer.external_id if entry.customer else "",
                    "channel": entry.channel,
                    "locale": entry.locale,
                    "recipient_name": entry.recipient_name,
                    "recipient": entry.recipient,
                    "subject": entry.subject,
                    "message_reference": entry.message_reference,
                    "file": name,
                    "sha256": entry.artifact_sha256,
                    "seal": seal_info[0].sequence if seal_info else "",
                    "leaf_hash": leaf,
                }
            )
        files = {
            "manifest.csv": csv_bytes(
                MANIFEST_FIELDS, ([row[f] for f in MANIFEST_FIELDS] for row in rows)
            ),
            "manifest.json": json.dumps(
                {"reason": reason, "entries": rows}, ensure_ascii=False, indent=2
            ).encode(),
            "seals.json": json.dumps(
                {
                    "proofs": proofs,
                    "seals": [
                        {
                            "sequence": s.sequence,
                            "first_entry_id": s.first_entry_id,
                            "last_entry_id": s.last_entry_id,
                            "entry_count": s.entry_count,
                            "merkle_root": s.merkle_root,
                            "previous_seal_hash": s.previous_seal_hash,
                            "seal_hash": s.seal_hash,
                            "created_at": s.created_at.isoformat(),
                        }
                        for s in sorted(used_seals.values(), key=lambda s: s.sequence)
                    ],
                },
                indent=2,
            ).encode(),
            "README.txt": VERIFY_README.encode(),
        }
        for name, content in files.items():
            archive.writestr(name, content)
            checksums.append((hashlib.sha256(content).hexdigest(), name))
        archive.writestr("SHA256SUMS", "".join(f"{digest}  {name}\n" for digest, name in checksums))
    chain.access_log_create(
        actor=actor,
        action=AccessLog.Action.EXPORT,
        reason=reason.strip(),
        query={**(query or {}), "entries": [e.pk for e in entries][:1000], "count": len(entries)},
    )
    handle.seek(0)
    return handle
