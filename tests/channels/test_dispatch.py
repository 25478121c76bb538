import datetime as dt
import smtplib
import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.utils import timezone

from channels import services
from channels.exceptions import DeliveryError
from channels.models import Batch, DeliveryEvent, Message
from compliance.models import ArchiveEntry
from compliance.services import artifact_read
from tests.factories.ccm import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import SAMPLE, published_version

pytestmark = pytest.mark.django_db


def _queued_batch(count=3, preference=("email",)):
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


class MessagesSendTests:
    def test_a_transient_smtp_failure_puts_unsent_messages_back_in_the_queue(self, settings):
        settings.CCM_EMAIL_CONNECTIONS = 1  # one at a time: the order is known
        batch, ids = _queued_batch()
        real_send = LocmemBackend.send_messages
        calls = {"n": 0}

        def flaky(self, messages):
            calls["n"] += 1
            if calls["n"] == 2:
                raise smtplib.SMTPServerDisconnected("connection lost")
            return real_send(self, messages)

        with (
            mock.patch.object(LocmemBackend, "send_messages", flaky),
            pytest.raises(DeliveryError) as err,
        ):
            services.messages_send(message_ids=ids)
        assert not err.value.permanent
        statuses = dict(Message.objects.filter(id__in=ids).values_list("id", "status"))
        assert [statuses[i] for i in ids] == ["sent", "queued", "queued"]
        # Each waits for its back-off in the database, not in a Celery countdown.
        for message in Message.objects.filter(id__in=ids[1:]):
            assert message.not_before is not None
            wait = message.not_before - timezone.now()
            assert timedelta(seconds=20) < wait <= timedelta(seconds=30)
            assert message.events.filter(kind="retry").exists()
        services.messages_send(message_ids=ids)
        assert len(mail.outbox) == 1

        # Once due, the sweep sends the rest, reusing the Message-ID and the archived bytes
        # of the one that failed.
        Message.objects.filter(id__in=ids).update(not_before=timezone.now())
        failed_once = Message.objects.get(id=ids[1])
        archived = artifact_read(entry=ArchiveEntry.objects.get(message_id=ids[1]))
        assert services.messages_release_due() == 2
        assert set(Message.objects.filter(id__in=ids).values_list("status", flat=True)) == {"sent"}
        assert mail.outbox[-2].extra_headers["Message-ID"] == failed_once.message_id
        assert mail.outbox[-2].message().as_bytes(linesep="\r\n") == archived
        assert ArchiveEntry.objects.filter(message_id=ids[1]).count() == 1
        batch.refresh_from_db()
        assert batch.status == Batch.Status.COMPLETED

    def test_a_refused_recipient_fails_only_that_message(self):
        _, ids = _queued_batch(2)
        real_send = LocmemBackend.send_messages
        refused = services.dispatch.message_id_for(Message(pk=ids[0], created_at=_created(ids[0])))

        def refuse_first(self, messages):
            if messages[0].extra_headers["Message-ID"] == refused:
                raise smtplib.SMTPRecipientsRefused({"x@example.net": (550, b"no such user")})
            return real_send(self, messages)

        with mock.patch.object(LocmemBackend, "send_messages", refuse_first):
            services.messages_send(message_ids=ids)
        first, second = Message.objects.filter(id__in=ids).order_by("id")
        assert first.status == "failed" and "recipient refused" in first.last_error
        assert second.status == "sent"
        assert DeliveryEvent.objects.filter(message=first, kind="failed").exists()

    def test_messages_already_claimed_or_done_are_left_alone(self):
        _, ids = _queued_batch(2)
        Message.objects.filter(id=ids[0]).update(
            status=Message.Status.SENDING, claimed_at=timezone.now()
        )
        services.messages_send(message_ids=ids)
        assert len(mail.outbox) == 1
        services.messages_send(message_ids=ids)
        assert len(mail.outbox) == 1

    def test_a_render_error_fails_the_message_with_the_reason(self):
        _, ids = _queued_batch(1)
        Message.objects.filter(id=ids[0]).update(data={"first_name": "A"})
        services.messages_send(message_ids=ids)
        message = Message.objects.get(id=ids[0])
        assert message.status == "failed" and "amount" in message.last_error


