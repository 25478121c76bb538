"""Claims: the fence on every write, the Message-ID every worker derives alike."""

import datetime as dt
from unittest import mock

import pytest
from django.core import mail

from channels.models import Message
from channels.pipeline.claims import message_id_for
from channels.pipeline.send import messages_send
from channels.senders.base import message_render
from compliance.models import ArchiveEntry
from tests.channels.pipeline.chunks import created_at_of, queued_batch

pytestmark = pytest.mark.django_db


class ClaimFencingTests:
    def test_a_worker_that_lost_its_claim_changes_nothing(self):
        _, ids = queued_batch(1)
        real_render = message_render

        def slow_render(message):
            # Meanwhile the sweeper took the message back and another worker claimed it.
            Message.objects.filter(pk=message.pk).update(
                status=Message.Status.RENDERING, attempts=message.attempts + 1
            )
            return real_render(message)

        with mock.patch("channels.senders.base.message_render", slow_render):
            messages_send(message_ids=ids)

        message = Message.objects.get(id=ids[0])
        assert (message.status, message.attempts) == ("rendering", 2)
        assert mail.outbox == []
        assert not ArchiveEntry.objects.filter(message=message).exists()

    def test_the_message_id_is_the_same_whoever_computes_it(self):
        _, ids = queued_batch(1)
        message = Message.objects.get(id=ids[0])
        first = message_id_for(message)
        assert first == message_id_for(Message.objects.get(id=ids[0]))
        assert first.startswith("<") and first.endswith(">") and str(message.pk) in first

    def test_the_stored_message_id_is_the_one_sent_and_derived(self):
        _, ids = queued_batch(3)
        Message.objects.filter(id=ids[0]).update(
            created_at=dt.datetime(2026, 3, 29, 1, 30, 0, 7, tzinfo=dt.UTC)
        )
        messages_send(message_ids=ids)
        sent = {m.extra_headers["Message-ID"] for m in mail.outbox}
        for message in Message.objects.filter(id__in=ids):
            assert message.message_id in sent
            assert message.message_id == message_id_for(
                Message(pk=message.pk, created_at=message.created_at)
            )
        assert Message.objects.get(id=ids[0]).message_id.startswith("<20260329013000000007.")

    def test_a_claim_keeps_a_message_id_stored_by_an_earlier_attempt(self):
        _, ids = queued_batch(2)
        Message.objects.filter(id=ids[0]).update(message_id="<earlier.attempt@ccm.example.com>")
        messages_send(message_ids=ids)
        sent = sorted(m.extra_headers["Message-ID"] for m in mail.outbox)
        derived = message_id_for(Message(pk=ids[1], created_at=created_at_of(ids[1])))
        assert sent == sorted(["<earlier.attempt@ccm.example.com>", derived])
        assert Message.objects.get(id=ids[0]).message_id == "<earlier.attempt@ccm.example.com>"

    def test_a_message_is_given_up_after_its_last_attempt(self, settings):
        settings.CCM_MAX_ATTEMPTS = 3
        _, ids = queued_batch(1)
        Message.objects.filter(id=ids[0]).update(attempts=3)
        messages_send(message_ids=ids)
        message = Message.objects.get(id=ids[0])
        assert message.status == "failed"
        assert message.last_error == "gave up after 3 attempts"
        assert mail.outbox == []
