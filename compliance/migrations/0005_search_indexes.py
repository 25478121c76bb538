"""Indexes for every archive search path (PostgreSQL; SQLite keeps the plain ones).

- recipient prefix (``LIKE 'x%'``) needs the pattern operator class outside the C locale;
- name and subject words (``UPPER(x) LIKE UPPER('%w%')``) use trigram GIN indexes;
- newest-first pages walk (created_at, id).
pg_trgm ships with PostgreSQL; creating the extension needs a role allowed to (the
database owner on PostgreSQL 13+ for trusted extensions).
"""

from django.db import migrations

STATEMENTS = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS archive_recipient_pattern "
    "ON compliance_archiveentry (recipient text_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS archive_name_trgm "
    "ON compliance_archiveentry USING gin (UPPER(recipient_name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS archive_subject_trgm "
    "ON compliance_archiveentry USING gin (UPPER(subject) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS archive_created_id "
    "ON compliance_archiveentry (created_at DESC, id DESC)",
]
DROPS = [
    "DROP INDEX IF EXISTS archive_created_id",
    "DROP INDEX IF EXISTS archive_subject_trgm",
    "DROP INDEX IF EXISTS archive_name_trgm",
    "DROP INDEX IF EXISTS archive_recipient_pattern",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in STATEMENTS:
            schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROPS:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("compliance", "0004_retention_holds")]
    operations = [migrations.RunPython(forwards, backwards)]