class RequeueStuckTests:
    def test_messages_of_a_dead_worker_are_taken_back_and_sent(self, settings):
        settings.CCM_CLAIM_TIMEOUT_SECONDS = 60
        _, ids = _queued_batch(2)
        long_ago = timezone.now() - timedelta(minutes=5)
        Message.objects.filter(id=ids[0]).update(status=Message.Status.SENDING, claimed_at=long_ago)
        Message.objects.filter(id=ids[1]).update(
            status=Message.Status.RENDERING, claimed_at=timezone.now()
        )
        assert services.messages_requeue_stuck() == 1
        assert Message.objects.get(id=ids[0]).status == "sent"
        assert Message.objects.get(id=ids[1]).status == "rendering"

    def test_a_message_taken_back_while_sending_is_recorded_as_a_possible_duplicate(self, settings):
        settings.CCM_CLAIM_TIMEOUT_SECONDS = 60
        _, ids = _queued_batch(2)
        long_ago = timezone.now() - timedelta(minutes=5)
        Message.objects.filter(id=ids[0]).update(status=Message.Status.SENDING, claimed_at=long_ago)
        Message.objects.filter(id=ids[1]).update(
            status=Message.Status.RENDERING, claimed_at=long_ago
        )
        assert services.messages_requeue_stuck() == 2
        retried = DeliveryEvent.objects.filter(kind="retry", detail__possible_duplicate=True)
        assert list(retried.values_list("message_id", flat=True)) == [ids[0]]

    def test_queued_messages_whose_tasks_the_broker_lost_are_enqueued_again(self, settings):
        settings.CCM_CLAIM_TIMEOUT_SECONDS = 60
        _, ids = _queued_batch(3)
        long_ago = timezone.now() - timedelta(minutes=5)
        Message.objects.filter(id__in=ids[:2]).update(created_at=long_ago)
        # Scheduled: messages_release_due enqueues it when due, not the sweeper.
        Message.objects.filter(id=ids[1]).update(not_before=timezone.now() + timedelta(hours=1))

        assert services.messages_requeue_stuck() == 1

        statuses = dict(Message.objects.filter(id__in=ids).values_list("id", "status"))
        assert [statuses[i] for i in ids] == ["sent", "queued", "queued"]

    def test_a_batch_whose_dispatch_task_was_lost_is_dispatched(self, settings):
        settings.CCM_CLAIM_TIMEOUT_SECONDS = 60
        batch, _ = _queued_batch(2)
        Batch.objects.filter(pk=batch.pk).update(
            status=Batch.Status.QUEUED, created_at=timezone.now() - timedelta(minutes=5)
        )
        services.messages_requeue_stuck()
        batch.refresh_from_db()
        assert batch.status == Batch.Status.COMPLETED
        assert len(mail.outbox) == 2

    def test_nothing_is_enqueued_again_while_the_broker_still_holds_tasks(self, settings):
        settings.CCM_CLAIM_TIMEOUT_SECONDS = 60
        _, ids = _queued_batch(1)
        Message.objects.filter(id__in=ids).update(created_at=timezone.now() - timedelta(hours=1))
        with mock.patch(
            "channels.services.dispatch.broker_queue_sizes", return_value={"celery": 40}
        ):
            assert services.messages_requeue_stuck() == 0
        assert Message.objects.get(id=ids[0]).status == "queued"


class ProviderIdTests:
    def test_each_sms_records_the_id_its_provider_gave_it(self):
        _, ids = _queued_batch(3, preference=("sms",))
        services.messages_send(message_ids=ids)
        messages = list(Message.objects.filter(id__in=ids))
        assert [m.status for m in messages] == ["sent"] * 3
        for message in messages:
            assert message.provider_message_id == f"locmem-{message.message_id}"
            event = message.events.get(kind=DeliveryEvent.Kind.SENT)
            assert event.detail["provider_message_id"] == message.provider_message_id


