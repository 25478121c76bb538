"""Words search (email subject, SMS text) on a full-text GIN index (PostgreSQL).

``ccm_archive_words(text)`` is the text's words (``simple`` configuration: lower case, no
stemming, so any language spaced with blanks works) plus, for Japanese and Chinese runs,
which have no spaces, every two-character sequence (and each run's last character).
``ccm_archive_words_query(text, common)`` turns what an officer typed into the same lexemes
joined with AND (a lone kana or kanji as a prefix, so that it matches inside a run),
leaving out those in ``common`` unless nothing else is left: a word found in most entries
("your", "bill") has a posting list as long as the table and narrows nothing, so the
caller passes the words the statistics say are common and checks every typed word on the
few entries found. The index is on the expression, so nothing is stored twice. It replaces the trigram index on the subject:
trigrams such as "bil" occur in nearly every entry, and reading their posting lists made
every words search cost tens of milliseconds at a million entries.
"""

from django.db import migrations

# Hiragana and katakana, CJK ideographs (and extension A, compatibility), half-width kana.
CJK = r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]"

STATEMENTS = [
    f"""
CREATE OR REPLACE FUNCTION ccm_archive_words(value text) RETURNS tsvector AS $$
    SELECT CASE WHEN value !~ '{CJK}' THEN to_tsvector('simple'::regconfig, value)
    ELSE to_tsvector('simple'::regconfig, regexp_replace(value, '{CJK}+', ' ', 'g'))
        || array_to_tsvector(ARRAY(
            SELECT DISTINCT substr(run[1], i, 2)
            FROM regexp_matches(value, '{CJK}+', 'g') AS run,
                 generate_series(1, length(run[1])) AS i
        ))
    END
$$ LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
""",
    f"""
CREATE OR REPLACE FUNCTION ccm_archive_words_query(value text, common text[]) RETURNS tsquery AS $$
    WITH typed AS (SELECT unnest(tsvector_to_array(ccm_archive_words(value))) AS lexeme),
         rare AS (SELECT lexeme FROM typed WHERE lexeme <> ALL (common))
    SELECT coalesce(string_agg(
        CASE WHEN lexeme ~ '^{CJK}$' THEN quote_literal(lexeme) || ':*'
             ELSE quote_literal(lexeme) END, ' & '), '')::tsquery
    FROM (
        SELECT lexeme FROM rare
        UNION ALL
        SELECT lexeme FROM typed WHERE NOT EXISTS (SELECT FROM rare)
    ) AS chosen
$$ LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
""",
    "CREATE INDEX IF NOT EXISTS archive_words "
    "ON compliance_archiveentry USING gin (ccm_archive_words(subject))",
    "DROP INDEX IF EXISTS archive_subject_trgm",
]
DROPS = [
    "CREATE INDEX IF NOT EXISTS archive_subject_trgm "
    "ON compliance_archiveentry USING gin (UPPER(subject) gin_trgm_ops)",
    "DROP INDEX IF EXISTS archive_words",
    "DROP FUNCTION IF EXISTS ccm_archive_words_query(text, text[])",
    "DROP FUNCTION IF EXISTS ccm_archive_words(text)",
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
    dependencies = [("compliance", "0006_archive_one_entry_per_message")]
    operations = [migrations.RunPython(forwards, backwards)]
