"""Archive search at 1,000,000 entries (PostgreSQL only).

Seeds 1,000,000 archive entries with COPY when the table has fewer (about 50,000
customers, three channels, three years), then measures the first page of each search a
compliance officer makes, as the search page gets it (``compliance.selectors.search.
archive_entry_search`` and ``archive_entry_page``: the 50 newest and the number of matches
up to 1,000), against the 50 newest by the same lookup hand-written in SQL on its best
index. Target (issue): p95 under 50 ms with no sequential scan on the archive table (in
the plans of both the page and the count).

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/ccm_bench .venv/bin/python bench/run.py
bench_archive_search (the database is created and migrated if missing, and kept for reruns).
"""

import datetime as dt
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from django.db import connection

from bench.database import bench_versions, ensure_database

ENTRIES = 1_000_000
CUSTOMERS = 50_000
SAMPLES = 60


def _seed() -> None:
    from compliance.models import ArchiveEntry
    from customers.models import Customer

    have = ArchiveEntry.objects.count()
    if have >= ENTRIES:
        return
    rng = random.Random(7)
    versions = bench_versions()
    if Customer.objects.count() < CUSTOMERS:
        Customer.objects.bulk_create(
            [
                Customer(
                    external_id=f"B{i:06d}",
                    name=f"Customer {i}",
                    email=f"c{i}@example.net",
                    phone=f"+447911{i:06d}",
                )
                for i in range(CUSTOMERS)
            ],
            batch_size=5000,
            ignore_conflicts=True,
        )
    customers = list(
        Customer.objects.filter(external_id__startswith="B").values_list("id", "external_id")
    )
    start = dt.datetime(2023, 11, 1, tzinfo=dt.UTC)
    columns = (
        "is_test, communication_id, version_id, content_hash, customer_id, category, channel, "
        "locale, recipient, recipient_name, subject, data, artifact_name, artifact_sha256, "
        "artifact_size, content_type, backend, message_reference, created_at"
    )
    with (
        connection.cursor() as cursor,
        cursor.connection.cursor().copy(
            f"COPY compliance_archiveentry ({columns}) FROM STDIN"
        ) as copy,
    ):
        for i in range(have, ENTRIES):
            customer_id, external_id = customers[rng.randrange(len(customers))]
            number = int(external_id[1:])
            version = versions[i % 3]
            channel = ("email", "sms", "print")[rng.randrange(3)]
            recipient = {
                "email": f"c{number}@example.net",
                "sms": f"+447911{number:06d}",
                "print": f"{number} High Street\nLeeds",
            }[channel]
            digest = f"{i:064x}"
            copy.write_row(
                (
                    False,
                    version.communication_id,
                    version.pk,
                    "0" * 64,
                    customer_id,
                    "transactional",
                    channel,
                    "en",
                    recipient,
                    f"Customer {number}",
                    f"Your bill {i % 997} is ready",
                    "{}",
                    f"{digest[:2]}/{digest}.txt",
                    digest,
                    100,
                    "text/plain",
                    "bench",
                    "",
                    start + dt.timedelta(seconds=rng.randrange(3 * 365 * 86400)),
                )
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE compliance_archiveentry")


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] * 1000


def run(compare: Callable[..., str]) -> str:
    ensure_database("bench_archive_search")
    _seed()
    from compliance.selectors import search as selectors

    rng = random.Random(11)

    def some_customer() -> int:
        return rng.randrange(CUSTOMERS)

    def some_prefix() -> str:
        return f"+447911{some_customer():06d}"[: rng.randrange(8, 14)]

    paths: dict[str, tuple[Callable[[], Any], str, Callable[[], list[Any]]]] = {
        "exact email": (
            lambda: {"query": f"c{some_customer()}@example.net"},
            "recipient = %s",
            lambda: [f"c{some_customer()}@example.net"],
        ),
        # From 8 characters (a third of the archive matches) to the whole number.
        "phone prefix": (
            lambda: {"query": some_prefix()},
            "recipient LIKE %s",
            lambda: [some_prefix() + "%"],
        ),
        "customer id": (
            lambda: {"query": f"B{some_customer():06d}"},
            "customer_id = (SELECT id FROM customers_customer WHERE external_id = %s)",
            lambda: [f"B{some_customer():06d}"],
        ),
        "words in subject": (
            lambda: {"words": f"bill {rng.randrange(997)} is"},
            # By hand: the index for the one rare word, the whole phrase checked in the text.
            "ccm_archive_words(subject) @@ ccm_archive_words_query(%s, %s) "
            "AND strpos(lower(subject), lower(%s)) > 0",
            lambda: (lambda w: [w, ["your", "bill", "is", "ready"], w])(
                f"bill {rng.randrange(997)} is"
            ),
        ),
        "channel, newest": (lambda: {"channel": "sms"}, "channel = %s", lambda: ["sms"]),
    }
    lines = []
    for name, (criteria, where, params) in paths.items():
        project_times, bare_times, seq_scan = [], [], False
        for _ in range(SAMPLES):
            started = time.perf_counter()
            # What the search page does: the first 50 and the count (up to 1,000).
            selectors.archive_entry_page(
                entries=selectors.archive_entry_search(**criteria()), size=50, count_limit=1000
            )
            project_times.append(time.perf_counter() - started)
            with connection.cursor() as cursor:
                started = time.perf_counter()
                cursor.execute(
                    f"SELECT * FROM compliance_archiveentry WHERE {where} "
                    "ORDER BY created_at DESC, id DESC LIMIT 50",
                    params(),
                )
                cursor.fetchall()
                bare_times.append(time.perf_counter() - started)
        search = selectors.archive_entry_search(**criteria())
        seq_scan = any(
            "Seq Scan on compliance_archiveentry" in qs.explain()
            for qs in (search[:50], search.values_list("pk", flat=True)[:1001])
        )
        project_median, bare_median = (
            statistics.median(project_times),
            statistics.median(bare_times),
        )
        lines.append(
            f"archive search, {name}: ratio {bare_median / project_median:.2f} "
            f"(project {1 / project_median:,.0f}/s, bare {1 / bare_median:,.0f}/s); "
            f"p95 {_p95(project_times):.1f} ms; sequential scan: {'YES' if seq_scan else 'no'}"
        )
    return "\n".join(lines)
