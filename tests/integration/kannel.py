"""A real Kannel on 127.0.0.1: bearerbox, its fake SMSC (``fakesmsc``, which prints every
message it receives and makes the bearerbox report it delivered) and an smsbox with the
sendsms interface. Debian packages ``kannel`` and ``kannel-extras``."""

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

BEARERBOX = shutil.which("bearerbox") or "/usr/sbin/bearerbox"
SMSBOX = shutil.which("smsbox") or "/usr/sbin/smsbox"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"
USERNAME, PASSWORD = "ccm", "kannel-test-password"


def kannel_missing() -> str:
    for path in (BEARERBOX, SMSBOX, FAKESMSC):
        if not Path(path).exists():
            return f"{path} is missing: apt-get install kannel kannel-extras"
    return ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited: {log.read_text()[-2000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}: {log.read_text()[-2000:]}")


@dataclass
class Kannel:
    sendsms_url: str
    fakesmsc_log: Path

    def received(self) -> list[str]:
        """What the fake SMSC got: "<from> <to> <type> <url-encoded text>" per part."""
        lines = self.fakesmsc_log.read_text(errors="replace").splitlines()
        return [
            line.split("Got message ", 1)[1].split(": ", 1)[1].strip().strip("<>")
            for line in lines
            if "Got message" in line
        ]


def kannel_running(tmp_path: Path) -> Iterator[Kannel]:
    """Start Kannel in ``tmp_path`` (skips the test when it is not installed)."""
    missing = kannel_missing()
    if missing:
        pytest.skip(missing)
    admin, smsbox_port, smsc_port, sendsms = (_free_port() for _ in range(4))
    config = tmp_path / "kannel.conf"
    config.write_text(
        f"""group = core
admin-port = {admin}
admin-password = {PASSWORD}
admin-interface = 127.0.0.1
admin-allow-ip = 127.0.0.1
smsbox-port = {smsbox_port}
box-allow-ip = 127.0.0.1
log-level = 1
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = FAKE
host = 127.0.0.1
port = {smsc_port}
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {smsbox_port}
sendsms-port = {sendsms}
sendsms-interface = 127.0.0.1
log-level = 1

group = sendsms-user
username = {USERNAME}
password = {PASSWORD}
concatenation = true
max-messages = 10
"""
    )
    processes: list[subprocess.Popen[bytes]] = []
    logs = {name: tmp_path / f"{name}.log" for name in ("bearerbox", "fakesmsc", "smsbox")}

    def start(name: str, args: list[str]) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            args, stdout=logs[name].open("wb"), stderr=subprocess.STDOUT, cwd=tmp_path
        )
        processes.append(process)
        return process

    try:
        bearerbox = start("bearerbox", [BEARERBOX, "-v", "1", str(config)])
        _wait_for_port(smsc_port, bearerbox, logs["bearerbox"])
        # -m 0: sends nothing of its own, prints what it receives.
        start(
            "fakesmsc", [FAKESMSC, "-H", "127.0.0.1", "-r", str(smsc_port), "-m", "0", "1 2 text x"]
        )
        smsbox = start("smsbox", [SMSBOX, "-v", "1", str(config)])
        _wait_for_port(sendsms, smsbox, logs["smsbox"])
        yield Kannel(
            sendsms_url=f"http://127.0.0.1:{sendsms}/cgi-bin/sendsms",
            fakesmsc_log=logs["fakesmsc"],
        )
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
