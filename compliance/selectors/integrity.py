"""The seal chain, as listed on the integrity page and exported for third parties."""

from typing import Any

from django.db.models import QuerySet

from compliance.models import Seal


def seal_list() -> QuerySet[Seal]:
    return Seal.objects.defer("leaves").order_by("-sequence")


SEAL_HASH_RULE = (
    "seal_hash = sha256(UTF-8 of 'sequence|first_entry_id|last_entry_id|entry_count|"
    "merkle_root|previous_seal_hash|created_at'); each seal's previous_seal_hash is the "
    "seal_hash of the seal before it (64 zeros for the first)."
)


def seals_public() -> dict[str, Any]:
    """Every seal's public fields, oldest first, and the rule that checks them."""
    seals = Seal.objects.defer("leaves").order_by("sequence")
    return {
        "rule": SEAL_HASH_RULE,
        "seals": [
            {
                "sequence": seal.sequence,
                "first_entry_id": seal.first_entry_id,
                "last_entry_id": seal.last_entry_id,
                "entry_count": seal.entry_count,
                "merkle_root": seal.merkle_root,
                "previous_seal_hash": seal.previous_seal_hash,
                "seal_hash": seal.seal_hash,
                "created_at": seal.created_at.isoformat(),
            }
            for seal in seals.iterator(chunk_size=1000)
        ],
    }
