"""Scheduled publishing, roll back and retire (templates_store.services)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from channels.services import batch_create
from templates_store import selectors, services, tasks
from templates_store.models import ReviewEvent, TemplateVersion
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import SAMPLE

pytestmark = pytest.mark.django_db
Status = TemplateVersion.Status
Action = ReviewEvent.Action


@pytest.fixture
def approver():
    return UserFactory(roles=["approver"])


@pytest.fixture
def approved(draft, approver):
    """Version 2, submitted and approved, while version 1 (``draft``) is published."""
    services.version_submit(version=draft, actor=draft.author)
    services.version_approve(version=draft, actor=approver)
    services.version_publish(version=draft, actor=approver)
    v2 = services.version_create(communication=draft.communication, author=draft.author)
    services.version_submit(version=v2, actor=draft.author)
    return services.version_approve(version=v2, actor=approver)


def _actions(version):
    return [e.action for e in version.events.order_by("at", "id")]


class ScheduledPublishingTests:
    def test_a_future_date_schedules_and_the_selector_switches_at_that_time(
        self, approved, approver
    ):
        when = timezone.now() + dt.timedelta(days=2)
        services.version_publish(version=approved, actor=approver, publish_at=when)
        approved.refresh_from_db()
        assert approved.status == Status.APPROVED
        assert approved.publish_at == when
        assert _actions(approved)[-1] == Action.SCHEDULED
        communication = approved.communication
        before = selectors.version_published(communication=communication)
        assert before.number == 1
        after = selectors.version_published(
            communication=communication, at=when + dt.timedelta(seconds=1)
        )
        assert after.pk == approved.pk

    def test_the_beat_task_records_the_publication_when_the_date_passes(self, approved, approver):
        when = timezone.now() + dt.timedelta(hours=1)
        services.version_publish(version=approved, actor=approver, publish_at=when)
        assert services.versions_publish_due() == []  # not yet
        published = services.versions_publish_due(now=when + dt.timedelta(minutes=1))
        assert [v.pk for v in published] == [approved.pk]
        approved.refresh_from_db()
        assert approved.status == Status.PUBLISHED
        assert approved.published_at == when
        assert approved.publish_at is None
        event = approved.events.order_by("at", "id").last()
        assert (event.action, event.actor) == (Action.PUBLISHED, approver)
        assert when.isoformat() in event.comment
        previous = approved.communication.versions.get(number=1)
        assert previous.status == Status.RETIRED
        assert _actions(previous)[-1] == Action.RETIRED
        # Running again changes nothing.
        assert services.versions_publish_due(now=when + dt.timedelta(minutes=2)) == []

    def test_a_batch_accepted_after_the_effective_time_pins_the_scheduled_version(
        self, approved, approver
    ):
        services.version_publish(
            version=approved, actor=approver, publish_at=timezone.now() + dt.timedelta(hours=1)
        )
        TemplateVersion.objects.filter(pk=approved.pk).update(
            publish_at=timezone.now() - dt.timedelta(seconds=1)
        )
        batch = batch_create(
            communication=approved.communication,
            rows=[{"name": "A", "email": "a@example.com", "data": SAMPLE}],
            created_by=UserFactory(roles=["operator"]),
        )
        assert batch.version_id == approved.pk

    def test_the_task_runs_the_service(self, approved, approver):
        services.version_publish(
            version=approved, actor=approver, publish_at=timezone.now() + dt.timedelta(hours=1)
        )
        TemplateVersion.objects.filter(pk=approved.pk).update(
            publish_at=timezone.now() - dt.timedelta(seconds=1)
        )
        tasks.versions_publish_due()
        approved.refresh_from_db()
        assert approved.status == Status.PUBLISHED

    def test_a_past_or_absent_date_publishes_at_once(self, approved, approver):
        services.version_publish(
            version=approved, actor=approver, publish_at=timezone.now() - dt.timedelta(hours=1)
        )
        approved.refresh_from_db()
        assert approved.status == Status.PUBLISHED
        assert _actions(approved)[-1] == Action.PUBLISHED

    def test_a_naive_date_is_refused(self, approved, approver):
        with pytest.raises(ValidationError, match="time zone"):
            services.version_publish(
                version=approved, actor=approver, publish_at=dt.datetime(2030, 1, 1, 9, 0)
            )

    def test_a_schedule_can_be_cancelled(self, approved, approver):
        when = timezone.now() + dt.timedelta(days=1)
        services.version_publish(version=approved, actor=approver, publish_at=when)
        services.version_unschedule(version=approved, actor=approver)
        approved.refresh_from_db()
        assert approved.publish_at is None
        assert _actions(approved)[-1] == Action.UNSCHEDULED
        assert services.versions_publish_due(now=when + dt.timedelta(hours=1)) == []
        with pytest.raises(ValidationError):
            services.version_unschedule(version=approved, actor=approver)

    def test_a_draft_cannot_be_scheduled(self, draft, approver):
        with pytest.raises(ValidationError):
            services.version_publish(
                version=draft, actor=approver, publish_at=timezone.now() + dt.timedelta(days=1)
            )
        draft.refresh_from_db()
        assert draft.publish_at is None


class RollbackAndRetireTests:
    def test_roll_back_republishes_the_earlier_version_as_its_own_step(self, approved, approver):
        services.version_publish(version=approved, actor=approver)
        v1 = approved.communication.versions.get(number=1)
        services.version_rollback(version=v1, actor=approver, comment="v2 wording is wrong")
        v1.refresh_from_db()
        approved.refresh_from_db()
        assert (v1.status, approved.status) == (Status.PUBLISHED, Status.RETIRED)
        last = v1.events.order_by("at", "id").last()
        assert (last.action, last.comment) == (Action.ROLLED_BACK, "v2 wording is wrong")
        assert selectors.version_published(communication=v1.communication).pk == v1.pk

    def test_roll_back_needs_a_later_published_version(self, approved, approver):
        with pytest.raises(ValidationError, match="older than the published"):
            services.version_rollback(version=approved, actor=approver)

    def test_retire_leaves_nothing_published(self, approved, approver):
        v1 = approved.communication.versions.get(number=1)
        services.version_retire(version=v1, actor=approver)
        v1.refresh_from_db()
        assert v1.status == Status.RETIRED
        assert selectors.version_published(communication=v1.communication) is None
        with pytest.raises(ValidationError):
            services.version_retire(version=v1, actor=approver)
