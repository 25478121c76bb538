"""Link the rows that existed before the running chains into them, sign existing
tombstones and purge runs, and store the existing seals' heads outside the database.

Whatever the database holds when this runs is what the chains vouch for from then on.
"""

import heapq

from django.db import migrations

_CHUNK = 1000


def _allow_updates(schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # The write-once trigger of 0003 (replaced in 0011) lets this transaction update.
        schema_editor.execute("SELECT set_config('ccm.archive_purge', 'on', true)")


def _update(schema_editor, table, rows):
    """rows: (chain_previous, chain_hash, id)."""
    quote = schema_editor.connection.ops.quote_name
    with schema_editor.connection.cursor() as cursor:
        for start in range(0, len(rows), _CHUNK):
            cursor.executemany(
                f"UPDATE {quote(table)} SET chain_previous = %s, chain_hash = %s WHERE id = %s",
                rows[start : start + _CHUNK],
            )


def forwards(apps, schema_editor):
    from compliance import chain, sealing
    from compliance.seal_heads import seal_head_write

    ArchiveEntry = apps.get_model("compliance", "ArchiveEntry")
    Tombstone = apps.get_model("compliance", "Tombstone")
    AccessLog = apps.get_model("compliance", "AccessLog")
    PurgeRun = apps.get_model("compliance", "PurgeRun")
    ChainHead = apps.get_model("compliance", "ChainHead")
    Seal = apps.get_model("compliance", "Seal")
    _allow_updates(schema_editor)

    entries = (
        (e.pk, sealing.entry_leaf_hash(e), None) for e in ArchiveEntry.objects.order_by("id")
    )
    tombstones = ((t.entry_id, t.leaf_hash, t) for t in Tombstone.objects.order_by("entry_id"))
    seal_ends = set(Seal.objects.values_list("last_entry_id", flat=True))
    end_hashes = {}
    entry_rows = []
    previous_id, previous_hash = 0, chain.GENESIS
    for row_id, leaf, tombstone in heapq.merge(entries, tombstones, key=lambda r: r[0]):
        link = chain.link(
            kind="entries", previous_id=previous_id, previous_hash=previous_hash, leaf=leaf
        )
        if tombstone is None:
            entry_rows.append((previous_id or None, link, row_id))
        else:
            tombstone.chain_previous = previous_id or None
            tombstone.chain_hash = link
            tombstone.signature = chain.tombstone_signature(tombstone)
            tombstone.save(update_fields=["chain_previous", "chain_hash", "signature"])
        if row_id in seal_ends:
            end_hashes[row_id] = link
        previous_id, previous_hash = row_id, link
    _update(schema_editor, "compliance_archiveentry", entry_rows)
    ChainHead.objects.create(name="entries", last_id=previous_id, last_hash=previous_hash)

    log_rows = []
    previous_id, previous_hash = 0, chain.GENESIS
    for log in AccessLog.objects.order_by("id"):
        link = chain.link(
            kind="access",
            previous_id=previous_id,
            previous_hash=previous_hash,
            leaf=chain.access_leaf_hash(log),
        )
        log_rows.append((previous_id or None, link, log.pk))
        previous_id, previous_hash = log.pk, link
    _update(schema_editor, "compliance_accesslog", log_rows)
    ChainHead.objects.create(name="access", last_id=previous_id, last_hash=previous_hash)

    for run in PurgeRun.objects.all():
        run.signature = chain.purge_run_signature(run)
        run.save(update_fields=["signature"])
    for seal in Seal.objects.order_by("sequence"):
        seal_head_write(seal=seal, last_entry_chain_hash=end_hashes.get(seal.last_entry_id, ""))


def backwards(apps, schema_editor):
    apps.get_model("compliance", "ChainHead").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("compliance", "0009_archive_chains")]
    operations = [migrations.RunPython(forwards, backwards)]
