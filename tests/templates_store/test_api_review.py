"""The review and publishing API (templates_store/api_review.py): four eyes, each step
refuses the wrong role."""

import datetime as dt

import pytest
from django.utils import timezone

from templates_store.models import ReviewEvent, TemplateVersion
from tests.factories.ccm import UserFactory
from tests.templates_store.studio_api import BASE, V1, api_client

pytestmark = pytest.mark.django_db
Status = TemplateVersion.Status


class ReviewApiTests:
    def test_submit_refuses_lint_errors_and_names_them(self, designer_api, draft):
        designer_api.put(f"{V1}/variants/sms/en", {"body_text": "Hi {{ nickname }}"}, format="json")
        response = designer_api.post(f"{V1}/submit")
        assert response.status_code == 400
        assert "nickname" in str(response.data)

    def test_the_author_can_never_approve_even_with_the_approver_role(self, designer, submitted):
        designer.groups.add(*UserFactory(roles=["approver"]).groups.all())
        response = api_client(designer).post(f"{V1}/approve", {}, format="json")
        assert response.status_code == 403
        assert "own work" in response.data["detail"]
        submitted.refresh_from_db()
        assert submitted.status == Status.IN_REVIEW

    def test_a_designer_without_the_approver_role_is_refused(self, submitted):
        other_designer = api_client(UserFactory(roles=["designer"]))
        assert other_designer.post(f"{V1}/approve", {}, format="json").status_code == 403
        assert other_designer.post(f"{V1}/reject", {}, format="json").status_code == 403
        assert other_designer.post(f"{V1}/publish", {}, format="json").status_code == 403

    def test_an_approver_may_not_submit(self, approver_api, draft):
        assert approver_api.post(f"{V1}/submit").status_code == 403

    def test_reject_needs_a_comment_and_returns_to_draft(self, approver_api, submitted):
        assert approver_api.post(f"{V1}/reject", {}, format="json").status_code == 400
        response = approver_api.post(f"{V1}/reject", {"comment": "Wrong date"}, format="json")
        assert response.status_code == 200
        assert response.data["status"] == "draft"
        assert response.data["events"][-1]["comment"] == "Wrong date"

    def test_approve_then_publish_records_the_trail(self, approver_api, approved_v1):
        response = approver_api.post(f"{V1}/publish", {}, format="json")
        assert response.status_code == 200, response.data
        assert response.data["status"] == "published"
        assert [e["action"] for e in response.data["events"]] == [
            "created",
            "submitted",
            "approved",
            "published",
        ]


class PublishingApiTests:
    def test_publish_with_an_effective_date_schedules(self, approver_api, approved_v1):
        when = (timezone.now() + dt.timedelta(days=3)).replace(microsecond=0)
        response = approver_api.post(
            f"{V1}/publish", {"publish_at": when.isoformat()}, format="json"
        )
        assert response.status_code == 200, response.data
        assert response.data["status"] == "approved"
        assert response.data["publish_at"] is not None
        assert response.data["events"][-1]["action"] == ReviewEvent.Action.SCHEDULED
        response = approver_api.post(f"{V1}/unschedule")
        assert response.status_code == 200 and response.data["publish_at"] is None
        assert approver_api.post(f"{V1}/unschedule").status_code == 400

    def test_a_date_without_offset_is_refused(self, approver_api, approved_v1, settings):
        settings.USE_TZ = True
        response = approver_api.post(f"{V1}/publish", {"publish_at": "not a date"}, format="json")
        assert response.status_code == 400 and "publish_at" in response.data

    def test_roll_back_and_retire(self, approver_api, designer_api, approver, approved_v1):
        approver_api.post(f"{V1}/publish", {}, format="json")
        designer_api.post(f"{BASE}/versions")
        assert designer_api.post(f"{BASE}/versions/2/submit").status_code == 200
        approver_api.post(f"{BASE}/versions/2/approve", {}, format="json")
        approver_api.post(f"{BASE}/versions/2/publish", {}, format="json")

        assert (
            approver_api.post(f"{BASE}/versions/2/rollback", {}, format="json").status_code == 400
        )
        response = approver_api.post(f"{V1}/rollback", {"comment": "v2 is wrong"}, format="json")
        assert response.status_code == 200, response.data
        assert response.data["status"] == "published"
        assert response.data["events"][-1]["action"] == "rolled_back"
        assert approver_api.get(f"{BASE}/versions/2").data["status"] == "retired"

        response = approver_api.post(f"{V1}/retire", {}, format="json")
        assert response.status_code == 200 and response.data["status"] == "retired"

    def test_a_designer_may_not_publish_retire_or_roll_back(self, designer_api, approved_v1):
        for step in ("publish", "retire", "rollback", "unschedule"):
            assert designer_api.post(f"{V1}/{step}", {}, format="json").status_code == 403
