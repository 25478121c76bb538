"""The SMS sending path against a bare loop doing the same provider calls, in one process.

Project: ``channels.pipeline.send.messages_send`` on chunks of ``CCM_CHUNK_SIZE`` queued SMS
messages: claim, render, checks (E.164, country, segments), archive entry, the generic
HTTP provider backend (JSON body) on one keep-alive session per chunk, status and event
writes. Bare: Jinja2 render of the same text, ``json.dumps``, ``requests.Session`` POST
to the same server on one kept-alive connection. Rate limits are off.

The HTTP server is a minimal keep-alive responder in a child process (lighter than the
thing measured). The work runs in a child process with a database of its own (the
DATABASE_URL database name plus ``_sms``, created afresh) and folders in /tmp.
"""

import datetime as dt
import json
import os
import socketserver
import statistics
import tempfile
import time
from collections.abc import Callable
from multiprocessing import Process, Value
from pathlib import Path
from typing import Any

from bench.support import (
    child_run,
    counting_server_serve,
    database_recreate,
    database_url,
    free_port,
    payment_data,
)

MESSAGES_PER_ROUND = 600
ROUNDS = 7


def run(compare: Callable[..., str]) -> str:
    """Entry point for bench/run.py: the work happens in a child process of its own."""
    return child_run("bench_sms_pipeline", "pipeline_sms")


# THE HTTP SERVER ----------------------------------------------------------------------

_ANSWER = b'{"sid": "SM0001", "status": "queued"}'
_RESPONSE = (
    b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
    b"Content-Length: " + str(len(_ANSWER)).encode() + b"\r\n\r\n" + _ANSWER
)


class _ProviderHandler(socketserver.StreamRequestHandler):
    """Just enough HTTP/1.1 to answer every request on a kept-alive connection."""

    def handle(self) -> None:
        readline, read, write = self.rfile.readline, self.rfile.read, self.wfile.write
        while readline():  # the request line
            length = 0
            while (line := readline()) not in (b"\r\n", b""):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                read(length)
            with self.server.received.get_lock():  # type: ignore[attr-defined]
                self.server.received.value += 1  # type: ignore[attr-defined]
            write(_RESPONSE)


# SET-UP -------------------------------------------------------------------------------


def _number(n: int) -> str:
    return f"+447400{n % 1_000_000:06d}"


def _provider_settings(port: int) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "channels.backends.sms.http.SmsBackend",
            "OPTIONS": {
                "url": f"http://127.0.0.1:{port}/v1/messages",
                "method": "POST",
                "body": "json",
                "auth": "bearer",
                "token": "bench-token",
                "fields": {"to": "{to}", "from": "{sender}", "text": "{text}"},
                "id_path": "sid",
            },
            "RATE_LIMIT": 0,
            "SENDER_RATE_LIMITS": {},
        }
    }


# THE BARE LOOP ------------------------------------------------------------------------


class Bare:
    """Render the text, JSON, POST on one kept-alive session."""

    def __init__(self, *, body_text: str, url: str) -> None:
        import jinja2
        import requests

        env = jinja2.Environment(autoescape=False)
        env.filters["money"] = lambda value, currency: f"£{value:,.2f}"
        env.filters["date"] = lambda value, fmt="long": dt.date.fromisoformat(value).strftime(
            "%d %b %Y"
        )
        self.template = env.from_string(body_text)
        self.url = url
        self.session = requests.Session()

    def send(self, count: int, offset: int) -> float:
        started = time.perf_counter()
        for n in range(offset, offset + count):
            text = self.template.render(payment_data(n))
            body = json.dumps({"to": _number(n), "from": "Northwind", "text": text})
            response = self.session.post(
                self.url,
                data=body,
                headers={"Content-Type": "application/json", "Authorization": "Bearer x"},
                timeout=10,
            )
            response.raise_for_status()
            response.json()
        return time.perf_counter() - started


# THE PROJECT --------------------------------------------------------------------------