class ClaimFencingTests:
    def test_a_worker_that_lost_its_claim_changes_nothing(self):
        _, ids = _queued_batch(1)
        real_render = services.dispatch.message_render

        def slow_render(message):
            # Meanwhile the sweeper took the message back and another worker claimed it.
            Message.objects.filter(pk=message.pk).update(
                status=Message.Status.RENDERING, attempts=message.attempts + 1
            )
            return real_render(message)

        with mock.patch("channels.services.dispatch.message_render", slow_render):
            services.messages_send(message_ids=ids)

        message = Message.objects.get(id=ids[0])
        assert (message.status, message.attempts) == ("rendering", 2)
        assert mail.outbox == []
        assert not ArchiveEntry.objects.filter(message=message).exists()

    def test_the_message_id_is_the_same_whoever_computes_it(self):
        _, ids = _queued_batch(1)
        message = Message.objects.get(id=ids[0])
        first = services.dispatch.message_id_for(message)
        assert first == services.dispatch.message_id_for(Message.objects.get(id=ids[0]))
        assert first.startswith("<") and first.endswith(">") and str(message.pk) in first

    def test_the_stored_message_id_is_the_one_sent_and_derived(self):
        _, ids = _queued_batch(3)
        Message.objects.filter(id=ids[0]).update(
            created_at=dt.datetime(2026, 3, 29, 1, 30, 0, 7, tzinfo=dt.UTC)
        )
        services.messages_send(message_ids=ids)
        sent = {m.extra_headers["Message-ID"] for m in mail.outbox}
        for message in Message.objects.filter(id__in=ids):
            assert message.message_id in sent
            assert message.message_id == services.dispatch.message_id_for(
                Message(pk=message.pk, created_at=message.created_at)
            )
        assert Message.objects.get(id=ids[0]).message_id.startswith("<20260329013000000007.")

    def test_a_claim_keeps_a_message_id_stored_by_an_earlier_attempt(self):
        _, ids = _queued_batch(2)
        Message.objects.filter(id=ids[0]).update(message_id="<earlier.attempt@ccm.example.com>")
        services.messages_send(message_ids=ids)
        sent = sorted(m.extra_headers["Message-ID"] for m in mail.outbox)
        derived = services.dispatch.message_id_for(Message(pk=ids[1], created_at=_created(ids[1])))
        assert sent == sorted(["<earlier.attempt@ccm.example.com>", derived])
        assert Message.objects.get(id=ids[0]).message_id == "<earlier.attempt@ccm.example.com>"

    def test_a_message_is_given_up_after_its_last_attempt(self, settings):
        settings.CCM_MAX_ATTEMPTS = 3
        _, ids = _queued_batch(1)
        Message.objects.filter(id=ids[0]).update(attempts=3)
        services.messages_send(message_ids=ids)
        message = Message.objects.get(id=ids[0])
        assert message.status == "failed"
        assert message.last_error == "gave up after 3 attempts"
        assert mail.outbox == []


class SmtpDownTests:
    def test_an_smtp_server_that_refuses_connections_releases_the_chunk(self):
        _, ids = _queued_batch(2)
        with (
            mock.patch.object(LocmemBackend, "open", side_effect=ConnectionRefusedError(111)),
            pytest.raises(DeliveryError) as err,
        ):
            services.messages_send(message_ids=ids)
        assert not err.value.permanent
        for message in Message.objects.filter(id__in=ids):
            assert message.status == "queued" and message.not_before is not None
            assert "SMTP" in message.last_error


def _created(message_id):
    return Message.objects.values_list("created_at", flat=True).get(id=message_id)


def _messages_send_watched(ids, *, send, record):
    """``messages_send`` with each hand-over to the locmem backend going through
    ``send(real_send, backend, messages)`` and each record through ``record(real_record,
    sent)``."""
    real_send = LocmemBackend.send_messages
    real_record = services.dispatch._record_sent
    with (
        mock.patch.object(
            LocmemBackend, "send_messages", lambda backend, m: send(real_send, backend, m)
        ),
        mock.patch.object(
            services.dispatch, "_record_sent", lambda sent: record(real_record, sent)
        ),
    ):
        services.messages_send(message_ids=ids)


