"""``make run``'s processes (deploy/Procfile.local through deploy/run-local) stop cleanly on
SIGTERM: every process exits 0, no pool process dies of the signal, nothing is SIGKILLed,
and the runner exits 0. The Procfile's own commands run, on free ports and a folder of the
test's own."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.conftest import REPO_ROOT, _free_port

pytestmark = pytest.mark.integration

START_TIMEOUT = 150
STOP_TIMEOUT = 40


def _answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_the_local_processes_stop_cleanly_on_sigterm(tmp_path: Path):
    smtp_port, web_port = _free_port(), _free_port()
    procfile = (REPO_ROOT / "deploy" / "Procfile.local").read_text()
    assert "--port 1025" in procfile and "127.0.0.1:8000" in procfile
    procfile = procfile.replace("--port 1025", f"--port {smtp_port}")
    procfile = procfile.replace("127.0.0.1:8000", f"127.0.0.1:{web_port}")
    procfile = procfile.replace("var/celerybeat-schedule", str(tmp_path / "celerybeat-schedule"))
    (tmp_path / "Procfile").write_text(procfile)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "CELERY_", "CCM_", "EMAIL_", "DJANGO_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="ccm.settings.local",
        CCM_VAR_DIR=str(tmp_path / "var"),
        EMAIL_PORT=str(smtp_port),
        PATH=f"{Path(sys.executable).parent}:{env['PATH']}",
    )
    # As make run does first: beat's jobs at the minute read the tables.
    (tmp_path / "var").mkdir()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        runner = subprocess.Popen(
            [sys.executable, "deploy/run-local", str(tmp_path / "Procfile")],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline:
                text = log.read_text(errors="replace")
                if _answers(web_port) and _answers(smtp_port) and " ready." in text:
                    break
                assert runner.poll() is None, text
                time.sleep(1)
            else:
                pytest.fail(f"not up within {START_TIMEOUT} s:\n{log.read_text()}")
            runner.send_signal(signal.SIGTERM)
            returncode = runner.wait(timeout=STOP_TIMEOUT)
        finally:
            if runner.poll() is None:
                os.killpg(runner.pid, signal.SIGKILL)
    text = log.read_text(errors="replace")
    assert returncode == 0, text
    for name in ("smtp", "worker", "web"):
        assert f"{name}.1 stopped (rc=0)" in text, text
    for bad in ("signal 15", "SIGTERM)", "SIGKILL", "Traceback"):
        assert bad not in text, text
