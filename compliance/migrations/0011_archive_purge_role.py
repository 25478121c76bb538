"""Only the database role ``ccm_archive_purger`` may delete archive entries; nobody may
update or delete seals, tombstones or access-log records (PostgreSQL).

Before, the write-once trigger let through any transaction that set the GUC
``ccm.archive_purge`` to ``on``, which any role can do. Now it lets through only a DELETE
of archive entries run as ``ccm_archive_purger`` (``SET LOCAL ROLE`` in the purge's
transaction, compliance.retention). The role is created NOLOGIN and the migrating user
(the application's) is made a member. A user without CREATEROLE cannot do that: a
database administrator then runs, once, before migrating::

    CREATE ROLE ccm_archive_purger NOLOGIN;
    GRANT ccm_archive_purger TO <the application's user>;

A superuser (and the tables' owner, who may disable triggers) can still get past the
trigger; archive_verify is what catches that (compliance.verification).
"""

from django.db import migrations

ROLE = "ccm_archive_purger"

ROLE_SQL = f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN
        BEGIN
            CREATE ROLE {ROLE} NOLOGIN;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN NULL;  -- created meanwhile
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'compliance 0011: % cannot create the role {ROLE}. As a '
                    'database administrator run: CREATE ROLE {ROLE} NOLOGIN; '
                    'GRANT {ROLE} TO %; then migrate again.', current_user, current_user;
        END;
    END IF;
    IF NOT pg_has_role(current_user, '{ROLE}', 'MEMBER') THEN
        BEGIN
            EXECUTE format('GRANT {ROLE} TO %I', current_user);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION 'compliance 0011: % cannot join the role {ROLE}. As a database '
                'administrator run: GRANT {ROLE} TO %; then migrate again.',
                current_user, current_user;
        END;
    END IF;
END
$$;
"""

FUNCTION = f"""
CREATE OR REPLACE FUNCTION ccm_archive_write_once() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'compliance_archiveentry'
            AND current_user = '{ROLE}' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the archive is write-once: % on % is refused (only the retention purge, '
        'as the role {ROLE}, deletes archive entries)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
"""

# As in 0003: a GUC set by the transaction let it through.
OLD_FUNCTION = """
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
    ("compliance_tombstone", "tombstone_write_once"),
    ("compliance_accesslog", "accesslog_write_once"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(ROLE_SQL, params=None)
    schema_editor.execute(f"GRANT SELECT, DELETE ON compliance_archiveentry TO {ROLE}")
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
    schema_editor.execute(OLD_FUNCTION, params=None)
    schema_editor.execute(f"REVOKE ALL ON compliance_archiveentry FROM {ROLE}")


class Migration(migrations.Migration):
    dependencies = [("compliance", "0010_archive_chains_existing")]
    operations = [migrations.RunPython(forwards, backwards)]
