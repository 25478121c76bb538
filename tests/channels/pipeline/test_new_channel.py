"""A channel the pipeline has never heard of: one sender, registered, and the pipeline
drives it (claim → render → archive → hand over → sent with its event) unchanged."""

import pytest

from channels.exceptions import DeliveryError
from channels.models import DeliveryEvent, Message
from channels.pipeline.send import messages_send
from channels.senders.base import Outgoing, Sender
from channels.senders.registry import sender_register, sender_unregister
from compliance.models import ArchiveEntry
from rendering.types import Rendered
from tests.factories.templates_store import SAMPLE, published_version

pytestmark = pytest.mark.django_db

PUSH = "push"


class PushSender(Sender):
    """A push notification sender whose provider is a list."""

    channel = PUSH

    def __init__(self) -> None:
        self.outbox: list[dict[str, str]] = []
        self.opened = 0
        self.closed = 0
        self.refuse: set[str] = set()

    def render(self, message: Message) -> Rendered:
        return Rendered(
            channel=PUSH, locale=message.locale, text=f"Hello {message.data['first_name']}"
        )

    def build(self, message: Message, rendered: Rendered) -> Outgoing:
        return Outgoing(
            message=message,
            rendered=rendered,
            content=rendered.text.encode("utf-8"),
            content_type="text/plain",
            backend="push:test",
            sent_backend="push:test",
            summary=rendered.text,
            item={"token": message.recipient, "text": rendered.text},
        )

    def open(self) -> "PushSender":
        self.opened += 1
        return self

    def send(self, outgoing: Outgoing, connection: object) -> str:
        if outgoing.item["token"] in self.refuse:
            raise DeliveryError("push: unknown device", permanent=True)
        self.outbox.append(outgoing.item)
        return f"push-{outgoing.message.pk}"

    def close(self, connection: object) -> None:
        self.closed += 1


@pytest.fixture
def push():
    sender = PushSender()
    sender_register(sender)
    yield sender
    sender_unregister(PUSH)


def _queued_push(*tokens: str) -> list[int]:
    version = published_version()
    return [
        Message.objects.create(
            version=version, channel=PUSH, locale="en", recipient=token, data=SAMPLE
        ).pk
        for token in tokens
    ]


class NewChannelTests:
    def test_the_pipeline_sends_a_registered_senders_messages(self, push):
        ids = _queued_push("device-1", "device-2")

        messages_send(message_ids=ids)

        assert push.outbox == [
            {"token": "device-1", "text": "Hello Alex"},
            {"token": "device-2", "text": "Hello Alex"},
        ]
        assert (push.opened, push.closed) == (1, 1)
        for message in Message.objects.filter(id__in=ids):
            assert message.status == Message.Status.SENT
            assert message.attempts == 1
            assert message.provider_message_id == f"push-{message.pk}"
            sent = message.events.get(kind=DeliveryEvent.Kind.SENT)
            assert sent.detail == {
                "backend": "push:test",
                "provider_message_id": f"push-{message.pk}",
            }
            entry = ArchiveEntry.objects.get(message=message)
            assert (entry.channel, entry.backend, entry.subject) == (
                PUSH,
                "push:test",
                "Hello Alex",
            )

    def test_a_permanent_error_of_the_sender_fails_only_that_message(self, push):
        push.refuse = {"device-1"}
        refused, sent = _queued_push("device-1", "device-2")

        messages_send(message_ids=[refused, sent])

        failed = Message.objects.get(pk=refused)
        assert failed.status == Message.Status.FAILED
        assert failed.last_error == "push: unknown device"
        assert failed.events.filter(kind=DeliveryEvent.Kind.FAILED).exists()
        assert Message.objects.get(pk=sent).status == Message.Status.SENT
