"""The sweepers: messages of dead workers and of a lost broker enqueued again."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from channels.models import Batch, DeliveryEvent, Message
from channels.pipeline.sweepers import messages_requeue_stuck
from tests.channels.pipeline.chunks import queued_batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """Runs a sweeper as beat's task does: what it enqueues goes once it has committed
    (``channels.enqueue``)."""

    def run(sweeper):
        with django_capture_on_commit_callbacks(execute=True):
            return sweeper()

    return run


class RequeueStuckTests:
    def test_messages_of_a_dead_worker_are_taken_back_and_sent(self, sweep, settings):
        settings.CCM_CLAIM_TIMEOUT_SECONDS = 60
        _, ids = queued_batch(2)
        long_ago = timezone.now() - timedelta(minutes=5)
        Message.objects.filter(id=ids[0]).update(status=Message.Status.SENDING, claimed_at=long_ago)
        Message.objects.filter(id=ids[1]).update(
            status=Message.Status.RENDERING, claimed_at=timezone.now()
        )
        assert sweep(messages_requeue_stuck) == 1
        assert Message.objects.get(id=ids[0]).status == "sent"
        assert Message.objects.get(id=ids[1]).status == "rendering"

    def test_a_message_taken_back_while_sending_is_recorded_as_a_possible_duplicate(
        self, sweep, settings
    ):
        settings.CCM_CLAIM_TIMEOUT_SECONDS = 60
        _, ids = queued_batch(2)
        long_ago = timezone.now() - timedelta(minutes=5)
        Message.objects.filter(id=ids[0]).update(status=Message.Status.SENDING, claimed_at=long_ago)
        Message.objects.filter(id=ids[1]).update(
            status=Message.Status.RENDERING, claimed_at=long_ago
        )
        assert sweep(messages_requeue_stuck) == 2
        retried = DeliveryEvent.objects.filter(kind="retry", detail__possible_duplicate=True)
        assert list(retried.values_list("message_id", flat=True)) == [ids[0]]

    def test_queued_messages_whose_tasks_the_broker_lost_are_enqueued_again(self, sweep, settings):
        settings.CCM_CLAIM_TIMEOUT_SECONDS = 60
        _, ids = queued_batch(3)
        long_ago = timezone.now() - timedelta(minutes=5)
        Message.objects.filter(id__in=ids[:2]).update(created_at=long_ago)
        # Scheduled: messages_release_due enqueues it when due, not the sweeper.
        Message.objects.filter(id=ids[1]).update(not_before=timezone.now() + timedelta(hours=1))

        assert sweep(messages_requeue_stuck) == 1

        statuses = dict(Message.objects.filter(id__in=ids).values_list("id", "status"))
        assert [statuses[i] for i in ids] == ["sent", "queued", "queued"]

    def test_a_batch_whose_dispatch_task_was_lost_is_dispatched(self, sweep, settings):
        settings.CCM_CLAIM_TIMEOUT_SECONDS = 60
        batch, _ = queued_batch(2)
        Batch.objects.filter(pk=batch.pk).update(
            status=Batch.Status.QUEUED, created_at=timezone.now() - timedelta(minutes=5)
        )
        sweep(messages_requeue_stuck)
        batch.refresh_from_db()
        assert batch.status == Batch.Status.COMPLETED
        assert len(mail.outbox) == 2

    def test_nothing_is_enqueued_again_while_the_broker_still_holds_tasks(self, sweep, settings):
        settings.CCM_CLAIM_TIMEOUT_SECONDS = 60
        _, ids = queued_batch(1)
        Message.objects.filter(id__in=ids).update(created_at=timezone.now() - timedelta(hours=1))
        with mock.patch(
            "channels.pipeline.sweepers.broker_queue_sizes", return_value={"celery": 40}
        ):
            assert sweep(messages_requeue_stuck) == 0
        assert Message.objects.get(id=ids[0]).status == "queued"
