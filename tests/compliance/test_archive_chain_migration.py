"""Migrations 0009 to 0011 link the rows written before them into the chains: an
archive with entries, a seal, a purged entry and access-log records verifies after them,
and an edit made afterwards is named."""

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from compliance import sealing
from compliance.models import AccessLog, ArchiveEntry, ChainHead, Tombstone
from compliance.seal_heads import seal_heads_read
from compliance.verification import archive_verify
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import published_version

BEFORE = [("compliance", "0008_recipient_time_index")]
AFTER = [("compliance", "0013_archive_truncate_refused")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
class ExistingRowsMigrationTests:
    def test_rows_written_before_the_chains_verify_after_the_migration(self):
        version = published_version()
        actor = UserFactory()
        old = _migrate(BEFORE)
        Entry = old.get_model("compliance", "ArchiveEntry")
        Seal = old.get_model("compliance", "Seal")
        OldAccessLog = old.get_model("compliance", "AccessLog")
        PurgeRun = old.get_model("compliance", "PurgeRun")
        OldTombstone = old.get_model("compliance", "Tombstone")
        entries = []
        for i in range(4):
            content = f"old letter {i}".encode()
            digest = hashlib.sha256(content).hexdigest()
            storages["archive"].save(f"old/{digest}.txt", ContentFile(content))
            entries.append(
                Entry.objects.create(
                    is_test=True,
                    communication_id=version.communication_id,
                    version_id=version.pk,
                    content_hash=version.content_hash,
                    channel="sms",
                    locale="en",
                    recipient=f"+44770090000{i}",
                    data={"i": i},
                    artifact_name=f"old/{digest}.txt",
                    artifact_sha256=digest,
                    artifact_size=len(content),
                    content_type="text/plain",
                )
            )
        leaves = [[e.pk, sealing.entry_leaf_hash(e)] for e in entries[:3]]
        root = sealing.merkle_root([leaf for _, leaf in leaves])
        created_at = timezone.now()
        Seal.objects.create(
            sequence=1,
            first_entry_id=entries[0].pk,
            last_entry_id=entries[2].pk,
            entry_count=3,
            leaves=leaves,
            merkle_root=root,
            previous_seal_hash=sealing.GENESIS,
            seal_hash=sealing.seal_hash(
                sequence=1,
                first_entry_id=entries[0].pk,
                last_entry_id=entries[2].pk,
                entry_count=3,
                root=root,
                previous=sealing.GENESIS,
                created_at=created_at.isoformat(),
            ),
            created_at=created_at,
        )
        # The entry 1 purged by the old purge: a tombstone with its sealed leaf.
        run = PurgeRun.objects.create(finished_at=timezone.now(), expired=1, purged=1)
        OldTombstone.objects.create(
            entry_id=entries[1].pk,
            leaf_hash=leaves[1][1],
            channel="sms",
            created_at=entries[1].created_at,
            purge_run=run,
        )
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("DELETE FROM compliance_archiveentry WHERE id = %s", [entries[1].pk])
            cursor.execute("SET session_replication_role = DEFAULT")
        for i in range(3):
            OldAccessLog.objects.create(actor_id=actor.pk, action="search", query={"q": i})

        _migrate(AFTER)

        report = archive_verify()
        assert report.ok, report.problems
        assert (report.seals, report.entries, report.purged, report.access_logs) == (1, 3, 1, 3)
        assert ChainHead.objects.get(name="entries").last_id == entries[3].pk
        assert Tombstone.objects.get(entry_id=entries[1].pk).signature
        heads, problems = seal_heads_read()
        assert [h.sequence for h in heads] == [1] and not problems
        log = AccessLog.objects.order_by("id")[1]
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("UPDATE compliance_accesslog SET query = '{}' WHERE id = %s", [log.pk])
            cursor.execute(
                "UPDATE compliance_archiveentry SET data = '{}' WHERE id = %s", [entries[3].pk]
            )
            cursor.execute("SET session_replication_role = DEFAULT")
        assert archive_verify().problems == [
            f"entry {entries[3].pk}: altered since it was recorded (chain hash does not match)",
            f"access log {log.pk}: altered since it was recorded (chain hash does not match)",
        ]
        assert ArchiveEntry.objects.count() == 3