class ConcurrentHandOverTests:
    """Emails go out on CCM_EMAIL_CONNECTIONS connections at once, within the window of
    CCM_SENT_RECORD_EVERY messages handed over and not yet recorded."""

    def test_two_connections_send_at_the_same_time(self, settings):
        settings.CCM_EMAIL_CONNECTIONS = 2
        _, ids = _queued_batch(6)
        both_sending = threading.Barrier(2, timeout=5)
        connections = set()
        real_send = LocmemBackend.send_messages

        def send_in_pairs(self, messages):
            connections.add(id(self))
            both_sending.wait()  # breaks (and the send fails) unless two send at once
            return real_send(self, messages)

        with mock.patch.object(LocmemBackend, "send_messages", send_in_pairs):
            services.messages_send(message_ids=ids)

        assert len(connections) == 2
        assert len(mail.outbox) == 6
        assert set(Message.objects.filter(id__in=ids).values_list("status", flat=True)) == {"sent"}

    def test_no_more_than_the_window_is_ever_sent_and_unrecorded(self, settings):
        settings.CCM_EMAIL_CONNECTIONS = 3
        settings.CCM_SENT_RECORD_EVERY = 4
        _, ids = _queued_batch(13)
        counts = {"handed_over": 0, "recorded": 0, "widest": 0}
        lock = threading.Lock()

        def counting_send(real_send, backend, messages):
            with lock:
                counts["handed_over"] += 1
                gap = counts["handed_over"] - counts["recorded"]
                counts["widest"] = max(counts["widest"], gap)
            return real_send(backend, messages)

        def counting_record(real_record, sent):
            real_record(sent)
            with lock:
                counts["recorded"] += len(sent)

        _messages_send_watched(ids, send=counting_send, record=counting_record)

        assert counts["handed_over"] == counts["recorded"] == 13
        assert 1 < counts["widest"] <= 4
        assert set(Message.objects.filter(id__in=ids).values_list("status", flat=True)) == {"sent"}

    def test_the_connections_send_on_while_what_was_sent_is_recorded(self, settings):
        settings.CCM_EMAIL_CONNECTIONS = 2
        settings.CCM_SENT_RECORD_EVERY = 8  # half of it (4) is recorded at a time
        _, ids = _queued_batch(12)
        record_started = threading.Event()
        sent_while_recording = threading.Semaphore(0)
        state = {"sends": 0, "records": 0, "recording": False, "seen": 0}
        lock = threading.Lock()

        def send(real_send, backend, messages):
            with lock:
                state["sends"] += 1
                n = state["sends"]
            if n > 4:  # still on its way when the first four are recorded
                record_started.wait(timeout=5)
            result = real_send(backend, messages)
            if state["recording"]:
                sent_while_recording.release()
            return result

        def record(real_record, sent):
            state["records"] += 1
            if state["records"] == 1:
                state["recording"] = True
                record_started.set()
                # The rest of the window is queued for the sending threads: more than
                # one email per connection goes out while this thread records.
                while state["seen"] < 3 and sent_while_recording.acquire(timeout=5):
                    state["seen"] += 1
                state["recording"] = False
            real_record(sent)

        _messages_send_watched(ids, send=send, record=record)

        assert state["seen"] == 3
        assert set(Message.objects.filter(id__in=ids).values_list("status", flat=True)) == {"sent"}

    def test_after_a_transient_failure_nothing_more_starts_and_nothing_is_left_sending(
        self, settings
    ):
        settings.CCM_EMAIL_CONNECTIONS = 2
        _, ids = _queued_batch(8)
        real_send = LocmemBackend.send_messages
        calls = {"n": 0}
        lock = threading.Lock()

        def fail_third(self, messages):
            with lock:
                calls["n"] += 1
                n = calls["n"]
            if n == 3:
                raise smtplib.SMTPServerDisconnected("connection lost")
            return real_send(self, messages)

        with (
            mock.patch.object(LocmemBackend, "send_messages", fail_third),
            pytest.raises(DeliveryError),
        ):
            services.messages_send(message_ids=ids)

        statuses = dict(Message.objects.filter(id__in=ids).values_list("id", "status"))
        sent = [i for i in ids if statuses[i] == "sent"]
        # The two before the failure, and at most the one on the other connection.
        assert calls["n"] <= 4
        assert len(sent) == len(mail.outbox) == calls["n"] - 1
        for message in Message.objects.filter(id__in=ids).exclude(id__in=sent):
            assert message.status == "queued" and message.not_before is not None
            assert message.events.filter(kind="retry").exists()