class Project:
    def __init__(self, *, version: Any) -> None:
        self.version = version

    def queue(self, count: int, offset: int) -> list[int]:
        from channels.models import Message

        messages = Message.objects.bulk_create(
            Message(
                version=self.version,
                channel="sms",
                locale="en",
                recipient=_number(n),
                recipient_name=f"Customer {n}",
                data=payment_data(n),
            )
            for n in range(offset, offset + count)
        )
        return [m.pk for m in messages]

    def send(self, ids: list[int]) -> float:
        from django.conf import settings

        from channels.models import Message
        from channels.pipeline.send import messages_send

        started = time.perf_counter()
        for start in range(0, len(ids), settings.CCM_CHUNK_SIZE):
            messages_send(message_ids=ids[start : start + settings.CCM_CHUNK_SIZE])
        elapsed = time.perf_counter() - started
        sent = Message.objects.filter(pk__in=ids, status=Message.Status.SENT).count()
        if sent != len(ids):
            failed = Message.objects.filter(pk__in=ids).exclude(status=Message.Status.SENT)
            raise SystemExit(
                f"{len(ids) - sent} messages not sent: "
                f"{list(failed.values_list('status', 'last_error')[:3])}"
            )
        return elapsed


def _set_up() -> tuple[Any, str]:
    from django.core.management import call_command

    from demo import content
    from demo.loading import demo_load
    from templates_store.models import Communication
    from templates_store.selectors import version_published

    call_command("migrate", verbosity=0)
    demo_load(customer_count=1, batch_size=0)
    version = version_published(communication=Communication.objects.get(key="payment-reminder"))
    assert version is not None
    return version, content.PAYMENT_VARIANTS[("sms", "en")]["body_text"]


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="ccm-bench-sms-"))
    port = free_port()
    received = Value("l", 0)
    server = Process(
        target=counting_server_serve, args=(port, received, _ProviderHandler), daemon=True
    )
    server.start()
    dsn = database_url("_sms")
    database_recreate(dsn)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "ccm.settings.local",
            "DJANGO_DEBUG": "false",
            "CCM_LOG_LEVEL": "WARNING",
            "DATABASE_URL": dsn,
            "CCM_ARCHIVE_ROOT": str(folder / "archive"),
            "CCM_PRINT_ROOT": str(folder / "print"),
            "CCM_QUIET_HOURS_CHANNELS": "",
            "CCM_SMS_ALLOWED_COUNTRIES": "GB",
        }
    )
    import django

    django.setup()
    from django.conf import settings

    settings.SMS_BACKENDS = _provider_settings(port)
    version, body_text = _set_up()
    project = Project(version=version)
    bare = Bare(body_text=body_text, url=f"http://127.0.0.1:{port}/v1/messages")

    offset = 0
    project.send(project.queue(200, offset))  # warm up: compiled templates, connections
    bare.send(200, offset)
    offset += 200
    ratios, project_rates, bare_rates = [], [], []
    for _ in range(ROUNDS):
        ids = project.queue(MESSAGES_PER_ROUND, offset)
        bare_rate = MESSAGES_PER_ROUND / bare.send(MESSAGES_PER_ROUND, offset)
        project_rate = MESSAGES_PER_ROUND / project.send(ids)
        offset += MESSAGES_PER_ROUND
        bare_rates.append(bare_rate)
        project_rates.append(project_rate)
        ratios.append(project_rate / bare_rate)
    line = (
        f"pipeline_sms: ratio {statistics.median(ratios):.2f} "
        f"(project {statistics.median(project_rates):,.0f}/s, "
        f"bare {statistics.median(bare_rates):,.0f}/s; chunks of {settings.CCM_CHUNK_SIZE}, "
        f"{ROUNDS * MESSAGES_PER_ROUND:,} SMS each side)"
    )
    expected = 2 * offset
    if received.value != expected:
        line += f"\nWARNING: the server received {received.value} requests, expected {expected}"
    server.terminate()
    print(line)


if __name__ == "__main__":
    main()
