"""How an SMS leaves: checked and built (``channels.services.sms.sms_build``: number,
country, segments, sender id), archived as its text, and handed to the ``default`` SMS
backend on one session per chunk, each message on the backend's and the sender's rates.
The backends map their providers' errors (``channels/backends/sms/``)."""

from typing import Any

from ccm.vocabulary import Channel
from channels.backends import sms_backends
from channels.backends.sms.base import SmsMessage
from channels.models import Message
from channels.senders.base import Outgoing, Sender
from channels.services.sms import sms_build, sms_throttle
from rendering.types import Rendered


class SmsSender(Sender):
    channel = Channel.SMS
    alias = "default"

    def build(self, message: Message, rendered: Rendered) -> Outgoing:
        """Raises SmsRefused (a permanent DeliveryError) for an SMS that may not go."""
        sms = sms_build(
            communication=message.version.communication,
            to=message.recipient,
            text=rendered.text,
            reference=message.message_id,
        )
        return Outgoing(
            message=message,
            rendered=rendered,
            content=rendered.text.encode("utf-8"),
            content_type="text/plain",
            backend=self.alias,
            sent_backend=f"sms:{self.alias}",
            summary=rendered.text[:500],
            item=sms,
        )

    def open(self) -> Any:
        backend = sms_backends[self.alias]
        backend.open()
        return backend

    def send(self, outgoing: Outgoing, connection: Any) -> str:
        sms: SmsMessage = outgoing.item
        sms_throttle(backend_alias=connection.alias, sender=sms.sender)
        (result,) = connection.send([sms])
        return str(result.provider_message_id)
