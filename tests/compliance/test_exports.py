import csv
import hashlib
import io
import json
import zipfile

import pytest
from django.core.exceptions import ValidationError

from compliance import sealing
from compliance.exports import evidence_export
from compliance.models import AccessLog, ArchiveEntry
from compliance.services import archive_record_create, archive_seal
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import published_version

pytestmark = pytest.mark.django_db


def _entries(count):
    version = published_version()
    return [
        archive_record_create(
            content=f'=HYPERLINK("http://evil") {i}'.encode(),
            content_type="text/plain",
            message=None,
            version=version,
            channel="sms",
            locale="en",
            recipient=f"+4477009000{i:02d}",
            recipient_name="=cmd|' /C calc'!A0" if i == 0 else f"Name {i}",
            data={},
            is_test=False,
        )
        for i in range(count)
    ]


class EvidenceExportTests:
    def test_the_zip_round_trips_every_file_against_its_checksum_and_seal(self):
        entries = _entries(5)
        archive_seal(settle_seconds=0)
        officer = UserFactory(roles=["compliance_officer"])
        handle = evidence_export(
            entries=ArchiveEntry.objects.order_by("id"), actor=officer, reason="Case 42"
        )
        with zipfile.ZipFile(handle) as archive:
            sums = archive.read("SHA256SUMS").decode().splitlines()
            assert len(sums) == len(archive.namelist()) - 1
            for line in sums:
                digest, name = line.split("  ")
                assert hashlib.sha256(archive.read(name)).hexdigest() == digest
            for entry in entries:
                assert (
                    hashlib.sha256(archive.read(f"artifacts/{entry.pk}.txt")).hexdigest()
                    == entry.artifact_sha256
                )
            seals = json.loads(archive.read("seals.json"))
            root = seals["seals"][0]["merkle_root"]
            for entry in entries:
                proof = seals["proofs"][str(entry.pk)]
                assert proof["leaf_hash"] == sealing.entry_leaf_hash(entry)
                assert sealing.proof_root(proof["leaf_hash"], proof["path"]) == root
            rows = list(
                csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig")))
            )
        assert rows[0]["recipient_name"] == "'=cmd|' /C calc'!A0"
        assert rows[1]["recipient_name"] == "Name 1"
        log = AccessLog.objects.get(action="export")
        assert (log.actor, log.reason, log.query["count"]) == (officer, "Case 42", 5)

    def test_a_reason_is_required(self):
        _entries(1)
        with pytest.raises(ValidationError):
            evidence_export(entries=ArchiveEntry.objects.all(), actor=UserFactory(), reason="  ")
        assert not AccessLog.objects.exists()


class MerkleProofTests:
    @pytest.mark.parametrize("count", [1, 2, 3, 5, 8, 13])
    def test_every_leaf_proves_the_root(self, count):
        leaves = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(count)]
        root = sealing.merkle_root(leaves)
        for index, leaf in enumerate(leaves):
            assert sealing.proof_root(leaf, sealing.merkle_proof(leaves, index)) == root
        if count > 1:
            assert sealing.proof_root(leaves[0], sealing.merkle_proof(leaves, 1)) != root
