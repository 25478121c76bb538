"""The one-machine production setup, as an operator runs it: ``deploy/run-one-machine``
(honcho with deploy/Procfile: gunicorn, two Celery worker pools on separate queues, beat)
on 127.0.0.1 against PostgreSQL and a Redis of the test's own. A mixed batch sent through
the API is delivered, and the health and metrics endpoints show it."""

import contextlib
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.db.models import Max
from prometheus_client.parser import text_string_to_metric_families

from ccm.celery import app as celery_app
from ccm.roles import OPERATOR
from ccm.services import api_token_create
from channels.backends.sms.file import read_outbox
from channels.models import Batch, Message, PrintFile
from compliance.models import ArchiveEntry, Seal
from tests.factories.ccm import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import SAMPLE, published_version
from tests.integration.conftest import (
    REPO_ROOT,
    RedisServer,
    SharedDirs,
    SmtpSink,
    _database_url,
    _free_port,
    _taking_turns,
    _use_broker,
)

pytestmark = pytest.mark.integration

START_TIMEOUT = 120
BATCH_DEADLINE_SECONDS = 150
METRICS_TOKEN = "one-machine-metrics-token"
AUDIENCE = {"email": 6, "sms": 4, "print": 3}


@dataclass
class Platform:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def assert_alive(self) -> None:
        if self.process.poll() is not None:
            pytest.fail(f"honcho exited with {self.process.returncode}:\n{self.log()}")

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.base_url + path, timeout=30, **kwargs)


def _children(pid: int) -> list[int]:
    pids: list[int] = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            pids.extend(int(child) for child in children.read_text().split())
    return pids


def _stop(process: subprocess.Popen[bytes]) -> None:
    """honcho stops its processes (each in a session of its own) on SIGTERM; whatever is
    left after the grace period is killed, process group by process group."""
    children = _children(process.pid)
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=40)
    for child in children:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    process.wait(timeout=10)


def _active_queues() -> dict[str, set[str]]:
    """The queues each running worker takes (asked until both pools answer: a busy
    machine may miss the first broadcast's reply window)."""
    replies: dict[str, list[dict]] = {}
    for _ in range(10):
        replies = celery_app.control.inspect(timeout=2).active_queues() or {}
        if len(replies) >= 2:
            break
    return {name: {queue["name"] for queue in consumed} for name, consumed in replies.items()}


def _wait_until_up(platform: Platform) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        platform.assert_alive()
        with contextlib.suppress(requests.ConnectionError):
            if platform.get("/healthz").status_code == 200 and len(_active_queues()) >= 2:
                return
        time.sleep(0.5)
    pytest.fail(f"The platform did not come up within {START_TIMEOUT} s:\n{platform.log()}")


