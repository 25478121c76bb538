"""Hand-over: connections at once, the record window, a transient failure."""

import smtplib
import threading
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

from channels.exceptions import DeliveryError
from channels.models import Message
from channels.pipeline.send import messages_send
from tests.channels.pipeline.chunks import messages_send_watched, queued_batch

pytestmark = pytest.mark.django_db


class SmtpDownTests:
    def test_an_smtp_server_that_refuses_connections_releases_the_chunk(self):
        _, ids = queued_batch(2)
        with (
            mock.patch.object(LocmemBackend, "open", side_effect=ConnectionRefusedError(111)),
            pytest.raises(DeliveryError) as err,
        ):
            messages_send(message_ids=ids)
        assert not err.value.permanent
        for message in Message.objects.filter(id__in=ids):
            assert message.status == "queued" and message.not_before is not None
            assert "SMTP" in message.last_error


class ConcurrentHandOverTests:
    """Emails go out on CCM_EMAIL_CONNECTIONS connections at once, within the window of
    CCM_SENT_RECORD_EVERY messages handed over and not yet recorded."""

    def test_two_connections_send_at_the_same_time(self, settings):
        settings.CCM_EMAIL_CONNECTIONS = 2
        _, ids = queued_batch(6)
        both_sending = threading.Barrier(2, timeout=5)
        connections = set()
        real_send = LocmemBackend.send_messages

        def send_in_pairs(self, messages):
            connections.add(id(self))
            both_sending.wait()  # breaks (and the send fails) unless two send at once
            return real_send(self, messages)

        with mock.patch.object(LocmemBackend, "send_messages", send_in_pairs):
            messages_send(message_ids=ids)

        assert len(connections) == 2
        assert len(mail.outbox) == 6
        assert set(Message.objects.filter(id__in=ids).values_list("status", flat=True)) == {"sent"}

    def test_no_more_than_the_window_is_ever_sent_and_unrecorded(self, settings):
        settings.CCM_EMAIL_CONNECTIONS = 3
        settings.CCM_SENT_RECORD_EVERY = 4
        _, ids = queued_batch(13)
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

        messages_send_watched(ids, send=counting_send, record=counting_record)

        assert counts["handed_over"] == counts["recorded"] == 13
        assert 1 < counts["widest"] <= 4
        assert set(Message.objects.filter(id__in=ids).values_list("status", flat=True)) == {"sent"}

    def test_the_connections_send_on_while_what_was_sent_is_recorded(self, settings):
        settings.CCM_EMAIL_CONNECTIONS = 2
        settings.CCM_SENT_RECORD_EVERY = 8  # half of it (4) is recorded at a time
        _, ids = queued_batch(12)
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

        messages_send_watched(ids, send=send, record=record)

        assert state["seen"] == 3
        assert set(Message.objects.filter(id__in=ids).values_list("status", flat=True)) == {"sent"}

    def test_after_a_transient_failure_nothing_more_starts_and_nothing_is_left_sending(
        self, settings
    ):
        settings.CCM_EMAIL_CONNECTIONS = 2
        _, ids = queued_batch(8)
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
            messages_send(message_ids=ids)

        statuses = dict(Message.objects.filter(id__in=ids).values_list("id", "status"))
        sent = [i for i in ids if statuses[i] == "sent"]
        # The two before the failure, and at most the one on the other connection.
        assert calls["n"] <= 4
        assert len(sent) == len(mail.outbox) == calls["n"] - 1
        for message in Message.objects.filter(id__in=ids).exclude(id__in=sent):
            assert message.status == "queued" and message.not_before is not None
            assert message.events.filter(kind="retry").exists()
