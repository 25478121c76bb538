import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from compliance.models import ArchiveEntry, Seal
from compliance.services import archive_record_create, archive_seal
from compliance.verification import archive_verify
from tests.factories.templates_store import published_version

pytestmark = pytest.mark.django_db


def _entries(count: int) -> list[ArchiveEntry]:
    version = published_version()
    return [
        archive_record_create(
            content=f"SMS number {i}".encode(),
            content_type="text/plain",
            message=None,
            version=version,
            channel="sms",
            locale="en",
            recipient=f"+4477009000{i:02d}",
            data={"i": i},
            is_test=True,
        )
        for i in range(count)
    ]


def _bypass_write_once():
    """As a superuser can: triggers off for the rest of the test's transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")


class SealTests:
    def test_seals_chain_and_cover_every_entry_once(self):
        entries = _entries(5)
        first = archive_seal(settle_seconds=0)
        more = _entries(2)
        second = archive_seal(settle_seconds=0)
        assert archive_seal(settle_seconds=0) is None
        assert [first.first_entry_id, first.last_entry_id, first.entry_count] == [
            entries[0].pk,
            entries[-1].pk,
            5,
        ]
        assert second.previous_seal_hash == first.seal_hash
        assert [leaf[0] for leaf in second.leaves] == [e.pk for e in more]
        report = archive_verify()
        assert report.ok, report.problems
        assert (report.seals, report.entries) == (2, 7)

    def test_young_entries_wait_for_the_next_seal(self):
        _entries(1)
        assert archive_seal(settle_seconds=3600) is None


class TamperDetectionTests:
    def test_an_altered_artifact_byte_is_named(self):
        entries = _entries(3)
        archive_seal(settle_seconds=0)
        storage = storages["archive"]
        path = storage.path(entries[1].artifact_name)
        with open(path, "r+b") as fh:
            fh.write(b"X")
        report = archive_verify()
        assert report.problems == [
            f"entry {entries[1].pk}: artifact {entries[1].artifact_name} does not match its sha256"
        ]
        with pytest.raises(CommandError, match="1 problems"):
            call_command("archive_verify")

    def test_an_altered_row_is_named(self):
        entries = _entries(3)
        archive_seal(settle_seconds=0)
        _bypass_write_once()
        ArchiveEntry.objects.filter(pk=entries[2].pk).update(recipient="+440000000000")
        report = archive_verify()
        assert report.problems == [
            f"entry {entries[2].pk}: row altered since seal 1",
            f"entry {entries[2].pk}: altered since it was recorded (chain hash does not match)",
        ]

    def test_a_deleted_row_and_a_broken_chain_are_named(self):
        entries = _entries(2)
        archive_seal(settle_seconds=0)
        _entries(1)
        archive_seal(settle_seconds=0)
        _bypass_write_once()
        ArchiveEntry.objects.filter(pk=entries[0].pk).delete()
        Seal.objects.filter(sequence=2).update(previous_seal_hash="f" * 64)
        problems = archive_verify().problems
        assert f"entry {entries[0].pk}: sealed in seal 1 but missing" in problems
        assert "seal 2: does not chain to the previous seal" in problems
        assert "seal 2: seal hash does not match its content" in problems

    def test_a_missing_artifact_is_named(self):
        (entry,) = _entries(1)
        storages["archive"].delete(entry.artifact_name)
        assert archive_verify().problems == [
            f"entry {entry.pk}: artifact {entry.artifact_name} is missing"
        ]

    def test_the_command_reports_an_intact_archive(self, capsys):
        _entries(2)
        call_command("archive_seal", "--settle-seconds", "0")
        call_command("archive_verify")
        assert "the archive is intact" in capsys.readouterr().out


class WriteOnceTests:
    def test_update_and_delete_of_archive_rows_fail_at_the_database(self):
        (entry,) = _entries(1)
        with (
            pytest.raises(DatabaseError, match="write-once"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                "UPDATE compliance_archiveentry SET recipient = 'x' WHERE id = %s", [entry.pk]
            )
        with pytest.raises(DatabaseError, match="write-once"), transaction.atomic():
            ArchiveEntry.objects.filter(pk=entry.pk).delete()
        archive_seal(settle_seconds=0)
        with pytest.raises(DatabaseError, match="write-once"), transaction.atomic():
            Seal.objects.update(merkle_root="0" * 64)

    def test_the_same_artifact_is_stored_once_and_never_overwritten(self):
        first, second = (
            archive_record_create(
                content=b"same bytes",
                content_type="text/plain",
                message=None,
                version=published_version(),
                channel="sms",
                locale="en",
                recipient="+447700900001",
                data={},
                is_test=True,
            )
            for _ in range(2)
        )
        assert first.artifact_name == second.artifact_name
        storage = storages["archive"]
        storage.save("other-name.txt", ContentFile(b"x"))
        with storage.open(first.artifact_name, "rb") as fh:
            assert fh.read() == b"same bytes"
