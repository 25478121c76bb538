"""messages_send: a chunk claimed, rendered, archived, handed over and recorded."""

import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.utils import timezone

from channels.exceptions import DeliveryError
from channels.models import Batch, DeliveryEvent, Message
from channels.pipeline.claims import message_id_for
from channels.pipeline.send import messages_send
from channels.pipeline.sweepers import messages_release_due
from compliance.models import ArchiveEntry
from compliance.services import artifact_read
from tests.channels.pipeline.chunks import created_at_of, queued_batch

pytestmark = pytest.mark.django_db


class MessagesSendTests:
    def test_a_transient_smtp_failure_puts_unsent_messages_back_in_the_queue(
        self, settings, django_capture_on_commit_callbacks
    ):
        settings.CCM_EMAIL_CONNECTIONS = 1  # one at a time: the order is known
        batch, ids = queued_batch()
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
            messages_send(message_ids=ids)
        assert not err.value.permanent
        statuses = dict(Message.objects.filter(id__in=ids).values_list("id", "status"))
        assert [statuses[i] for i in ids] == ["sent", "queued", "queued"]
        # Each waits for its back-off in the database, not in a Celery countdown.
        for message in Message.objects.filter(id__in=ids[1:]):
            assert message.not_before is not None
            wait = message.not_before - timezone.now()
            assert timedelta(seconds=20) < wait <= timedelta(seconds=30)
            assert message.events.filter(kind="retry").exists()
        messages_send(message_ids=ids)
        assert len(mail.outbox) == 1

        # Once due, the sweep sends the rest, reusing the Message-ID and the archived bytes
        # of the one that failed.
        Message.objects.filter(id__in=ids).update(not_before=timezone.now())
        failed_once = Message.objects.get(id=ids[1])
        archived = artifact_read(entry=ArchiveEntry.objects.get(message_id=ids[1]))
        # The sweep enqueues after commit (``channels.enqueue``), as beat's task commits.
        with django_capture_on_commit_callbacks(execute=True):
            assert messages_release_due() == 2
        assert set(Message.objects.filter(id__in=ids).values_list("status", flat=True)) == {"sent"}
        assert mail.outbox[-2].extra_headers["Message-ID"] == failed_once.message_id
        assert mail.outbox[-2].message().as_bytes(linesep="\r\n") == archived
        assert ArchiveEntry.objects.filter(message_id=ids[1]).count() == 1
        batch.refresh_from_db()
        assert batch.status == Batch.Status.COMPLETED

    def test_a_refused_recipient_fails_only_that_message(self):
        _, ids = queued_batch(2)
        real_send = LocmemBackend.send_messages
        refused = message_id_for(Message(pk=ids[0], created_at=created_at_of(ids[0])))

        def refuse_first(self, messages):
            if messages[0].extra_headers["Message-ID"] == refused:
                raise smtplib.SMTPRecipientsRefused({"x@example.net": (550, b"no such user")})
            return real_send(self, messages)

        with mock.patch.object(LocmemBackend, "send_messages", refuse_first):
            messages_send(message_ids=ids)
        first, second = Message.objects.filter(id__in=ids).order_by("id")
        assert first.status == "failed" and "recipient refused" in first.last_error
        assert second.status == "sent"
        assert DeliveryEvent.objects.filter(message=first, kind="failed").exists()

    def test_messages_already_claimed_or_done_are_left_alone(self):
        _, ids = queued_batch(2)
        Message.objects.filter(id=ids[0]).update(
            status=Message.Status.SENDING, claimed_at=timezone.now()
        )
        messages_send(message_ids=ids)
        assert len(mail.outbox) == 1
        messages_send(message_ids=ids)
        assert len(mail.outbox) == 1

    def test_a_render_error_fails_the_message_with_the_reason(self):
        _, ids = queued_batch(1)
        Message.objects.filter(id=ids[0]).update(data={"first_name": "A"})
        messages_send(message_ids=ids)
        message = Message.objects.get(id=ids[0])
        assert message.status == "failed" and "amount" in message.last_error


class ProviderIdTests:
    def test_each_sms_records_the_id_its_provider_gave_it(self):
        _, ids = queued_batch(3, preference=("sms",))
        messages_send(message_ids=ids)
        messages = list(Message.objects.filter(id__in=ids))
        assert [m.status for m in messages] == ["sent"] * 3
        for message in messages:
            assert message.provider_message_id == f"locmem-{message.message_id}"
            event = message.events.get(kind=DeliveryEvent.Kind.SENT)
            assert event.detail["provider_message_id"] == message.provider_message_id
