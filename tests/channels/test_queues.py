import pytest

from ccm.celery import app as celery_app
from channels import queues
from channels.models import Batch, Message
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import published_version

pytestmark = pytest.mark.django_db


def _messages(*channels, batch=True):
    version = published_version()
    owner = None
    if batch:
        owner = Batch.objects.create(
            communication=version.communication, version=version, created_by=UserFactory()
        )
    return [
        Message.objects.create(
            batch=owner, version=version, channel=channel, locale="en", recipient="x"
        ).pk
        for channel in channels
    ]


class MessagesQueueTests:
    @pytest.mark.parametrize("channel", ["email", "sms", "print"])
    def test_a_batch_chunk_goes_to_its_channels_queue(self, channel):
        assert queues.messages_queue(_messages(channel, channel)) == channel

    def test_real_time_emails_and_sms_go_ahead_of_batches(self):
        assert queues.messages_queue(_messages("email", batch=False)) == queues.REALTIME
        assert queues.messages_queue(_messages("sms", batch=False)) == queues.REALTIME

    def test_a_chunk_with_a_letter_goes_to_the_cpu_bound_print_queue(self):
        assert queues.messages_queue(_messages("email", "sms", "print")) == queues.PRINT
        assert queues.messages_queue(_messages("print", batch=False)) == queues.PRINT

    def test_a_mixed_chunk_goes_to_its_most_frequent_channel(self):
        assert queues.messages_queue(_messages("sms", "email", "sms")) == queues.SMS

    def test_unknown_ids_go_to_the_default_queue(self):
        assert queues.messages_queue([987654321]) == queues.DEFAULT


class TaskRouteTests:
    def test_the_router_routes_message_chunks_by_their_messages(self):
        ids = _messages("sms")
        route = queues.task_route("channels.tasks.messages_send", [ids], {}, {})
        assert route == {"queue": "sms"}
        route = queues.task_route("channels.tasks.messages_send", [], {"message_ids": ids}, {})
        assert route == {"queue": "sms"}

    def test_an_explicit_queue_and_other_tasks_are_left_alone(self):
        ids = _messages("sms")
        assert queues.task_route("channels.tasks.messages_send", [ids], {}, {"queue": "x"}) is None
        assert queues.task_route("channels.tasks.batch_dispatch", [1], {}, {}) is None

    def test_celery_sends_a_chunk_to_the_routed_queue_and_every_queue_is_declared(self):
        ids = _messages("print")
        route = celery_app.amqp.router.route({}, "channels.tasks.messages_send", (ids,), {})
        assert route["queue"].name == "print"
        assert list(celery_app.amqp.queues) == list(queues.QUEUES)
        route = celery_app.amqp.router.route({}, "channels.tasks.batch_dispatch", (1,), {})
        assert route["queue"].name == "celery"


class QueueDeclarationTests:
    def test_each_queue_has_its_own_exchange_and_routing_key(self):
        # Shared bindings would copy a task into every queue on an AMQP broker.
        bindings = [(q.exchange.name, q.routing_key) for q in celery_app.amqp.queues.values()]
        assert bindings == [(name, name) for name in queues.QUEUES]
