import datetime as dt
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from channels import services
from channels.backends.sms import locmem as sms_outbox
from channels.models import DeliveryEvent, Message
from channels.pipeline.sweepers import messages_release_due
from channels.services.pacing import quiet_until
from customers.services import consent_set
from tests.factories.ccm import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import SAMPLE, CommunicationFactory, published_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """Runs a sweeper as beat's task does: what it enqueues goes once it has committed
    (``channels.enqueue``)."""

    def run(sweeper):
        with django_capture_on_commit_callbacks(execute=True):
            return sweeper()

    return run


QUIET = {"start": "21:00", "end": "08:00", "channels": ["sms"]}


class QuietHoursTests:
    def test_the_window_is_read_in_the_recipients_time_zone(self, settings):
        settings.CCM_QUIET_HOURS = QUIET
        # 13:30 UTC is 22:30 in Tokyo: quiet until 08:00 Tokyo = 23:00 UTC.
        now = dt.datetime(2026, 11, 23, 13, 30, tzinfo=dt.UTC)
        assert quiet_until(channel="sms", tz_name="Asia/Tokyo", now=now) == dt.datetime(
            2026, 11, 23, 23, 0, tzinfo=dt.UTC
        )
        assert quiet_until(channel="sms", tz_name="Europe/London", now=now) is None
        assert quiet_until(channel="email", tz_name="Asia/Tokyo", now=now) is None
        # 02:00 in London: quiet until 08:00 the same day.
        night = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
        assert quiet_until(channel="sms", tz_name="Europe/London", now=night) == dt.datetime(
            2026, 11, 23, 8, 0, tzinfo=dt.UTC
        )

    def test_a_batch_sms_waits_for_the_morning_and_then_goes(
        self, sweep, settings, django_capture_on_commit_callbacks
    ):
        settings.CCM_QUIET_HOURS = QUIET
        version = published_version()
        night_owl = CustomerFactory(channel_preference=["sms"], timezone="Asia/Tokyo")
        late_evening = dt.datetime(2026, 11, 23, 13, 30, tzinfo=dt.UTC)
        with (
            mock.patch("django.utils.timezone.now", return_value=late_evening),
            django_capture_on_commit_callbacks(execute=True),
        ):
            batch = services.batch_create(
                communication=version.communication,
                rows=[{"customer_id": night_owl.external_id, "data": SAMPLE}],
                created_by=UserFactory(),
            )
        message = Message.objects.get(batch=batch)
        assert message.status == "queued"
        assert message.not_before == dt.datetime(2026, 11, 23, 23, 0, tzinfo=dt.UTC)
        assert DeliveryEvent.objects.filter(message=message, kind="deferred").exists()
        assert not sms_outbox.outbox
        morning = dt.datetime(2026, 11, 23, 23, 1, tzinfo=dt.UTC)
        with mock.patch("django.utils.timezone.now", return_value=morning):
            assert sweep(messages_release_due) == 1
        message.refresh_from_db()
        assert message.status == "sent" and len(sms_outbox.outbox) == 1


class ScheduledSendTests:
    def test_nothing_goes_before_send_at(self, sweep, django_capture_on_commit_callbacks):
        version = published_version()
        customer = CustomerFactory(channel_preference=["email"])
        later = timezone.now() + dt.timedelta(hours=2)
        with django_capture_on_commit_callbacks(execute=True):
            batch = services.batch_create(
                communication=version.communication,
                rows=[{"customer_id": customer.external_id, "data": SAMPLE}],
                created_by=UserFactory(),
                send_at=later,
            )
        assert not mail.outbox
        assert sweep(messages_release_due) == 0
        with mock.patch("django.utils.timezone.now", return_value=later + dt.timedelta(seconds=1)):
            assert sweep(messages_release_due) == 1
        assert len(mail.outbox) == 1
        batch.refresh_from_db()
        assert batch.status == "completed"


class FrequencyCapTests:
    def test_marketing_beyond_the_cap_is_suppressed(
        self, settings, django_capture_on_commit_callbacks
    ):
        settings.CCM_MARKETING_CAP_MESSAGES = 2
        version = published_version(communication=CommunicationFactory(category="marketing"))
        customer = CustomerFactory(channel_preference=["email"])
        consent_set(customer=customer, category="marketing", granted=True)
        rows = [{"customer_id": customer.external_id, "data": SAMPLE}] * 3
        with django_capture_on_commit_callbacks(execute=True):
            services.batch_create(
                communication=version.communication, rows=rows, created_by=UserFactory()
            )
        assert len(mail.outbox) == 2
        capped = Message.objects.get(status="suppressed")
        assert capped.last_error == "frequency cap: 2 marketing messages in 7 days"
