"""What the benchmarks that run in a child process of their own share: a database made
afresh for the run, a free port for their local server and the server itself, and the
demo's payment data."""

import os
import socket
import socketserver
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def child_run(module: str, name: str) -> str:
    """Run ``bench.<module>`` in a child process (its own Django settings and database)
    and return what it printed, or a FAILED line with its output."""
    result = subprocess.run(
        [sys.executable, "-m", f"bench.{module}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        return f"{name}: FAILED\n{result.stdout}{result.stderr[-4000:]}"
    return result.stdout.strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _CountingServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def counting_server_serve(
    port: int, received: Any, handler: type[socketserver.StreamRequestHandler]
) -> None:
    """Serve ``handler`` on 127.0.0.1:``port`` until killed (run it in a process of its
    own); the handler counts what it accepts in ``self.server.received`` (a shared Value)."""
    server = _CountingServer(("127.0.0.1", port), handler)
    server.received = received  # type: ignore[attr-defined]
    server.serve_forever()


def database_url(suffix: str) -> str:
    """DATABASE_URL's database name plus ``suffix``: the benchmark's own database."""
    url = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ccm_bench"))
    if not url.scheme.startswith("postgres"):
        raise SystemExit("this benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
    return urlunsplit(url._replace(path=url.path + suffix))


def database_recreate(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def payment_data(n: int) -> dict[str, Any]:
    """Row ``n``'s data for the demo's payment reminder (valid against its schema)."""
    return {
        "first_name": f"Alex{n}",
        "customer_name": f"Alex Customer {n}",
        "account_number": f"NW-{n % 1_000_000:06d}",
        "invoice_number": f"INV-2026-{n:06d}",
        "amount": 25 + n % 300,
        "currency": "GBP",
        "due_date": "2026-12-15",
        "payment_url": f"https://nwe.example/pay/NW-{n % 1_000_000:06d}",
    }
