from channels.backends.base import SendResult
from channels.backends.sms.base import BaseSmsBackend, SmsMessage

# Every SMS "sent" in this process, for tests.
outbox: list[SmsMessage] = []


class SmsBackend(BaseSmsBackend):
    def send(self, messages: list[SmsMessage]) -> list[SendResult]:
        outbox.extend(messages)
        return [SendResult(provider_message_id=f"locmem-{m.reference}") for m in messages]
