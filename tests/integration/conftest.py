"""Real processes for integration tests: an SMTP server, a Redis broker, a Celery worker.

The worker is a separate process (``celery -A ccm worker``) running
``tests.integration.worker_settings`` against the test database, so the tests that use
it need committed rows (``transactional_db``).
"""

import contextlib
import fcntl
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import redis
from aiosmtpd.controller import Controller
from django.db import connection
from kombu import pools as kombu_pools

from ccm.celery import app as celery_app

REPO_ROOT = Path(__file__).resolve().parents[2]
# A Redis database of its own, so that flushing it disturbs nobody else.
BROKER_URL = os.environ.get("CCM_IT_BROKER_URL", "redis://127.0.0.1:6379/13")
WORKER_START_TIMEOUT = 45


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes


@dataclass
class SmtpSink:
    """What the SMTP server on 127.0.0.1 received, in order of arrival."""

    host: str
    port: int
    received: list[ReceivedMail] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(
            ReceivedMail(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                content=envelope.original_content,
            )
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    sink = SmtpSink(host="127.0.0.1", port=_free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@dataclass(frozen=True)
class SharedDirs:
    """Folders both the worker and the test process read and write."""

    archive: Path
    print: Path
    sms: Path


@pytest.fixture
def shared_dirs(settings: Any, tmp_path: Path) -> SharedDirs:
    dirs = SharedDirs(archive=tmp_path / "archive", print=tmp_path / "print", sms=tmp_path / "sms")
    for folder in (dirs.archive, dirs.print, dirs.sms):
        folder.mkdir(parents=True, exist_ok=True)
    settings.STORAGES = {
        **settings.STORAGES,
        "archive": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(dirs.archive)},
        },
        "print": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(dirs.print)},
        },
    }
    return dirs


def _use_broker(url: str) -> None:
    """Point this process's Celery app at ``url``. Connections and producers pooled for
    the previous broker are closed and forgotten (what Celery itself does after a fork)."""
    kombu_pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app.conf.broker_url = url


@pytest.fixture
def celery_broker() -> Iterator[str]:
    """Tasks the test process enqueues really go to Redis (the suite is otherwise eager).

    Runs of these tests on one machine take turns: they share the Redis database.
    """
    lock_path = Path(tempfile.gettempdir()) / f"ccm-integration-{quote(BROKER_URL, safe='')}.lock"
    client = redis.Redis.from_url(BROKER_URL, socket_timeout=5)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis is not reachable at {BROKER_URL}: {exc}")
    previous_url, previous_eager = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        client.flushdb()
        _use_broker(BROKER_URL)
        celery_app.conf.task_always_eager = False
        try:
            yield BROKER_URL
        finally:
            celery_app.conf.task_always_eager = previous_eager
            _use_broker(previous_url)
            client.flushdb()
            client.close()


@dataclass
class WorkerProcess:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def assert_alive(self) -> None:
        code = self.process.poll()
        if code is not None:
            pytest.fail(f"The Celery worker exited with code {code}:\n{self.log()}")


def _database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}{port}/{db['NAME']}"


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Warm shutdown of the whole process group, then kill whatever is left of it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def _wait_until_ready(worker: WorkerProcess) -> None:
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while time.monotonic() < deadline:
        worker.assert_alive()
        if celery_app.control.ping(destination=[worker.name], timeout=0.5):
            return
    pytest.fail(
        f"The Celery worker did not answer within {WORKER_START_TIMEOUT} s:\n{worker.log()}"
    )


@pytest.fixture
def real_celery_worker(
    transactional_db: None,
    celery_broker: str,
    smtp_server: SmtpSink,
    shared_dirs: SharedDirs,
    tmp_path: Path,
) -> Iterator[WorkerProcess]:
    """A real ``celery worker`` (two prefork processes) sending through ``smtp_server`` and
    writing SMS, print files and archive artifacts into ``shared_dirs``. Its log is
    printed when the test fails."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.integration.worker_settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": celery_broker,
        "EMAIL_HOST": smtp_server.host,
        "EMAIL_PORT": str(smtp_server.port),
        "CCM_SMS_DIR": str(shared_dirs.sms),
        "CCM_ARCHIVE_ROOT": str(shared_dirs.archive),
        "CCM_PRINT_ROOT": str(shared_dirs.print),
        # Small chunks, so that both worker processes take part in one batch.
        "CCM_CHUNK_SIZE": "5",
    }
    log_path = tmp_path / "celery-worker.log"
    name = f"ccm-it-{os.getpid()}@{socket.gethostname()}"
    command = [
        str(REPO_ROOT / ".venv" / "bin" / "celery"), "-A", "ccm", "worker",
        "--loglevel", "WARNING", "--concurrency", "2", "--pool", "prefork", "-Q", "celery",
        "--without-gossip", "--without-mingle", "--hostname", name,
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = WorkerProcess(name=name, process=process, log_path=log_path)
    try:
        _wait_until_ready(worker)
        yield worker
    finally:
        _stop(process)
        # Shown by pytest only when the test fails.
        print(f"--- Celery worker log ({log_path}) ---\n{worker.log()}")
