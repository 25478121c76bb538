"""Indexes for recipient searches (PostgreSQL), replacing two of migration 0005:

- the recipient prefix index also holds each entry's time, so a prefix with few matches
  is searched on it alone and the matches sorted (compliance.selectors);
- the time index (newest first) also holds the recipient, so a prefix with many matches
  is found walking it without reading the table.
"""

from django.db import migrations

FORWARDS = [
    "CREATE INDEX IF NOT EXISTS archive_recipient_created "
    "ON compliance_archiveentry (recipient text_pattern_ops, created_at DESC, id DESC)",
    "DROP INDEX IF EXISTS archive_recipient_pattern",
    "DROP INDEX IF EXISTS archive_created_id",
    "CREATE INDEX archive_created_id "
    "ON compliance_archiveentry (created_at DESC, id DESC) INCLUDE (recipient)",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS archive_created_id",
    "CREATE INDEX archive_created_id ON compliance_archiveentry (created_at DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS archive_recipient_pattern "
    "ON compliance_archiveentry (recipient text_pattern_ops)",
    "DROP INDEX IF EXISTS archive_recipient_created",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARDS:
            schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARDS:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("compliance", "0007_words_search")]

    operations = [migrations.RunPython(forwards, backwards)]
