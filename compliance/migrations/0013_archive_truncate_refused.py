"""TRUNCATE of the archive's write-once tables is refused, and each chained row keeps the
chain hash of the row before it (PostgreSQL).

The write-once trigger (0003, 0011) fires on UPDATE and DELETE of rows; TRUNCATE is a
statement of its own that fires no row trigger, so the tables' owner (or any role granted
TRUNCATE) could empty them. A BEFORE TRUNCATE statement trigger on archive entries,
seals, tombstones, purge runs and the access log now refuses it, unless the current role
is a superuser. That exception is what lets Django's test runner empty a test database
(``TransactionTestCase`` flushes with TRUNCATE, as the test database's superuser); it
is no hole: a superuser can disable every trigger anyway (``session_replication_role``),
and archive_verify names the rows that are gone through the chain heads and the seal
heads stored outside the database. The purge deletes rows, never truncates. TRUNCATE is
also revoked from every role but the tables' owner.

``chain_previous_hash`` lets verification check a row's own link even when the row before
it was removed. Rows written before this migration get it from the row (or tombstone)
before them; where that is already gone it stays empty.
"""

from django.db import migrations, models

TABLES = [
    "compliance_archiveentry",
    "compliance_seal",
    "compliance_tombstone",
    "compliance_purgerun",
    "compliance_accesslog",
]

FUNCTION = """
CREATE OR REPLACE FUNCTION ccm_archive_no_truncate() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = current_user AND rolsuper) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the archive is write-once: TRUNCATE on % is refused', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
"""

# Every TRUNCATE grant on the tables to a role other than their owner (only the grants
# the migrating role made can be revoked by it; a superuser's grants need a superuser).
REVOKE_SQL = """
DO $$
DECLARE grant_row record;
BEGIN
    FOR grant_row IN
        SELECT g.grantee, g.table_name FROM information_schema.role_table_grants g
        JOIN pg_tables t ON t.tablename = g.table_name AND t.schemaname = g.table_schema
        WHERE g.privilege_type = 'TRUNCATE' AND g.table_schema = current_schema()
          AND g.table_name = ANY(%s) AND g.grantee <> t.tableowner
    LOOP
        IF grant_row.grantee = 'PUBLIC' THEN
            EXECUTE format('REVOKE TRUNCATE ON %%I FROM PUBLIC', grant_row.table_name);
        ELSE
            EXECUTE format('REVOKE TRUNCATE ON %%I FROM %%I', grant_row.table_name,
                grant_row.grantee);
        END IF;
    END LOOP;
END
$$;
"""

# The chain hash of the row before each row, for the rows written before this migration.
BACKFILL = [
    (
        "compliance_accesslog",
        "UPDATE compliance_accesslog a SET chain_previous_hash = p.chain_hash "
        "FROM compliance_accesslog p WHERE p.id = a.chain_previous AND a.chain_hash <> ''",
    ),
    (
        "compliance_archiveentry",
        "UPDATE compliance_archiveentry a SET chain_previous_hash = p.chain_hash "
        "FROM (SELECT id, chain_hash FROM compliance_archiveentry "
        "UNION ALL SELECT entry_id, chain_hash FROM compliance_tombstone) p "
        "WHERE p.id = a.chain_previous AND a.chain_hash <> ''",
    ),
]
GENESIS = "0" * 64
WRITE_ONCE_TRIGGERS = {
    "compliance_accesslog": "accesslog_write_once",
    "compliance_archiveentry": "archiveentry_write_once",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table.removeprefix('compliance_')}_no_truncate "
            f"BEFORE TRUNCATE ON {table} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION ccm_archive_no_truncate()"
        )
    schema_editor.execute(REVOKE_SQL, params=[TABLES])
    # The owner (the migrating role) may disable its own trigger for the backfill, which
    # writes only the new column; the trigger is back on before the transaction ends.
    for table, statement in BACKFILL:
        trigger = WRITE_ONCE_TRIGGERS[table]
        schema_editor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        schema_editor.execute(statement, params=None)
        schema_editor.execute(
            f"UPDATE {table} SET chain_previous_hash = %s "  # noqa: S608 (a constant)
            "WHERE chain_previous IS NULL AND chain_hash <> ''",
            params=[GENESIS],
        )
        schema_editor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"DROP TRIGGER IF EXISTS {table.removeprefix('compliance_')}_no_truncate ON {table}"
        )
    schema_editor.execute("DROP FUNCTION IF EXISTS ccm_archive_no_truncate()")


class Migration(migrations.Migration):
    dependencies = [("compliance", "0012_chain_hash_db_default")]

    operations = [
        migrations.AddField(
            model_name="accesslog",
            name="chain_previous_hash",
            field=models.CharField(
                blank=True, db_default="", default="", editable=False, max_length=64
            ),
        ),
        migrations.AddField(
            model_name="archiveentry",
            name="chain_previous_hash",
            field=models.CharField(
                blank=True, db_default="", default="", editable=False, max_length=64
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
