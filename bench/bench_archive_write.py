"""Archive writes (PostgreSQL only): what sending costs the archive per message.

The project's path, ``compliance.services.archive_records_create`` for a chunk of 500
emails (each artifact hashed and written to the archive storage under its sha256, then
the rows in one COPY), against the bare baseline doing the same work by hand: hash each
artifact, write it under the same name with ``open``, and COPY the same rows into the
same table (with its indexes and write-once trigger). One line also shows the one-at-a-time
path (``archive_record_create``, used for test sends). Target (issue): the chunk path at
least 0.3 of the bare baseline.

The project's rows are linked into the archive's running chain (one lock of the chain's
head per chunk, an HMAC per row); the bare side's rows are not. The rows written are
removed at the end (as the purge's role, ``ccm_archive_purger``, the one the write-once
trigger lets delete; the chain's head is put back) and the artifacts live in a temporary
folder, so the search benchmark's million entries stay as they were.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/ccm_bench .venv/bin/python bench/run.py
bench_archive_write
"""

import hashlib
import itertools
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from bench.database import bench_versions, ensure_database

CHUNK = 500
ONE_AT_A_TIME = 50
COLUMNS = (
    "is_test, communication_id, version_id, content_hash, customer_id, category, channel, "
    "locale, recipient, recipient_name, subject, data, artifact_name, artifact_sha256, "
    "artifact_size, content_type, backend, message_reference, created_at, chain_hash"
)
# A small transactional email as it leaves (about 3 KB of RFC 822); every one differs.
BODY = (
    "From: Bench <b@example.com>\r\nTo: Customer {n} <c{n}@example.net>\r\n"
    "Subject: Your bill {n} is ready\r\nMessage-ID: <{n}.bench@example.com>\r\n"
    "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    + "<p>Dear customer {n}, your bill is ready. Amount due: {n}.00 GBP.</p>\r\n"
    * 40
)


def run(compare: Callable[..., str]) -> str:
    ensure_database("bench_archive_write")
    from compliance.models import ArchiveEntry, ChainHead
    from compliance.services import ArchiveRecord, archive_record_create, archive_records_create

    versions = bench_versions()
    counter = itertools.count()
    folder = Path(tempfile.mkdtemp(prefix="ccm-bench-archive-"))
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "archive": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder / "project"), "base_url": None},
        },
    }
    bare_folder = folder / "bare"

    def records(count: int) -> list[Any]:
        out = []
        for _ in range(count):
            n = next(counter)
            out.append(
                ArchiveRecord(
                    content=BODY.format(n=n).encode(),
                    content_type="message/rfc822",
                    message=None,
                    version=versions[n % 3],
                    channel="email",
                    locale="en",
                    recipient=f"c{n}@example.net",
                    recipient_name=f"Customer {n}",
                    subject=f"Your bill {n} is ready",
                    data={"name": f"Customer {n}", "amount": n},
                    message_reference=f"<{n}.bench@example.com>",
                )
            )
        return out

    def project() -> int:
        return len(archive_records_create(records=records(CHUNK)))

    def one_at_a_time() -> int:
        for record in records(ONE_AT_A_TIME):
            archive_record_create(**record.__dict__)
        return ONE_AT_A_TIME

    def bare() -> int:
        rows = []
        for record in records(CHUNK):
            digest = hashlib.sha256(record.content).hexdigest()
            name = f"{digest[:2]}/{digest[2:4]}/{digest}.eml"
            path = bare_folder / name
            os.makedirs(path.parent, exist_ok=True)
            with open(path, "xb") as fh:
                fh.write(record.content)
            version = record.version
            rows.append(
                (
                    False,
                    version.communication_id,
                    version.pk,
                    version.content_hash,
                    None,
                    "transactional",
                    record.channel,
                    record.locale,
                    record.recipient,
                    record.recipient_name,
                    record.subject,
                    json.dumps(record.data),
                    name,
                    digest,
                    len(record.content),
                    record.content_type,
                    "",
                    record.message_reference,
                    timezone.now(),
                    "",  # the bare side does not chain its rows
                )
            )
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY compliance_archiveentry ({COLUMNS}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return CHUNK

    first_new = (ArchiveEntry.objects.order_by("-id").values_list("id", flat=True).first()) or 0
    head = (
        ChainHead.objects.filter(name=ChainHead.Name.ENTRIES)
        .values_list("last_id", "last_hash")
        .first()
    ) or (0, "0" * 64)
    try:
        with override_settings(STORAGES=storages):
            chunked = compare(f"archive write, chunks of {CHUNK}", project, bare)
            single = compare("archive write, one at a time", one_at_a_time, bare, rounds=3)
    finally:
        with transaction.atomic(), connection.cursor() as cursor:
            # The one role the write-once trigger lets delete; the chain's head goes back.
            cursor.execute("SET LOCAL ROLE ccm_archive_purger")
            cursor.execute("DELETE FROM compliance_archiveentry WHERE id > %s", [first_new])
            cursor.execute("RESET ROLE")
            ChainHead.objects.filter(name=ChainHead.Name.ENTRIES).update(
                last_id=head[0], last_hash=head[1]
            )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE compliance_archiveentry")
        shutil.rmtree(folder, ignore_errors=True)
    return f"{chunked} (target 0.3)\n{single}"
