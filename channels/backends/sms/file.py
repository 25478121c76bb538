"""Keeps every SMS as one JSON line in ``<directory>/sms.jsonl``: the demo's and the
integration tests' phone, readable by any other process."""

import fcntl
import json
from pathlib import Path
from typing import Any

from channels.backends.base import SendResult, get_backend_option
from channels.backends.sms.base import BaseSmsBackend, SmsMessage


class SmsBackend(BaseSmsBackend):
    def __init__(self, *, alias: str, **options: Any) -> None:
        super().__init__(alias=alias, **options)
        directory = get_backend_option("directory", options, setting=f'SMS_BACKENDS["{alias}"]')
        self.path = Path(directory) / "sms.jsonl"

    def send(self, messages: list[SmsMessage]) -> list[SendResult]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lines = "".join(
            json.dumps(
                {"to": m.to, "from": m.sender, "text": m.text, "reference": m.reference},
                ensure_ascii=False,
            )
            + "\n"
            for m in messages
        )
        with self.path.open("a", encoding="utf-8") as fh:
            # Several worker processes append to the same file.
            fcntl.flock(fh, fcntl.LOCK_EX)
            fh.write(lines)
            fh.flush()
            fcntl.flock(fh, fcntl.LOCK_UN)
        return [SendResult(provider_message_id=f"file-{m.reference}") for m in messages]


def read_outbox(directory: str | Path) -> list[dict[str, str]]:
    path = Path(directory) / "sms.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
