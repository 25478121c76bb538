"""Real processes for integration tests: an SMTP server, a Redis broker, Celery workers.

A worker is a separate process (``celery -A ccm worker``) running
``tests.integration.worker_settings`` against the test database, so the tests that use
it need committed rows (``transactional_db``). ``celery_workers`` starts as many as a test
wants on a Redis server of the test's own (``redis_server``), which the test may kill.
"""

import contextlib
import fcntl
import os
import shutil
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


@contextlib.contextmanager
def _taking_turns() -> Iterator[None]:
    """Runs of these tests on one machine take turns: they share the Redis database (and
    tests that kill workers on a timer want the CPUs to themselves)."""
    lock_path = Path(tempfile.gettempdir()) / f"ccm-integration-{quote(BROKER_URL, safe='')}.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture
def celery_broker() -> Iterator[str]:
    """Tasks the test process enqueues really go to Redis (the suite is otherwise eager)."""
    client = redis.Redis.from_url(BROKER_URL, socket_timeout=5)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis is not reachable at {BROKER_URL}: {exc}")
    previous_url, previous_eager = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    with _taking_turns():
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

    def pool_pids(self) -> list[int]:
        """The prefork pool's processes (the children of the worker's main process)."""
        pids: list[int] = []
        for children in Path(f"/proc/{self.process.pid}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                pids.extend(int(pid) for pid in children.read_text().split())
        return pids

    def kill_pool(self) -> int:
        """SIGKILL every pool process (the main process starts new ones); returns how many."""
        killed = 0
        for pid in self.pool_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                killed += 1
        return killed

    def kill(self) -> int:
        """SIGKILL the whole worker, main process included; returns how many pool
        processes died with it."""
        pool = len(self.pool_pids())
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        return pool


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


def _worker_start(
    *,
    name: str,
    broker_url: str,
    smtp_server: SmtpSink,
    shared_dirs: SharedDirs,
    log_path: Path,
    env: dict[str, str],
) -> WorkerProcess:
    """Start ``celery worker`` (two prefork processes) and wait until it answers a ping."""
    worker_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.integration.worker_settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker_url,
        "EMAIL_HOST": smtp_server.host,
        "EMAIL_PORT": str(smtp_server.port),
        "CCM_SMS_DIR": str(shared_dirs.sms),
        "CCM_ARCHIVE_ROOT": str(shared_dirs.archive),
        "CCM_PRINT_ROOT": str(shared_dirs.print),
        **env,
    }
    command = [
        str(REPO_ROOT / ".venv" / "bin" / "celery"), "-A", "ccm", "worker",
        "--loglevel", "WARNING", "--concurrency", "2", "--pool", "prefork",
        "--without-gossip", "--without-mingle", "--hostname", name,
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=worker_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = WorkerProcess(name=name, process=process, log_path=log_path)
    try:
        _wait_until_ready(worker)
    except BaseException:
        _stop(process)
        raise
    return worker


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
    log_path = tmp_path / "celery-worker.log"
    worker = _worker_start(
        name=f"ccm-it-{os.getpid()}@{socket.gethostname()}",
        broker_url=celery_broker,
        smtp_server=smtp_server,
        shared_dirs=shared_dirs,
        log_path=log_path,
        # Small chunks, so that both worker processes take part in one batch.
        env={"CCM_CHUNK_SIZE": "5"},
    )
    try:
        yield worker
    finally:
        _stop(worker.process)
        # Shown by pytest only when the test fails.
        print(f"--- Celery worker log ({log_path}) ---\n{worker.log()}")


@dataclass
class RedisServer:
    """A ``redis-server`` of one test, without persistence: killing it loses every task
    it held, as a real broker restart without persistence does."""

    executable: str
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [
            self.executable, "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--daemonize", "no",
        ]  # fmt: skip
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)
        deadline = time.monotonic() + 10
        try:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    break
                with contextlib.suppress(redis.ConnectionError, redis.TimeoutError):
                    if client.ping():
                        return
                time.sleep(0.05)
        finally:
            client.close()
        log_text = self.log_path.read_text(errors="replace")
        pytest.fail(f"redis-server did not start on port {self.port}:\n{log_text}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, nothing saved."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.fail("redis-server is not installed (Debian package redis-server)")
    server = RedisServer(executable=executable, port=_free_port(), log_path=tmp_path / "redis.log")
    server.start()
    try:
        yield server
    finally:
        server.kill()


@dataclass
class CeleryWorkers:
    """Starts real workers on ``redis_server``; every one of them is stopped after the test."""

    redis_server: RedisServer
    smtp_server: SmtpSink
    shared_dirs: SharedDirs
    folder: Path
    env: dict[str, str]
    started: list[WorkerProcess] = field(default_factory=list)

    def start(self) -> WorkerProcess:
        number = len(self.started) + 1
        worker = _worker_start(
            name=f"ccm-it-{os.getpid()}-{number}@{socket.gethostname()}",
            broker_url=self.redis_server.url,
            smtp_server=self.smtp_server,
            shared_dirs=self.shared_dirs,
            log_path=self.folder / f"celery-worker-{number}.log",
            env=self.env,
        )
        self.started.append(worker)
        return worker

    def broker_restart(self, *, down_seconds: float) -> None:
        """SIGKILL the broker, start it again on the same port after ``down_seconds``
        (empty: no persistence), and drop this process's connections to the old one."""
        self.redis_server.kill()
        time.sleep(down_seconds)
        self.redis_server.start()
        _use_broker(self.redis_server.url)


@pytest.fixture
def worker_env() -> dict[str, str]:
    """Environment variables of the workers ``celery_workers`` starts (override to tune)."""
    return {}


@pytest.fixture
def celery_workers(
    transactional_db: None,
    redis_server: RedisServer,
    smtp_server: SmtpSink,
    shared_dirs: SharedDirs,
    worker_env: dict[str, str],
    tmp_path: Path,
) -> Iterator[CeleryWorkers]:
    """Real workers on the test's own ``redis_server``; the test process's Celery sends
    there too. Their logs are printed when the test fails."""
    previous_url, previous_eager = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    workers = CeleryWorkers(
        redis_server=redis_server,
        smtp_server=smtp_server,
        shared_dirs=shared_dirs,
        folder=tmp_path,
        env=worker_env,
    )
    with _taking_turns():
        _use_broker(redis_server.url)
        celery_app.conf.task_always_eager = False
        try:
            yield workers
        finally:
            for worker in workers.started:
                _stop(worker.process)
            celery_app.conf.task_always_eager = previous_eager
            _use_broker(previous_url)
            for worker in workers.started:
                print(f"--- Celery worker log ({worker.log_path}) ---\n{worker.log()}")
