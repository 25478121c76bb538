"""A running batch's queued messages, and messages_send watched step by step."""

from unittest import mock

from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

from channels import services
from channels.models import Batch, Message
from channels.pipeline import transitions
from channels.pipeline.send import messages_send
from tests.factories.ccm import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import SAMPLE, published_version


def queued_batch(count=3, preference=("email",)):
    version = published_version()
    customers = CustomerFactory.create_batch(count, channel_preference=list(preference))
    # Without the on-commit callbacks the batch stays queued: the test drives each step.
    batch = services.batch_create(
        communication=version.communication,
        rows=[{"customer_id": c.external_id, "data": SAMPLE} for c in customers],
        created_by=UserFactory(),
    )
    Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.RUNNING)
    return batch, list(batch.messages.values_list("id", flat=True))


def created_at_of(message_id):
    return Message.objects.values_list("created_at", flat=True).get(id=message_id)


def messages_send_watched(ids, *, send, record):
    """``messages_send`` with each hand-over to the locmem backend going through
    ``send(real_send, backend, messages)`` and each record through ``record(real_record,
    sent)``."""
    real_send = LocmemBackend.send_messages
    real_record = transitions.messages_sent
    with (
        mock.patch.object(
            LocmemBackend, "send_messages", lambda backend, m: send(real_send, backend, m)
        ),
        mock.patch.object(transitions, "messages_sent", lambda sent: record(real_record, sent)),
    ):
        messages_send(message_ids=ids)
