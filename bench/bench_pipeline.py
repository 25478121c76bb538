"""The full email pipeline against a bare loop doing the same work in one process.

Project: ``POST /api/batches`` (JSON Lines) → Celery worker(s) on Redis → render → MIME →
SMTP to a local sink → archive (artifact file, sha256, row), timed from the request until
the batch is completed. Bare: Jinja2 render of the same template, MIME build, SMTP on one
reused connection to the same sink, sha256 + artifact file + a COPY row per message.

Also prints how long enqueueing a 100,000-recipient batch takes (request + dispatch task)
against the time its sending takes at the one-worker rate, and the worker's memory over
the run (its pool process's resident set, which must stay flat).

It runs in a child process with a database of its own (the DATABASE_URL database name
plus ``_pipeline``, created afresh), Redis database 14 as broker, and folders in /tmp.
"""

import datetime as dt
import hashlib
import io
import json
import os
import re
import smtplib
import socketserver
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from multiprocessing import Process, Value
from pathlib import Path
from typing import Any

from bench.support import (
    ROOT,
    child_run,
    counting_server_serve,
    database_recreate,
    database_url,
    free_port,
    payment_data,
)

MESSAGES_PER_ROUND = 2000
# Each round's ratio compares two runs a few seconds apart; the median of five is what
# is reported (one machine's speed was seen to drift by a quarter within a minute).
ROUNDS = 5
ENQUEUE_RECIPIENTS = 100_000
BROKER_URL = "redis://127.0.0.1:6379/14"


def run(compare: Callable[..., str]) -> str:
    """Entry point for bench/run.py: the work happens in a child process of its own."""
    return child_run("bench_pipeline", "pipeline_email")


# THE SMTP SINK ------------------------------------------------------------------------


