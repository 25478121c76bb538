import sys

from channels.backends.base import SendResult
from channels.backends.sms.base import BaseSmsBackend, SmsMessage


class SmsBackend(BaseSmsBackend):
    def send(self, messages: list[SmsMessage]) -> list[SendResult]:
        for m in messages:
            sys.stdout.write(
                f"SMS from {m.sender} to {m.to} [{m.reference}]\n{m.text}\n{'-' * 40}\n"
            )
        sys.stdout.flush()
        return [SendResult(provider_message_id=f"console-{m.reference}") for m in messages]
