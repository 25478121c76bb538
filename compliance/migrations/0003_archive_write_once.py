"""Archive rows and seals are write-once at the database itself (PostgreSQL).

UPDATE and DELETE are refused unless the retention purge sets the transaction-local flag
``ccm.archive_purge`` to ``on``. TRUNCATE (used only to empty a test database) is a
separate statement and is not covered.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION ccm_archive_write_once() RETURNS trigger AS $$
BEGIN
    IF current_setting('ccm.archive_purge', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the archive is write-once: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
"""

TRIGGERS = [
    ("compliance_archiveentry", "archiveentry_write_once"),
    ("compliance_seal", "seal_write_once"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table, name in TRIGGERS:
        schema_editor.execute(
            f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION ccm_archive_write_once()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS ccm_archive_write_once()")


class Migration(migrations.Migration):
    dependencies = [("compliance", "0002_seal")]
    operations = [migrations.RunPython(forwards, backwards)]