class _SinkHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP to accept mail and count it; lighter than what it measures."""

    def handle(self) -> None:
        write = self.wfile.write
        write(b"220 sink ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"DATA":
                write(b"354 go ahead\r\n")
                while (data := self.rfile.readline()) and data != b".\r\n":
                    pass
                with self.server.received.get_lock():  # type: ignore[attr-defined]
                    self.server.received.value += 1  # type: ignore[attr-defined]
                write(b"250 OK queued\r\n")
            elif verb == b"EHLO":
                write(b"250-sink\r\n250 8BITMIME\r\n")
            elif verb == b"QUIT":
                write(b"221 bye\r\n")
                return
            else:
                write(b"250 OK\r\n")


# SET-UP -------------------------------------------------------------------------------


def _environment(dsn: str, folder: Path, smtp_port: int) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "ccm.settings.local",
        "DJANGO_DEBUG": "false",
        "CCM_LOG_LEVEL": "WARNING",
        "DATABASE_URL": dsn,
        "CELERY_BROKER_URL": BROKER_URL,
        "EMAIL_BACKEND": "channels.backends.email.SmtpBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "CCM_ARCHIVE_ROOT": str(folder / "archive"),
        "CCM_PRINT_ROOT": str(folder / "print"),
        "CCM_SMS_DIR": str(folder / "sms"),
        "CCM_QUIET_HOURS_CHANNELS": "",
    }


def _rows(count: int, offset: int) -> Iterator[dict[str, Any]]:
    for n in range(offset, offset + count):
        yield {
            "email": f"customer{n}@example.net",
            "name": f"Customer {n}",
            "locale": "en",
            "data": payment_data(n),
        }


def _jsonl(rows: Iterator[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    for row in rows:
        buffer.write(json.dumps(row))
        buffer.write("\n")
    return buffer.getvalue().encode()


# THE BARE LOOP ------------------------------------------------------------------------


class Bare:
    """Render, MIME, SMTP on one connection, sha256 + artifact file + COPY row."""

    def __init__(self, *, variant: dict[str, str], smtp_port: int, folder: Path, dsn: str) -> None:
        import jinja2
        import psycopg
        from markupsafe import Markup

        env = jinja2.Environment(autoescape=True)
        env.filters["money"] = lambda value, currency: f"£{value:,.2f}"
        env.filters["css"] = lambda value: Markup(str(value))
        env.filters["date"] = lambda value, fmt="long": dt.date.fromisoformat(value).strftime(
            "%d %B %Y"
        )
        self.subject = env.from_string(variant["subject"])
        self.html = env.from_string(variant["body_html"])
        self.text = env.from_string(variant["body_text"])
        self.smtp_port = smtp_port
        self.folder = folder / "bare"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.db = psycopg.connect(dsn, autocommit=True)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS bench_bare_archive (id bigserial PRIMARY KEY, "
            "message_id text, recipient text, subject text, artifact_name text, "
            "artifact_sha256 text, artifact_size integer, created_at timestamptz)"
        )

    def send(self, count: int, offset: int) -> float:
        from django.core.mail import EmailMultiAlternatives

        started = time.perf_counter()
        smtp = smtplib.SMTP("127.0.0.1", self.smtp_port)
        rows = []
        for n, row in enumerate(_rows(count, offset), start=offset):
            data = {
                **row["data"],
                "brand": {"name": "Northwind Energy", "primary_color": "#0b5394"},
            }
            email = EmailMultiAlternatives(
                subject=self.subject.render(data),
                body=self.text.render(data),
                from_email="Northwind Energy <billing@nwe.example>",
                to=[f"{row['name']} <{row['email']}>"],
                headers={"Message-ID": f"<bare.{n}@bench>"},
            )
            email.attach_alternative(self.html.render(data), "text/html")
            content = email.message().as_bytes(linesep="\r\n")
            smtp.sendmail("billing@nwe.example", [row["email"]], content)
            digest = hashlib.sha256(content).hexdigest()
            path = self.folder / digest[:2] / digest
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(content)
            rows.append(
                (f"<bare.{n}@bench>", row["email"], email.subject, str(path), digest, len(content))
            )
            if len(rows) == 200:
                self._copy(rows)
        self._copy(rows)
        smtp.quit()
        return time.perf_counter() - started

    def _copy(self, rows: list[tuple[Any, ...]]) -> None:
        now = dt.datetime.now(dt.UTC)
        with self.db.cursor().copy(
            "COPY bench_bare_archive (message_id, recipient, subject, artifact_name, "
            "artifact_sha256, artifact_size, created_at) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row((*row, now))
        rows.clear()


# THE PROJECT --------------------------------------------------------------------------


class Worker:
    def __init__(self, *, env: dict[str, str], concurrency: int, folder: Path) -> None:
        self.log_path = folder / f"worker-{concurrency}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "celery"), "-A", "ccm", "worker",
                    "--loglevel", "INFO", "--pool", "prefork",
                    "--concurrency", str(concurrency), "--without-gossip", "--without-mingle",
                    "--hostname", f"bench-{concurrency}@%h",
                ],
                cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while "ready." not in self.log_path.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"the worker did not start:\n{self.log_path.read_text()}")
            time.sleep(0.2)

    def pool_rss_mb(self) -> list[float]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        sizes = []
        for pid in children.read_text().split():
            status = Path(f"/proc/{pid}/status").read_text()
            match = re.search(r"VmRSS:\s+(\d+) kB", status)
            if match:
                sizes.append(int(match.group(1)) / 1024)
        return sizes

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Project:
    """Batches through the API: ``rows(count, offset)`` gives their rows (emails by default)."""

    def __init__(
        self,
        *,
        communication: str,
        token: str,
        rows: Callable[[int, int], Iterator[dict[str, Any]]] = _rows,
    ) -> None:
        from rest_framework.test import APIClient

        self.communication = communication
        self.rows = rows
        self.client = APIClient(SERVER_NAME="127.0.0.1")
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    def submit(self, count: int, offset: int) -> int:
        response = self.client.post(
            f"/api/batches?communication={self.communication}",
            _jsonl(self.rows(count, offset)),
            content_type="application/x-ndjson",
        )
        if response.status_code != 202:
            raise SystemExit(f"batch refused: {response.status_code} {response.content[:2000]!r}")
        body = response.json()
        if body["rejected_rows"]:
            raise SystemExit(f"rows refused: {body['rejected_rows'][:3]}")
        return int(body["id"])

    def send(self, count: int, offset: int) -> float:
        from channels.models import Batch

        started = time.perf_counter()
        batch_id = self.submit(count, offset)
        while Batch.objects.get(pk=batch_id).status != Batch.Status.COMPLETED:
            if time.perf_counter() - started > 600:
                raise SystemExit(f"batch {batch_id} did not complete in 10 minutes")
            time.sleep(0.05)
        return time.perf_counter() - started


def _set_up() -> tuple[str, str, dict[str, str]]:
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from ccm.services import api_token_create
    from demo import content
    from demo.loading import demo_load

    call_command("migrate", verbosity=0)
    demo_load(customer_count=1, batch_size=0)
    _, token = api_token_create(user=User.objects.get(username="operator"), name="bench")
    return "payment-reminder", token, content.PAYMENT_VARIANTS[("email", "en")]


def _measure_enqueue(project: Project, seconds_per_message: float) -> str:
    """A 100,000-recipient batch: the request plus the dispatch task, no worker running."""
    import redis

    from channels import services
    from channels.models import Batch

    started = time.perf_counter()
    batch_id = project.submit(ENQUEUE_RECIPIENTS, 10_000_000)
    accepted = time.perf_counter() - started
    # On commit the dispatch task was enqueued; it is run here as the worker would.
    services.batch_dispatch(batch_id=batch_id)
    enqueued = time.perf_counter() - started
    services.batch_cancel(batch=Batch.objects.get(pk=batch_id))
    redis.Redis.from_url(BROKER_URL).flushdb()
    send = ENQUEUE_RECIPIENTS * seconds_per_message
    return (
        f"pipeline_enqueue_100k: ratio {enqueued / send:.3f} of the send time "
        f"(accepted in {accepted:.1f} s, enqueued in {enqueued:.1f} s; sending takes "
        f"{send:.0f} s at the one-worker rate)"
    )


def main() -> None:
    import redis

    folder = Path(tempfile.mkdtemp(prefix="ccm-bench-pipeline-"))
    smtp_port = free_port()
    received = Value("l", 0)
    sink = Process(
        target=counting_server_serve, args=(smtp_port, received, _SinkHandler), daemon=True
    )
    sink.start()
    dsn = database_url("_pipeline")
    database_recreate(dsn)
    env = _environment(dsn, folder, smtp_port)
    os.environ.update(env)
    redis.Redis.from_url(BROKER_URL).flushdb()

    import django

    django.setup()
    communication, token, variant = _set_up()
    project = Project(communication=communication, token=token)
    bare = Bare(variant=variant, smtp_port=smtp_port, folder=folder, dsn=dsn)

    lines = []
    offset = 0
    one_worker_rate = 0.0
    for concurrency in (1, 2):
        worker = Worker(env=env, concurrency=concurrency, folder=folder)
        try:
            project.send(200, offset)  # warm up: imports, compiled templates, connections
            offset += 200
            rss_start = worker.pool_rss_mb()
            ratios, project_rates, bare_rates = [], [], []
            for round_ in range(ROUNDS):
                # Bare first, then project first: the machine's speed drifts, and
                # alternating the order keeps a steady drift from favouring either.
                if round_ % 2 == 0:
                    bare_rate = MESSAGES_PER_ROUND / bare.send(MESSAGES_PER_ROUND, offset)
                    project_rate = MESSAGES_PER_ROUND / project.send(MESSAGES_PER_ROUND, offset)
                else:
                    project_rate = MESSAGES_PER_ROUND / project.send(MESSAGES_PER_ROUND, offset)
                    bare_rate = MESSAGES_PER_ROUND / bare.send(MESSAGES_PER_ROUND, offset)
                offset += MESSAGES_PER_ROUND
                bare_rates.append(bare_rate)
                project_rates.append(project_rate)
                ratios.append(project_rate / bare_rate)
            rss_end = worker.pool_rss_mb()
        finally:
            worker.stop()
        if concurrency == 1:
            one_worker_rate = statistics.median(project_rates)
        lines.append(
            f"pipeline_email_{concurrency}_worker{'s' if concurrency > 1 else ''}: "
            f"ratio {statistics.median(ratios):.2f} "
            f"(rounds {', '.join(f'{r:.2f}' for r in ratios)}) "
            f"(project {statistics.median(project_rates):,.0f}/s, "
            f"bare {statistics.median(bare_rates):,.0f}/s; worker pool RSS "
            f"{', '.join(f'{mb:.0f}' for mb in rss_start)} MB → "
            f"{', '.join(f'{mb:.0f}' for mb in rss_end)} MB over "
            f"{ROUNDS * MESSAGES_PER_ROUND:,} emails)"
        )
    lines.append(_measure_enqueue(project, 1 / one_worker_rate))
    expected = offset + 2 * ROUNDS * MESSAGES_PER_ROUND  # the project's and the bare loop's
    if received.value != expected:
        lines.append(f"WARNING: the sink received {received.value} emails, expected {expected}")
    sink.terminate()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