@pytest.fixture
def platform(
    transactional_db: None,
    redis_server: RedisServer,
    smtp_server: SmtpSink,
    shared_dirs: SharedDirs,
    tmp_path: Path,
) -> Iterator[Platform]:
    port = _free_port()
    settings_file = tmp_path / "ccm.env"
    variables = {
        "DJANGO_SETTINGS_MODULE": "ccm.settings.production",
        "DJANGO_SECRET_KEY": "one-machine-test-secret-key-0123456789-abcdefghijklmnop",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": redis_server.url,
        "EMAIL_HOST": smtp_server.host,
        "EMAIL_PORT": str(smtp_server.port),
        "CCM_SMS_DIR": str(shared_dirs.sms),
        "CCM_ARCHIVE_ROOT": str(shared_dirs.archive),
        "CCM_PRINT_ROOT": str(shared_dirs.print),
        "CCM_VAR_DIR": str(tmp_path / "var"),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "CCM_WEB_BIND": f"127.0.0.1:{port}",
        "CCM_WEB_WORKERS": "2",
        "CCM_MESSAGES_CONCURRENCY": "2",
        "CCM_PRINT_CONCURRENCY": "1",
        "CCM_METRICS_TOKEN": METRICS_TOKEN,
        "CCM_LOG_FORMAT": "json",
        # Chunks of one channel each (the rows are in channel order), on every queue.
        "CCM_CHUNK_SIZE": "2",
        "CCM_SMS_RATE_LIMIT": "50",
        # The test must not depend on the hour it runs at.
        "CCM_QUIET_HOURS_CHANNELS": "none",
        "PATH": f"{REPO_ROOT / '.venv' / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
    }
    (tmp_path / "var").mkdir()
    settings_file.write_text("".join(f"{k}={v}\n" for k, v in variables.items()))
    log_path = tmp_path / "honcho.log"
    previous_url, previous_eager = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    with _taking_turns(), log_path.open("wb") as log:
        _use_broker(redis_server.url)
        celery_app.conf.task_always_eager = False
        process = subprocess.Popen(
            [str(REPO_ROOT / "deploy" / "run-one-machine")],
            cwd=REPO_ROOT,
            env={
                "PATH": variables["PATH"],
                "CCM_ENV_FILE": str(settings_file),
                "PROMETHEUS_MULTIPROC_DIR": variables["PROMETHEUS_MULTIPROC_DIR"],
            },
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        platform = Platform(base_url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
        try:
            _wait_until_up(platform)
            yield platform
        finally:
            _stop(process)
            celery_app.conf.task_always_eager = previous_eager
            _use_broker(previous_url)
            print(f"--- honcho log ({log_path}) ---\n{platform.log()}")


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _wait_for_completion(platform: Platform, batch_id: int) -> Batch:
    deadline = time.monotonic() + BATCH_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        batch = Batch.objects.get(pk=batch_id)
        if batch.status == Batch.Status.COMPLETED:
            return batch
        platform.assert_alive()
        time.sleep(0.5)
    statuses = list(Message.objects.filter(batch_id=batch_id).values_list("channel", "status"))
    pytest.fail(f"Batch {batch_id} unfinished after {BATCH_DEADLINE_SECONDS} s: {statuses}")


def _handled_by(log: str) -> dict[str, set[int]]:
    """Message ids of each chunk that succeeded, by honcho process (worker.1, ...), read
    from the workers' JSON log lines (task and message_ids come from the log context)."""
    handled: dict[str, set[int]] = {}
    for raw in log.splitlines():
        line = re.sub(r"\x1b\[[0-9;]*m", "", raw)  # honcho's colours
        match = re.match(r"^\S+ (\S+)\s+\| (\{.*\})\s*$", line)
        if not match:
            continue
        with contextlib.suppress(json.JSONDecodeError):
            record = json.loads(match.group(2))
            if record.get("task") == "channels.tasks.messages_send" and "succeeded" in record.get(
                "message", ""
            ):
                handled.setdefault(match.group(1), set()).update(record["message_ids"])
    return handled


class OneMachineTests:
    def test_a_mixed_batch_goes_through_the_production_processes_and_shows_in_metrics(
        self, platform, smtp_server, shared_dirs
    ):
        version = published_version()
        customers = [
            CustomerFactory(channel_preference=[channel], locale="en")
            for channel, count in AUDIENCE.items()
            for _ in range(count)
        ]
        _, key = api_token_create(user=UserFactory(roles=[OPERATOR]), name="back office")

        # Health first: live, and ready with every part named.
        assert platform.get("/healthz").json() == {"status": "ok"}
        ready = platform.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {
            "database": "ok",
            "broker": "ok",
            "archive_storage": "ok",
        }
        # Two worker pools, each on its own queues.
        queues = _active_queues()
        assert sorted(queues.values(), key=len) == [
            {"print"},
            {"realtime", "celery", "email", "sms"},
        ]

        response = requests.post(
            f"{platform.base_url}/api/batches",
            json={
                "communication": version.communication.key,
                "recipients": [{"customer_id": c.external_id, "data": SAMPLE} for c in customers],
            },
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
        assert response.status_code == 202, response.text
        batch = _wait_for_completion(platform, response.json()["id"])

        messages = list(Message.objects.filter(batch=batch))
        assert {m.status for m in messages} == {Message.Status.SENT}
        by_channel = {ch: {m.pk for m in messages if m.channel == ch} for ch in AUDIENCE}
        assert {ch: len(ids) for ch, ids in by_channel.items()} == AUDIENCE
        assert len(smtp_server.received) == AUDIENCE["email"]
        assert len(read_outbox(shared_dirs.sms)) == AUDIENCE["sms"]
        (print_file,) = PrintFile.objects.filter(batch=batch)
        assert print_file.letter_count == AUDIENCE["print"]

        # Letters were rendered by the print pool, emails and SMS by the other one.
        # The task that completes the batch logs its success just after; wait for that line.
        handled = _handled_by(platform.log())
        deadline = time.monotonic() + 10
        while set().union(*handled.values()) != {m.pk for m in messages}:
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
            handled = _handled_by(platform.log())
        assert set(handled) == {"worker.1", "worker_print.1"}, handled
        assert handled["worker_print.1"] == by_channel["print"]
        assert handled["worker.1"] == by_channel["email"] | by_channel["sms"]

        self._assert_metrics(platform, batch)

    def _assert_metrics(self, platform, batch):
        assert platform.get("/metrics").status_code == 403
        response = platform.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert response.status_code == 200, response.text
        samples = _samples(response.text)

        for channel, count in AUDIENCE.items():
            assert samples[("ccm_messages", (("channel", channel), ("state", "sent")))] == count
            assert samples[("ccm_messages", (("channel", channel), ("state", "queued")))] == 0
            # Observed in the worker processes, added up across them by the web process.
            rendered = samples[("ccm_render_seconds_count", (("channel", channel),))]
            assert rendered >= count
        waits = samples[("ccm_rate_limit_wait_seconds_count", (("key", "sms:default"),))]
        assert waits >= AUDIENCE["sms"]
        for queue in ("realtime", "celery", "email", "sms", "print"):
            assert samples[("ccm_celery_queue_length", (("queue", queue),))] == 0
        sealed_up_to = Seal.objects.aggregate(last=Max("last_entry_id"))["last"] or 0
        unsealed = ArchiveEntry.objects.filter(pk__gt=sealed_up_to).count()
        assert unsealed > 0 or sealed_up_to > 0
        assert samples[("ccm_archive_unsealed_entries", ())] == unsealed
        assert (samples[("ccm_archive_seal_lag_seconds", ())] > 0) == (unsealed > 0)
