import hashlib
from typing import Any

import pytest
from django.core.files.storage import storages
from django.db import DatabaseError, connection, transaction

from channels.models import Message
from compliance import sealing, services
from compliance.models import ArchiveEntry
from compliance.services import (
    ArchiveRecord,
    archive_record_create,
    archive_records_create,
    archive_seal,
)
from compliance.verification import archive_verify
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import published_version

pytestmark = pytest.mark.django_db


def _record(version, n, **overrides):
    values = {
        "content": f"Subject: Your bill {n}\r\n\r\nBody {n}".encode(),
        "content_type": "message/rfc822",
        "message": None,
        "version": version,
        "channel": "email",
        "locale": "en",
        "recipient": f"c{n}@example.net",
        "recipient_name": f"Customer {n}",
        "subject": f"Your bill {n}",
        "data": {"n": n, "name": f"Customer {n}", "items": [1, 2], "note": "café 請求"},
        "message_reference": f"<{n}@example.com>",
    }
    return ArchiveRecord(**{**values, **overrides})


def _message(version, customer, n):
    return Message.objects.create(
        version=version,
        customer=customer,
        channel="email",
        locale="en",
        recipient=f"c{n}@example.net",
        data={"n": n},
    )


class ArchiveRecordsCreateTests:
    def test_a_chunk_is_written_with_the_same_rows_and_files_as_one_at_a_time(self):
        version = published_version()
        customer = CustomerFactory()
        records = [_record(version, n, customer=customer) for n in range(3)]
        entries = archive_records_create(records=records)
        single = archive_record_create(**_record(version, 99, customer=customer).__dict__)

        assert [e.recipient for e in entries] == [
            "c0@example.net",
            "c1@example.net",
            "c2@example.net",
        ]
        assert all(e.pk for e in entries) and entries == sorted(entries, key=lambda e: e.pk)
        storage = storages["archive"]
        for record, entry in zip(records, entries, strict=True):
            stored = ArchiveEntry.objects.get(pk=entry.pk)
            digest = hashlib.sha256(record.content).hexdigest()
            assert stored.artifact_sha256 == digest
            assert stored.artifact_name == f"{digest[:2]}/{digest[2:4]}/{digest}.eml"
            with storage.open(stored.artifact_name, "rb") as fh:
                assert fh.read() == record.content
            # What was returned is what the table holds, field for field (the seal's leaf).
            assert sealing.entry_leaf_hash(stored) == sealing.entry_leaf_hash(entry)
            for field in ("category", "content_hash", "customer_id", "communication_id"):
                assert getattr(stored, field) == getattr(single, field), field
            assert stored.data == record.data

    def test_bulk_written_entries_seal_verify_and_stay_write_once(self):
        version = published_version()
        entries = archive_records_create(records=[_record(version, n) for n in range(4)])
        assert archive_seal(settle_seconds=0) is not None
        assert archive_verify().ok
        if connection.vendor == "postgresql":
            with pytest.raises(DatabaseError, match="write-once"), transaction.atomic():
                ArchiveEntry.objects.filter(pk=entries[0].pk).update(subject="changed")

    def test_a_message_already_archived_gets_its_entry_back(self):
        version = published_version()
        customer = CustomerFactory()
        archived, fresh = _message(version, customer, 1), _message(version, customer, 2)
        first = archive_record_create(**_record(version, 1, message=archived).__dict__)
        entries = archive_records_create(
            records=[
                _record(version, 1, message=archived),
                _record(version, 2, message=fresh),
                _record(version, 2, message=fresh),
                _record(version, 3, message=fresh, is_test=True),
            ]
        )
        assert entries[0].pk == first.pk
        assert entries[1].pk == entries[2].pk != first.pk
        assert entries[3].is_test and entries[3].pk not in {first.pk, entries[1].pk}
        assert ArchiveEntry.objects.filter(message=fresh, is_test=False).count() == 1
        assert ArchiveEntry.objects.count() == 3
        assert archive_records_create(records=[]) == []

    def test_a_message_archived_meanwhile_by_another_worker_resolves_to_its_entry(
        self, monkeypatch
    ):
        version = published_version()
        customer = CustomerFactory()
        racing, other = _message(version, customer, 1), _message(version, customer, 2)
        store = services.artifact_store
        winner: dict[str, Any] = {}

        def store_while_the_other_worker_archives(**kwargs):
            if not winner:
                # Between this chunk's look for existing entries and its insert, another
                # worker archives one of its messages.
                winner["entry"] = None
                winner["entry"] = archive_record_create(
                    **_record(version, 1, message=racing).__dict__
                )
            return store(**kwargs)

        monkeypatch.setattr(services, "artifact_store", store_while_the_other_worker_archives)
        entries = archive_records_create(
            records=[_record(version, 1, message=racing), _record(version, 2, message=other)]
        )
        assert entries[0].pk == winner["entry"].pk
        assert entries[1].message_id == other.pk
        assert ArchiveEntry.objects.filter(message__in=[racing, other]).count() == 2


class WriteOnceFolderTests:
    def test_a_file_is_published_once_and_never_replaced(self, tmp_path):
        from compliance.storage import WriteOnceFileSystemStorage

        storage = WriteOnceFileSystemStorage(location=str(tmp_path))
        assert storage.save_new("ab/cd/one.eml", b"first") is True
        assert storage.save_new("ab/cd/one.eml", b"second") is False
        assert storage.open("ab/cd/one.eml").read() == b"first"
        # No temporary file is left beside it, whichever way it went.
        assert sorted(p.name for p in (tmp_path / "ab" / "cd").iterdir()) == ["one.eml"]

    def test_artifacts_are_stored_once_under_their_hash(self):
        name, digest = services.artifact_store(content=b"hello", content_type="text/plain")
        again = services.artifact_store(content=b"hello", content_type="text/plain")
        assert again == (name, digest) and digest == hashlib.sha256(b"hello").hexdigest()
        assert storages["archive"].open(name).read() == b"hello"
