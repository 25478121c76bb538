"""The review page's publish form (templates_store/publishing_views.py), optionally from a
date in the approver's time zone."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from templates_store import services
from templates_store.models import ReviewEvent, TemplateVersion
from tests.templates_store.studio_pages import flashes, url

pytestmark = pytest.mark.django_db


Status = TemplateVersion.Status


@pytest.fixture
def approved(draft, designer, approver):
    services.version_submit(version=draft, actor=designer)
    return services.version_approve(version=draft, actor=approver)


class PublishFormTests:
    def test_the_review_page_offers_a_date_in_the_browser_time_zone(
        self, client, approver, approved
    ):
        client.force_login(approver)
        html = client.get(url("review_detail", approved.pk)).content.decode()
        assert 'type="datetime-local" name="publish_at"' in html
        assert 'name="timezone"' in html and "data-browser-timezone" in html

    def test_a_date_is_read_in_the_given_time_zone_and_schedules(self, client, approver, approved):
        client.force_login(approver)
        tokyo = ZoneInfo("Asia/Tokyo")
        local = (
            (timezone.now() + dt.timedelta(days=2))
            .astimezone(tokyo)
            .replace(second=0, microsecond=0)
        )
        response = client.post(
            url("version_publish", approved.pk),
            {"publish_at": local.strftime("%Y-%m-%dT%H:%M"), "timezone": "Asia/Tokyo"},
        )
        assert response["Location"] == url("review_detail", approved.pk)
        approved.refresh_from_db()
        assert approved.status == Status.APPROVED
        assert approved.publish_at == local
        assert any("will be published" in m and "JST" in m for m in flashes(response))
        page = client.get(url("review_detail", approved.pk)).content.decode()
        assert url("version_unschedule", approved.pk) in page
        page = client.get(url("communication_detail", approved.communication_id))
        assert 'class="badge scheduled"' in page.content.decode()

        response = client.post(url("version_unschedule", approved.pk))
        approved.refresh_from_db()
        assert approved.publish_at is None
        assert approved.events.last().action == ReviewEvent.Action.UNSCHEDULED

    def test_without_a_date_it_publishes_at_once(self, client, approver, approved):
        client.force_login(approver)
        response = client.post(url("version_publish", approved.pk), {"timezone": "Europe/London"})
        assert response["Location"] == url("communication_detail", approved.communication_id)
        approved.refresh_from_db()
        assert approved.status == Status.PUBLISHED

    def test_an_unknown_time_zone_is_named(self, client, approver, approved):
        client.force_login(approver)
        response = client.post(
            url("version_publish", approved.pk),
            {"publish_at": "2030-01-01T09:00", "timezone": "Mars/Olympus"},
        )
        assert any("Mars/Olympus" in m for m in flashes(response))
        approved.refresh_from_db()
        assert approved.status == Status.APPROVED and approved.publish_at is None

    def test_designers_may_not_publish_or_unschedule(self, client, designer, approved):
        client.force_login(designer)
        assert client.post(url("version_publish", approved.pk)).status_code == 403
        assert client.post(url("version_unschedule", approved.pk)).status_code == 403
