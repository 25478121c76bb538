from unittest import mock

import pytest
from django.core import mail

from ccm.celery import app as celery_app
from channels import enqueue, tasks
from channels.models import Batch, Message
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import SAMPLE, published_version

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
            batch=owner,
            version=version,
            channel=channel,
            locale="en",
            recipient="a@example.org" if channel == "email" else "x",
            data=SAMPLE,
        ).pk
        for channel in channels
    ]


@pytest.fixture
def published(monkeypatch):
    """What reaches the broker, instead of the broker: (task name, queue name) per task."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    sent = []

    def record(producer, name, message, **options):
        sent.append((name, options["queue"].name))

    with mock.patch.object(celery_app.amqp, "send_task_message", side_effect=record):
        yield sent


class EnqueueTests:
    def test_the_tasks_are_registered_under_the_names_enqueue_sends(self):
        assert (
            tasks.batch_dispatch.name == enqueue.BATCH_DISPATCH == "channels.tasks.batch_dispatch"
        )
        assert tasks.messages_send.name == enqueue.MESSAGES_SEND == "channels.tasks.messages_send"
        assert {enqueue.BATCH_DISPATCH, enqueue.MESSAGES_SEND} <= set(celery_app.tasks)

    def test_nothing_is_sent_before_the_transaction_commits(
        self, django_capture_on_commit_callbacks
    ):
        ids = _messages("email")
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            enqueue.messages_send_enqueue(ids)
            assert len(callbacks) == 0
            assert len(mail.outbox) == 0
        assert len(callbacks) == 1
        assert len(mail.outbox) == 1
        assert Message.objects.get(pk=ids[0]).status == "sent"

    def test_a_rolled_back_transaction_sends_nothing(self, django_capture_on_commit_callbacks):
        ids = _messages("email")
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            enqueue.messages_send_enqueue(ids)
        assert len(callbacks) == 1
        assert len(mail.outbox) == 0

    @pytest.mark.parametrize(
        ("channels", "batch", "queue"),
        [
            (("email", "email"), True, "email"),
            (("sms",), True, "sms"),
            (("email", "print"), True, "print"),
            (("sms",), False, "realtime"),
        ],
    )
    def test_a_chunk_lands_on_the_queue_delay_chose(
        self, published, django_capture_on_commit_callbacks, channels, batch, queue
    ):
        ids = _messages(*channels, batch=batch)
        tasks.messages_send.delay(ids)
        with django_capture_on_commit_callbacks(execute=True):
            enqueue.messages_send_enqueue(ids)
        assert published == [(enqueue.MESSAGES_SEND, queue)] * 2

    def test_a_batch_dispatch_lands_on_the_default_queue(
        self, published, django_capture_on_commit_callbacks
    ):
        tasks.batch_dispatch.delay(1)
        with django_capture_on_commit_callbacks(execute=True):
            enqueue.batch_dispatch_enqueue(1)
        assert published == [(enqueue.BATCH_DISPATCH, "celery")] * 2

    def test_a_process_without_the_task_sends_by_name_through_the_router(self, published):
        ids = _messages("print")
        with mock.patch.dict(celery_app.tasks, clear=False) as registry:
            del registry[enqueue.MESSAGES_SEND]
            enqueue._send(enqueue.MESSAGES_SEND, (ids,))
        assert published == [(enqueue.MESSAGES_SEND, "print")]
