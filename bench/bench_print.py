"""Print throughput: letters through the platform into print files, against naive
per-letter WeasyPrint.

Project: ``POST /api/batches`` (JSON Lines, the demo's one-page payment reminder as a
letter) → Celery worker(s) on Redis → render → PDF (the chunk's letters laid out one by
one, written as one PDF and cut per letter) → archive (artifact file, sha256, row) →
print files (joined, with manifests) when the batch completes; timed from the request
until the batch is completed. Bare: ``weasyprint.HTML(string=html).write_pdf()`` for each
letter's HTML (rendered beforehand, so the bare loop does nothing but WeasyPrint).

Targets (issue): the project at least 1.5 times the bare loop with one worker process,
and two worker processes at least 1.6 times one (also printed against each phase's bare
loop, for a machine whose speed drifts). Chunks are of 50 letters here
(``CCM_CHUNK_SIZE``) so that a round's letters spread over both processes.

It runs in a child process with a database of its own (the DATABASE_URL database name
plus ``_print``, created afresh), Redis database 14 as broker, and folders in /tmp.
"""

import datetime as dt
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.bench_pipeline import BROKER_URL, Project, Worker, _environment, _set_up
from bench.support import child_run, database_recreate, database_url, free_port, payment_data

LETTERS_PER_ROUND = 400
ROUNDS = 2
CHUNK_SIZE = 50


def run(compare: Callable[..., str]) -> str:
    """Entry point for bench/run.py: the work happens in a child process of its own."""
    return child_run("bench_print", "print_throughput")


def _rows(count: int, offset: int) -> Iterator[dict[str, Any]]:
    for n in range(offset, offset + count):
        yield {
            "name": f"Customer {n}",
            "address": f"{n} High Street\nLeeds LS1 {n % 9}AB",
            "channel": "print",
            "locale": "en",
            "data": payment_data(n),
        }


class Bare:
    """Naive per-letter WeasyPrint: one ``write_pdf`` per letter, PDF/A-3b like the
    project's, from the HTML the project renders."""

    def __init__(self, *, communication: str) -> None:
        from rendering.pdf import ASSETS_DIR
        from rendering.render import render
        from rendering.types import Recipient
        from templates_store.models import Communication
        from templates_store.selectors import version_published

        version = version_published(communication=Communication.objects.get(key=communication))
        self.base_url = ASSETS_DIR.as_uri() + "/"
        self.html = [
            render(
                version,
                "print",
                row["locale"],
                row["data"],
                recipient=Recipient(
                    name=row["name"], address_lines=tuple(row["address"].split("\n"))
                ),
                letter_date=dt.date(2026, 11, 23),
            ).html
            for row in _rows(LETTERS_PER_ROUND, 0)
        ]

    def send(self) -> float:
        import weasyprint

        started = time.perf_counter()
        for html in self.html:
            weasyprint.HTML(string=html, base_url=self.base_url).write_pdf(pdf_variant="pdf/a-3b")
        return time.perf_counter() - started


def _check_printed(count: int) -> None:
    """Every letter of the last batch went into a print file."""
    from channels.models import Batch, Message, PrintFile

    batch = Batch.objects.latest("pk")
    printed = sum(PrintFile.objects.filter(batch=batch).values_list("letter_count", flat=True))
    if printed != count:
        failed = Message.objects.filter(batch=batch, status=Message.Status.FAILED)
        raise SystemExit(
            f"batch {batch.pk}: {printed} of {count} letters printed; failures: "
            f"{list(failed.values_list('last_error', flat=True)[:3])}"
        )


def main() -> None:
    import redis

    folder = Path(tempfile.mkdtemp(prefix="ccm-bench-print-"))
    dsn = database_url("_print")
    database_recreate(dsn)
    env = {**_environment(dsn, folder, free_port()), "CCM_CHUNK_SIZE": str(CHUNK_SIZE)}
    os.environ.update(env)
    redis.Redis.from_url(BROKER_URL).flushdb()

    import django

    django.setup()
    communication, token, _ = _set_up()
    project = Project(communication=communication, token=token, rows=_rows)
    bare = Bare(communication=communication)

    lines = []
    offset = 0
    project_medians: dict[int, float] = {}
    ratio_medians: dict[int, float] = {}
    for concurrency in (1, 2):
        worker = Worker(env=env, concurrency=concurrency, folder=folder)
        try:
            project.send(2 * CHUNK_SIZE, offset)  # warm up: imports, fonts, connections
            offset += 2 * CHUNK_SIZE
            ratios, project_rates, bare_rates = [], [], []
            for _ in range(ROUNDS):
                bare_rate = LETTERS_PER_ROUND / bare.send()
                project_rate = LETTERS_PER_ROUND / project.send(LETTERS_PER_ROUND, offset)
                _check_printed(LETTERS_PER_ROUND)
                offset += LETTERS_PER_ROUND
                bare_rates.append(bare_rate)
                project_rates.append(project_rate)
                ratios.append(project_rate / bare_rate)
        finally:
            worker.stop()
        project_medians[concurrency] = statistics.median(project_rates)
        ratio_medians[concurrency] = statistics.median(ratios)
        lines.append(
            f"print_{concurrency}_worker{'s' if concurrency > 1 else ''}: "
            f"ratio {statistics.median(ratios):.2f} "
            f"(project {project_medians[concurrency]:.1f} letters/s, "
            f"bare {statistics.median(bare_rates):.1f} letters/s)"
        )
    # The machine's speed may drift between the two phases: the second figure compares
    # each phase's ratio to its own bare loop.
    lines.append(
        f"print_two_workers_against_one: ratio {project_medians[2] / project_medians[1]:.2f} "
        f"({ratio_medians[2] / ratio_medians[1]:.2f} against each phase's bare loop)"
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
