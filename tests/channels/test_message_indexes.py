"""The messages table's indexes serve the queries that need them: PostgreSQL proves the
partial indexes' conditions from those queries."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from channels import services
from channels.models import Message
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import SAMPLE, published_version

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans"),
]


def _analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE channels_message")
        # The table is small: without this, reading it whole is cheapest for any query.
        cursor.execute("SET LOCAL enable_seqscan = off")


@pytest.fixture
def messages():
    version = published_version()
    services.batch_create(
        communication=version.communication,
        rows=[{"email": f"c{n}@example.net", "data": SAMPLE} for n in range(300)],
        created_by=UserFactory(),
    )
    return list(Message.objects.order_by("id"))


def test_the_sweepers_read_claimed_and_due_messages_by_their_partial_indexes(messages):
    _analyze()
    cutoff = timezone.now() - dt.timedelta(minutes=5)
    claimed = Message.objects.filter(status__in=Message.CLAIMED_STATUSES, claimed_at__lt=cutoff)
    due = Message.objects.filter(status=Message.Status.QUEUED, not_before__lte=timezone.now())

    assert "message_claimed" in claimed.explain()
    assert "message_queued_not_before" in due.explain()


def test_provider_events_and_customer_timelines_find_their_messages_by_index(messages):
    _analyze()
    by_provider = Message.objects.filter(provider_message_id="<1.x@ccm.example.com>")

    assert "message_provider_id" in by_provider.explain()
    assert "message_customer" in Message.objects.filter(customer_id=1).explain()
    assert "message_requested_by" in Message.objects.filter(requested_by_id=1).explain()
