import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings

from ccm.mailbox import NAME_PATTERN, MailboxWriter, SmtpSinkHandler

# A message as an SMTP client sends it: CRLF line ends, 8-bit UTF-8 text, and a line that
# starts with a dot (which SMTP transparency must give back unchanged).
MESSAGE = (
    "From: billing@northwind-energy.example\r\n"
    "To: hanako@example.net\r\n"
    "Subject: =?utf-8?b?44GK5pSv5omV44GE5pyf6ZmQ?=\r\n"
    "Message-ID: <1.demo@ccm.example.com>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "山田 太郎 様\r\n"
    ".a line that starts with a dot\r\n"
    "お支払い期限は2026年12月15日です。\r\n"
).encode()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _send(port: int, content: bytes, to: str = "hanako@example.net") -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.sendmail("billing@northwind-energy.example", [to], content)


def _wait_for(predicate, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(0.05)
    raise AssertionError("timed out")


class SmtpSinkHandlerTests:
    @pytest.fixture
    def sink(self, tmp_path):
        controller = Controller(
            SmtpSinkHandler(MailboxWriter(tmp_path)), hostname="127.0.0.1", port=_free_port()
        )
        controller.start()
        yield controller
        controller.stop()

    def test_it_keeps_the_exact_bytes_received(self, sink, tmp_path):
        _send(sink.port, MESSAGE)

        (stored,) = tmp_path.iterdir()
        assert stored.read_bytes() == MESSAGE

    def test_each_message_gets_its_own_file_named_in_arrival_order(self, sink, tmp_path):
        for number in range(3):
            _send(sink.port, MESSAGE.replace(b"<1.demo@", f"<{number}.x@".encode()))

        names = sorted(p.name for p in tmp_path.iterdir())
        assert len(names) == 3
        assert all(NAME_PATTERN.match(name) for name in names)
        assert [n.rsplit("-", 1)[1] for n in names] == ["000001.eml", "000002.eml", "000003.eml"]
        contents = [(tmp_path / n).read_bytes() for n in names]
        ids = [re.search(rb"Message-ID: <(\d)\.", c).group(1) for c in contents]
        assert ids == [b"0", b"1", b"2"]


class MailboxWriterTests:
    def test_it_creates_the_folder_and_never_leaves_a_partial_file(self, tmp_path):
        writer = MailboxWriter(tmp_path / "new" / "mail")

        path = writer.store(b"Subject: x\r\n\r\nbody\r\n")

        assert [p.name for p in path.parent.iterdir()] == [path.name]
        assert path.read_bytes() == b"Subject: x\r\n\r\nbody\r\n"


class SmtpSinkCommandTests:
    def test_the_command_receives_logs_and_stops_cleanly_on_sigterm(self, tmp_path):
        port = _free_port()
        mail_dir = tmp_path / "mail"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "ccm.settings.local",
            "CCM_VAR_DIR": str(tmp_path / "var"),
            "PYTHONUNBUFFERED": "1",
        }
        command = ["manage.py", "smtp_sink", "--port", str(port), "--directory", str(mail_dir)]
        process = subprocess.Popen(
            [sys.executable, *command],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for(lambda: _accepts(port))
            _send(port, MESSAGE)
            stored = _wait_for(lambda: list(Path(mail_dir).glob("*.eml")))
            assert stored[0].read_bytes() == MESSAGE
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=15)
        assert process.returncode == 0, output.decode()
        log = output.decode()
        assert "received <1.demo@ccm.example.com> from billing@northwind-energy.example" in log
        assert stored[0].name in log


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True
