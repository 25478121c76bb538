"""The setup of ``make run``, as a newcomer gets it: ``ccm.settings.local`` on a fresh
SQLite file, Celery's filesystem broker, ``celery -A ccm worker --beat`` and the local SMTP
sink (``manage.py smtp_sink``), every path in a folder of the test's own. A mixed batch sent
with ``manage.py send_batch`` is delivered and archived: this drives the SQLite side of the
code's ``connection.vendor`` branches, which the rest of the suite (PostgreSQL) does not."""

import contextlib
import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.utils import getaddresses
from pathlib import Path

import pytest

from channels.backends.sms.file import read_outbox
from demo import content
from tests.integration.conftest import REPO_ROOT, _free_port

pytestmark = pytest.mark.integration

BIN = REPO_ROOT / ".venv" / "bin"
COMMAND_TIMEOUT = 120
START_TIMEOUT = 60
BATCH_TIMEOUT = 120
COMMUNICATION = "payment-reminder"
# The demo, small: its users, brand and communications, a dozen customers.
DEMO_LOAD = "from demo.loading import demo_load; demo_load(customer_count=12, batch_size=2)"


@dataclass
class OneMachine:
    var: Path
    env: dict[str, str]
    smtp_port: int

    def manage(self, *args: str, timeout: float = COMMAND_TIMEOUT) -> str:
        result = subprocess.run(
            [str(BIN / "python"), "manage.py", *args],
            cwd=REPO_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            pytest.fail(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def query(self, sql: str, *params: object) -> list[tuple]:
        with contextlib.closing(
            sqlite3.connect(f"file:{self.var / 'ccm.sqlite3'}?mode=ro", uri=True)
        ) as db:
            return db.execute(sql, params).fetchall()


def _start(command: list[str], *, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        return subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _stop(process: subprocess.Popen[bytes], *, grace: float = 20) -> int | None:
    """SIGTERM to the main process (a worker's warm shutdown: it lets its pool finish),
    then SIGKILL the process group if it is still there. Returns the exit code of a clean
    stop, None when it had to be killed."""
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        return None


@pytest.fixture
def one_machine(tmp_path: Path) -> Iterator[OneMachine]:
    var = tmp_path / "var"
    var.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "CELERY_", "CCM_", "EMAIL_", "DJANGO_"))
    }
    smtp_port = _free_port()
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "ccm.settings.local",
            # Database, broker, mailbox, SMS outbox, print files and archive: all under var/.
            "CCM_VAR_DIR": str(var),
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            # Chunks of two, so that both pool processes write to the SQLite file at once.
            "CCM_CHUNK_SIZE": "2",
            "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        }
    )
    machine = OneMachine(var=var, env=env, smtp_port=smtp_port)
    machine.manage("migrate", "--noinput")
    machine.manage("shell", "-c", DEMO_LOAD)

    smtp_log, worker_log = tmp_path / "smtp.log", tmp_path / "worker.log"
    smtp = _start(
        [
            str(BIN / "python"),
            "manage.py",
            "smtp_sink",
            "--host",
            "127.0.0.1",
            "--port",
            str(smtp_port),
        ],
        env=env,
        log_path=smtp_log,
    )
    worker = _start(
        [
            str(BIN / "celery"), "-A", "ccm", "worker", "--beat", "--loglevel", "INFO",
            "--concurrency", "2", "--schedule", str(var / "celerybeat-schedule"),
            "--hostname", f"make-run-{os.getpid()}@%h",
        ],
        env=env,
        log_path=worker_log,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while "ready." not in worker_log.read_text(errors="replace"):
            assert worker.poll() is None, f"the worker exited:\n{worker_log.read_text()}"
            assert smtp.poll() is None, f"the SMTP sink exited:\n{smtp_log.read_text()}"
            assert time.monotonic() < deadline, f"no worker after {START_TIMEOUT} s"
            time.sleep(0.3)
        yield machine
    finally:
        worker_code = _stop(worker)
        smtp_code = _stop(smtp, grace=10)
        worker_output = worker_log.read_text(errors="replace")
        print(f"--- worker log ---\n{worker_output}")
        print(f"--- SMTP sink log ---\n{smtp_log.read_text(errors='replace')}")
    assert worker_code == 0, f"the worker did not stop cleanly (exit {worker_code})"
    assert smtp_code == 0, f"the SMTP sink did not stop cleanly (exit {smtp_code})"
    # Nothing went wrong on the way (a "database is locked", a task that raised).
    assert "Traceback" not in worker_output
    assert '"levelname": "ERROR"' not in worker_output and " ERROR/" not in worker_output


def _recipients(machine: OneMachine) -> list[str]:
    """Customers whose first preference is each channel: two for email and SMS, the
    letters for whoever prefers them."""
    chosen: dict[str, list[str]] = {"email": [], "sms": [], "print": []}
    for external_id, preference in machine.query(
        "SELECT external_id, channel_preference FROM customers_customer ORDER BY id"
    ):
        first = json.loads(preference)[0]
        if len(chosen[first]) < 2:
            chosen[first].append(external_id)
    assert all(chosen.values()), chosen
    return [external_id for ids in chosen.values() for external_id in ids]


class MakeRunOnSqliteTests:
    def test_a_mixed_batch_is_sent_and_archived_on_sqlite_and_the_filesystem_broker(
        self, one_machine, tmp_path
    ):
        machine = one_machine
        customers = _recipients(machine)
        data = content.sample_data(COMMUNICATION, today=dt.date.today())
        rows = tmp_path / "recipients.jsonl"
        rows.write_text(
            "".join(json.dumps({"customer_id": c, "data": data}) + "\n" for c in customers)
        )

        output = machine.manage(
            "send_batch", COMMUNICATION, str(rows), "--user", "operator",
            "--timeout", str(BATCH_TIMEOUT),
            timeout=BATCH_TIMEOUT + 30,
        )  # fmt: skip
        assert "completed" in output, output
        ((batch_id, status),) = machine.query(
            "SELECT id, status FROM channels_batch WHERE source = 'cli' ORDER BY id DESC LIMIT 1"
        )
        assert status == "completed"

        messages = machine.query(
            "SELECT id, channel, status, recipient FROM channels_message WHERE batch_id = ?",
            batch_id,
        )
        assert len(messages) == len(customers)
        assert {status for _, _, status, _ in messages} == {"sent"}, messages
        by_channel: dict[str, list[tuple]] = {}
        for message in messages:
            by_channel.setdefault(message[1], []).append(message)
        assert set(by_channel) == {"email", "sms", "print"}, messages

        # Emails at the sink, byte for byte as .eml files.
        emails = [message_from_bytes(p.read_bytes()) for p in (machine.var / "mail").glob("*.eml")]
        received = {address for _, address in getaddresses([mail["To"] for mail in emails])}
        assert {m[3] for m in by_channel["email"]} <= received, received

        # SMS in the file backend's outbox.
        outbox = read_outbox(machine.var / "sms")
        assert {m[3] for m in by_channel["sms"]} <= {sms["to"] for sms in outbox}, outbox

        # Letters in a print file, on disk.
        print_files = machine.query(
            "SELECT pdf_name, letter_count FROM channels_printfile WHERE batch_id = ?", batch_id
        )
        assert sum(count for _, count in print_files) == len(by_channel["print"])
        for pdf_name, _ in print_files:
            assert (machine.var / "print" / pdf_name).read_bytes().startswith(b"%PDF")

        # One archive entry for each message.
        archived = machine.query(
            "SELECT message_id, channel FROM compliance_archiveentry WHERE message_id IN "
            "(SELECT id FROM channels_message WHERE batch_id = ?)",
            batch_id,
        )
        assert sorted(archived) == sorted((m[0], m[1]) for m in messages)
