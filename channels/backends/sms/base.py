from dataclasses import dataclass
from typing import Any

from channels.backends.base import SendResult


@dataclass(frozen=True)
class SmsMessage:
    to: str
    sender: str
    text: str
    # Reused on retries so that a provider can refuse a duplicate.
    reference: str


class BaseSmsBackend:
    """The contract of an SMS backend.

    ``send(messages)`` hands over every message and returns one ``SendResult`` each, in
    order. It raises ``channels.exceptions.DeliveryError`` (``permanent=True`` for a
    number the provider will never accept) and nothing else. ``open``/``close`` frame a
    chunk of messages so that a connection can be reused; both may be no-ops.
    """

    def __init__(self, *, alias: str, **options: Any) -> None:
        self.alias = alias
        self.options = options

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def send(self, messages: list[SmsMessage]) -> list[SendResult]:
        raise NotImplementedError("An SMS backend must implement send(messages).")
