"""Tampering with the archive in the database itself: refused for a role with the
application's table privileges, and named by archive_verify when a superuser gets past
the write-once trigger."""

import contextlib
import os
from collections.abc import Callable, Iterator

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from compliance import chain
from compliance.models import AccessLog, ArchiveEntry, Seal, Tombstone
from compliance.retention import add_years, archive_purge
from compliance.services import access_log_record, archive_record_create, archive_seal
from compliance.verification import archive_verify
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import published_version

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the write-once trigger is PostgreSQL's"
    ),
]

ROLE = f"ccm_test_tamperer_{os.getpid()}"


def _entries(count: int) -> list[ArchiveEntry]:
    version = published_version()
    return [
        archive_record_create(
            content=f"Letter {i} {ArchiveEntry.objects.count()}".encode(),
            content_type="text/plain",
            message=None,
            version=version,
            channel="sms",
            locale="en",
            recipient=f"+4477009001{i:02d}",
            data={"i": i},
            is_test=True,
        )
        for i in range(count)
    ]


def _logs(count: int) -> list[AccessLog]:
    actor = UserFactory()
    return [
        access_log_record(actor=actor, action=AccessLog.Action.SEARCH, query={"q": f"bill {i}"})
        for i in range(count)
    ]


def _sql(statement: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


@pytest.fixture
def as_app_role() -> Callable[[], contextlib.AbstractContextManager[None]]:
    """Run SQL as a role with the application's table privileges (not their owner, not a
    superuser, not a member of ccm_archive_purger), trying the old GUC trick first. The
    role lives in the test's transaction only."""
    _sql(f"CREATE ROLE {ROLE} NOLOGIN")
    _sql(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {ROLE}")
    _sql(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {ROLE}")

    @contextlib.contextmanager
    def run() -> Iterator[None]:
        with transaction.atomic():
            _sql(f"SET LOCAL ROLE {ROLE}")
            _sql("SET LOCAL ccm.archive_purge = 'on'")
            yield
            _sql("RESET ROLE")

    return run


def as_superuser() -> None:
    """Get past every trigger for the rest of the test's transaction, as a superuser can."""
    _sql("SET LOCAL session_replication_role = replica")


def _problems() -> list[str]:
    report = archive_verify()
    assert not report.ok
    return report.problems


def _forge_tombstone(entry: ArchiveEntry) -> None:
    """Delete a sealed entry and leave a tombstone copying everything it had."""
    seal = Seal.objects.get(first_entry_id__lte=entry.pk, last_entry_id__gte=entry.pk)
    leaf = dict((int(i), h) for i, h in seal.leaves)[entry.pk]
    _sql("DELETE FROM compliance_archiveentry WHERE id = %s", [entry.pk])
    _sql(
        "INSERT INTO compliance_purgerun (started_at, finished_at, expired, held, purged, "
        "artifacts_deleted, signature) VALUES (now(), now(), 1, 0, 1, 1, %s)",
        ["0" * 64],
    )
    _sql(
        "INSERT INTO compliance_tombstone (entry_id, leaf_hash, channel, created_at, "
        "purge_run_id, chain_previous, chain_hash, signature) "
        "SELECT %s, %s, %s, %s, max(id), %s, %s, %s FROM compliance_purgerun",
        [
            entry.pk,
            leaf,
            entry.channel,
            entry.created_at,
            entry.chain_previous,
            entry.chain_hash,
            "0" * 64,
        ],
    )


class DeletedEntryWithForgedTombstoneTests:
    def test_the_application_role_cannot_delete_a_sealed_entry(self, as_app_role):
        entries = _entries(3)
        archive_seal(settle_seconds=0)
        with pytest.raises(DatabaseError, match="write-once"), as_app_role():
            _forge_tombstone(entries[1])
        assert archive_verify().ok

    def test_verification_names_the_forged_tombstone_and_the_missing_entry(self):
        entries = _entries(3)
        archive_seal(settle_seconds=0)
        as_superuser()
        _forge_tombstone(entries[1])
        problems = _problems()
        assert (
            f"tombstone of entry {entries[1].pk}: signature does not match "
            "(not written by the purge)" in problems
        )
        assert f"entry {entries[1].pk}: sealed in seal 1 but missing" in problems
        run = Tombstone.objects.get(entry_id=entries[1].pk).purge_run_id
        assert f"purge run {run}: record does not match its signature" in problems

    def test_a_member_of_the_purge_role_deleting_around_the_purge_is_named(self, as_app_role):
        entries = _entries(3)
        archive_seal(settle_seconds=0)
        _sql(f"GRANT ccm_archive_purger TO {ROLE}")
        with as_app_role():
            _sql("SET LOCAL ROLE ccm_archive_purger")
            _sql("DELETE FROM compliance_archiveentry WHERE id = %s", [entries[1].pk])
        problems = _problems()
        assert f"entry {entries[1].pk}: sealed in seal 1 but missing" in problems
        assert (
            f"entry {entries[1].pk}: removed (entry {entries[2].pk} follows it in the chain)"
            in problems
        )

    def test_the_purge_runs_as_a_member_of_the_purge_role_that_is_not_a_superuser(
        self, as_app_role, settings
    ):
        settings.CCM_RETENTION_YEARS = {"regulatory": 7, "transactional": 6, "marketing": 2}
        entries = _entries(2)
        archive_seal(settle_seconds=0)
        _sql(f"GRANT ccm_archive_purger TO {ROLE}")
        with transaction.atomic():
            _sql(f"SET LOCAL ROLE {ROLE}")
            run = archive_purge(now=add_years(entries[0].created_at, 8))
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_user")
                assert cursor.fetchone() == (ROLE,)  # the purge went back to the caller's role
        assert run.purged == 2
        assert not ArchiveEntry.objects.filter(pk__in=[e.pk for e in entries]).exists()
        assert archive_verify().ok

    def test_the_application_role_cannot_edit_a_tombstone_or_delete_it(self, as_app_role, settings):
        settings.CCM_RETENTION_YEARS = {"regulatory": 7, "transactional": 6, "marketing": 2}
        (entry,) = _entries(1)
        archive_seal(settle_seconds=0)
        archive_purge(now=add_years(entry.created_at, 8))
        with pytest.raises(DatabaseError, match="write-once"), as_app_role():
            _sql("UPDATE compliance_tombstone SET leaf_hash = %s", ["0" * 64])
        with pytest.raises(DatabaseError, match="write-once"), as_app_role():
            _sql("DELETE FROM compliance_tombstone")
        assert archive_verify().ok

    def test_a_purge_leaves_tombstones_that_verify(self, settings):
        settings.CCM_RETENTION_YEARS = {"regulatory": 7, "transactional": 6, "marketing": 2}
        entries = _entries(3)
        archive_seal(settle_seconds=0)
        _logs(1)
        run = archive_purge(now=add_years(entries[0].created_at, 8))
        assert run.purged == 3
        report = archive_verify()
        assert report.ok, report.problems
        assert report.purged == 3


class DeletedNewestSealTests:
    def _two_seals(self) -> list[ArchiveEntry]:
        entries = _entries(2)
        archive_seal(settle_seconds=0)
        entries += _entries(2)
        archive_seal(settle_seconds=0)
        return entries

    def test_the_application_role_cannot_delete_a_seal_or_edit_an_entry(self, as_app_role):
        entries = self._two_seals()
        with pytest.raises(DatabaseError, match="write-once"), as_app_role():
            _sql("DELETE FROM compliance_seal WHERE sequence = 2")
        with pytest.raises(DatabaseError, match="write-once"), as_app_role():
            _sql(
                "UPDATE compliance_archiveentry SET recipient = '+440000000000' WHERE id = %s",
                [entries[3].pk],
            )
        assert archive_verify().ok

    def test_a_deleted_newest_seal_is_named(self):
        self._two_seals()
        as_superuser()
        _sql("DELETE FROM compliance_seal WHERE sequence = 2")
        problems = _problems()
        assert any(p.startswith("seal 2: missing from the database") for p in problems)

    def test_an_entry_edited_and_sealed_again_is_named_with_its_seal(self):
        entries = self._two_seals()
        as_superuser()
        _sql("DELETE FROM compliance_seal WHERE sequence = 2")
        _sql(
            "UPDATE compliance_archiveentry SET recipient = '+440000000000' WHERE id = %s",
            [entries[3].pk],
        )
        resealed = archive_seal(settle_seconds=0)
        assert resealed is not None and resealed.sequence == 2
        problems = _problems()
        assert any(p.startswith("seal 2: rewritten") for p in problems)
        assert (
            f"entry {entries[3].pk}: altered since it was recorded (chain hash does not match)"
            in problems
        )


class UnsealedEntryTests:
    def test_the_application_role_cannot_edit_an_unsealed_entry(self, as_app_role):
        entries = _entries(3)
        with pytest.raises(DatabaseError, match="write-once"), as_app_role():
            _sql(
                "UPDATE compliance_archiveentry SET data = '{\"i\": 99}' WHERE id = %s",
                [entries[1].pk],
            )
        assert archive_verify().ok

    def test_an_entry_edited_before_its_first_seal_is_named(self):
        entries = _entries(3)
        as_superuser()
        _sql(
            "UPDATE compliance_archiveentry SET data = '{\"i\": 99}' WHERE id = %s",
            [entries[1].pk],
        )
        assert _problems() == [
            f"entry {entries[1].pk}: altered since it was recorded (chain hash does not match)"
        ]

    def test_and_stays_named_after_the_edit_is_sealed(self):
        entries = _entries(3)
        as_superuser()
        _sql(
            "UPDATE compliance_archiveentry SET data = '{\"i\": 99}' WHERE id = %s",
            [entries[1].pk],
        )
        archive_seal(settle_seconds=0)
        assert _problems() == [
            f"entry {entries[1].pk}: altered since it was recorded (chain hash does not match)"
        ]

    def test_an_entry_inserted_around_the_service_is_named(self):
        (entry,) = _entries(1)
        # Inserts are not refused by the trigger: a copy of the entry, chain fields and all.
        copy = ArchiveEntry.objects.get(pk=entry.pk)
        copy.pk = None
        copy.recipient = "+440000000001"
        copy.chain_hash = entry.chain_hash
        copy.chain_previous = entry.pk
        copy.save(force_insert=True)
        assert _problems() == [
            f"entry {copy.pk}: altered since it was recorded (chain hash does not match)",
            f"entry {copy.pk}: the chain's head does not name it as the newest",
        ]

    def test_an_entry_inserted_by_sql_without_a_chain_hash_is_named(self):
        (entry,) = _entries(1)
        columns = (
            "is_test, communication_id, version_id, content_hash, category, channel, locale, "
            "recipient, recipient_name, subject, data, artifact_name, artifact_sha256, "
            "artifact_size, content_type, backend, message_reference, created_at"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO compliance_archiveentry ({columns}) SELECT {columns} "  # noqa: S608
                "FROM compliance_archiveentry WHERE id = %s RETURNING id",
                [entry.pk],
            )
            (inserted,) = cursor.fetchone()
        assert _problems() == [
            f"entry {inserted}: not in the chain (written around the archive's services)"
        ]

    def test_the_newest_entry_deleted_with_the_chain_head_reset_is_named(self):
        entries = _entries(2)
        # Seals the first only; its head also records the chain up to the second.
        archive_seal(settle_seconds=0, max_entries=1)
        as_superuser()
        _sql("DELETE FROM compliance_archiveentry WHERE id = %s", [entries[1].pk])
        _sql(
            "UPDATE compliance_chainhead SET last_id = %s, last_hash = %s WHERE name = 'entries'",
            [entries[0].pk, entries[0].chain_hash],
        )
        assert _problems() == [
            f"entry {entries[1].pk}: removed (stored outside the database with seal 1)"
        ]


class AccessLogTests:
    def test_the_application_role_cannot_edit_or_delete_access_log_rows(self, as_app_role):
        logs = _logs(3)
        with pytest.raises(DatabaseError, match="write-once"), as_app_role():
            _sql("UPDATE compliance_accesslog SET query = '{}' WHERE id = %s", [logs[1].pk])
        with pytest.raises(DatabaseError, match="write-once"), as_app_role():
            _sql("DELETE FROM compliance_accesslog WHERE id = %s", [logs[1].pk])
        assert archive_verify().ok

    def test_an_edited_access_log_row_is_named(self):
        logs = _logs(3)
        as_superuser()
        _sql(
            "UPDATE compliance_accesslog SET actor_id = %s WHERE id = %s",
            [UserFactory().pk, logs[1].pk],
        )
        assert _problems() == [
            f"access log {logs[1].pk}: altered since it was recorded (chain hash does not match)"
        ]

    def test_a_deleted_access_log_row_is_named(self):
        logs = _logs(3)
        as_superuser()
        _sql("DELETE FROM compliance_accesslog WHERE id = %s", [logs[1].pk])
        assert _problems() == [
            f"access log {logs[1].pk}: removed (access log {logs[2].pk} follows it in the chain)"
        ]

    def test_the_deleted_newest_access_log_row_is_named(self):
        logs = _logs(2)
        _entries(1)
        archive_seal(settle_seconds=0)  # stores the access log's head outside the database
        as_superuser()
        _sql("DELETE FROM compliance_accesslog WHERE id = %s", [logs[1].pk])
        _sql(
            "UPDATE compliance_chainhead SET last_id = %s, last_hash = %s WHERE name = 'access'",
            [logs[0].pk, logs[0].chain_hash],
        )
        assert _problems() == [
            f"access log {logs[1].pk}: removed (stored outside the database with seal 1)"
        ]


class SigningKeyTests:
    def test_records_made_with_another_key_do_not_verify(self, settings):
        _entries(2)
        _logs(1)
        archive_seal(settle_seconds=0)
        assert archive_verify().ok
        settings.CCM_ARCHIVE_SIGNING_KEY = "another key"
        assert chain.signing_key() == b"another key"
        problems = archive_verify().problems
        assert any(p.startswith("entry ") for p in problems)
        assert any(p.startswith("access log ") for p in problems)
        assert any(p.startswith("seal head ") for p in problems)


class EditNextToRemovedRowTests:
    """A row edited right after a removed one is named too: each row's own link is checked
    with the previous chain hash it stores, not only with the row walked before it."""

    def test_an_access_log_row_edited_after_a_deleted_row_is_named(self):
        logs = _logs(3)
        as_superuser()
        _sql("DELETE FROM compliance_accesslog WHERE id = %s", [logs[1].pk])
        _sql(
            'UPDATE compliance_accesslog SET actor_id = %s, query = \'{"api": "forged"}\' '
            "WHERE id = %s",
            [UserFactory().pk, logs[2].pk],
        )
        assert _problems() == [
            f"access log {logs[1].pk}: removed (access log {logs[2].pk} follows it in the chain)",
            f"access log {logs[2].pk}: altered since it was recorded (chain hash does not match)",
        ]

    def test_an_unsealed_entry_edited_after_a_deleted_entry_is_named(self):
        entries = _entries(3)
        as_superuser()
        _sql("DELETE FROM compliance_archiveentry WHERE id = %s", [entries[1].pk])
        _sql(
            "UPDATE compliance_archiveentry SET data = '{\"i\": 99}' WHERE id = %s",
            [entries[2].pk],
        )
        assert _problems() == [
            f"entry {entries[1].pk}: removed (entry {entries[2].pk} follows it in the chain)",
            f"entry {entries[2].pk}: altered since it was recorded (chain hash does not match)",
        ]

    def test_a_row_relinked_to_an_earlier_row_and_edited_is_named_for_both(self):
        logs = _logs(3)
        as_superuser()
        _sql(
            "UPDATE compliance_accesslog SET chain_previous = %s, query = '{}' WHERE id = %s",
            [logs[0].pk, logs[2].pk],
        )
        assert _problems() == [
            f"access log {logs[2].pk}: does not follow access log {logs[1].pk} in the chain",
            f"access log {logs[2].pk}: altered since it was recorded (chain hash does not match)",
        ]

    def test_a_deleted_chain_head_is_named(self):
        logs = _logs(2)
        as_superuser()
        _sql("DELETE FROM compliance_chainhead WHERE name = 'access'")
        assert _problems() == [
            f"access log {logs[1].pk}: the chain's head is missing (it should name this row "
            "as the newest)"
        ]


# Every table the write-once triggers protect, as TRUNCATE names it.
WRITE_ONCE_TABLES = [
    "compliance_archiveentry CASCADE",
    "compliance_seal",
    "compliance_tombstone",
    "compliance_purgerun CASCADE",
    "compliance_accesslog",
]


class TruncateTests:
    @pytest.mark.parametrize("table", WRITE_ONCE_TABLES)
    def test_the_tables_owner_without_superuser_cannot_truncate(self, as_app_role, table):
        settings_years = {"regulatory": 7, "transactional": 6, "marketing": 2}
        (entry,) = _entries(1)
        _logs(1)
        archive_seal(settle_seconds=0)
        with override_settings(CCM_RETENTION_YEARS=settings_years):
            archive_purge(now=add_years(entry.created_at, 8))
        _entries(1)
        # TRUNCATE and ALTER TABLE may not leave deferred foreign-key checks pending.
        _sql("SET CONSTRAINTS ALL IMMEDIATE")
        # The application's role as the finding had it: the owner of the archive's tables.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename LIKE 'compliance\\_%%'"
            )
            tables = [name for (name,) in cursor.fetchall()]
        for name in tables:
            _sql(f"ALTER TABLE {name} OWNER TO {ROLE}")
        with pytest.raises(DatabaseError, match="write-once: TRUNCATE"), as_app_role():
            _sql(f"TRUNCATE {table}")
        assert archive_verify().ok

    def test_a_granted_truncate_privilege_is_refused_by_the_trigger(self, as_app_role):
        _logs(2)
        _sql(f"GRANT TRUNCATE ON compliance_accesslog TO {ROLE}")
        _sql("SET CONSTRAINTS ALL IMMEDIATE")
        with pytest.raises(DatabaseError, match="write-once: TRUNCATE"), as_app_role():
            _sql("TRUNCATE compliance_accesslog")
        assert archive_verify().ok

    def test_the_migration_leaves_no_truncate_privilege_to_other_roles(self):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT grantee, table_name FROM information_schema.role_table_grants "
                "WHERE privilege_type = 'TRUNCATE' AND table_name = ANY(%s) "
                "AND grantee <> (SELECT tableowner FROM pg_tables "
                "WHERE tablename = table_name AND schemaname = current_schema())",
                [[t.split()[0] for t in WRITE_ONCE_TABLES]],
            )
            assert cursor.fetchall() == []

    def test_a_truncate_by_a_superuser_is_named(self):
        entries = _entries(2)
        logs = _logs(2)
        archive_seal(settle_seconds=0)
        _sql("SET CONSTRAINTS ALL IMMEDIATE")
        _sql("TRUNCATE compliance_accesslog, compliance_seal, compliance_archiveentry CASCADE")
        problems = _problems()
        assert f"entry {entries[1].pk}: removed (the newest in the chain)" in problems
        assert f"access log {logs[1].pk}: removed (the newest in the chain)" in problems
        assert any(p.startswith("seal 1: missing from the database") for p in problems)
