"""Real HTTP servers on loopback addresses and a resolver that answers chosen names, for
the tests of the outbound request policy (ccm/outbound.py)."""

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

# What an internal service would answer; no API answer may ever contain it.
INTERNAL_BODY = b"internal-secret-9f2c: redis_version:7.2.4"


@dataclass
class LocalServer:
    """A server on ``host``: answers ``status`` with ``body`` and ``headers`` and keeps
    the path and headers of every request it gets."""

    host: str = "127.0.0.1"
    status: int = 200
    body: bytes = INTERNAL_BODY
    headers: dict[str, str] = field(default_factory=dict)
    received: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hook"


@contextmanager
def local_server(**options: Any) -> Iterator[LocalServer]:
    state = LocalServer(**options)

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            self.rfile.read(length)
            state.received.append((self.path, dict(self.headers)))
            self.send_response(state.status)
            for name, value in state.headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

        do_GET = do_POST = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer((state.host, 0), Handler)
    state.port = server.server_port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


class FakeResolver:
    """``socket.getaddrinfo`` that answers ``names`` (name -> addresses, or a list of
    answers given in turn) and asks the real resolver for anything else."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.names: dict[str, list[list[str]]] = {}
        self.lookups: list[str] = []
        self._real = socket.getaddrinfo
        monkeypatch.setattr(socket, "getaddrinfo", self)

    def answer(self, name: str, *answers: list[str]) -> None:
        self.names[name] = list(answers)

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in self.names:
            return self._real(host, port, *args, **kwargs)
        self.lookups.append(name)
        answers = self.names[name]
        addresses = answers.pop(0) if len(answers) > 1 else answers[0]
        infos = []
        for address in addresses:
            if ":" in address:
                infos.append(
                    (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, int(port), 0, 0))
                )
            else:
                infos.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port))))
        return infos
