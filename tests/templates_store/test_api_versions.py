"""The drafts API (templates_store/api_versions.py): versions, content, who may edit."""

import pytest

from tests.factories.templates_store import SAMPLE
from tests.templates_store.studio_api import BASE, V1

pytestmark = pytest.mark.django_db


class DraftApiTests:
    def test_a_designer_edits_a_draft(self, designer_api, draft):
        response = designer_api.put(
            f"{V1}/variants/sms/en", {"body_text": "Hi {{ first_name }}"}, format="json"
        )
        assert response.status_code == 200, response.data
        assert draft.variants.get(channel="sms", locale="en").body_text == "Hi {{ first_name }}"
        response = designer_api.put(f"{V1}/sample-data", {**SAMPLE, "x": 1}, format="json")
        assert response.status_code == 200
        draft.refresh_from_db()
        assert draft.sample_data["x"] == 1
        assert designer_api.delete(f"{V1}/variants/sms/ja").status_code == 204
        assert not draft.variants.filter(channel="sms", locale="ja").exists()
        assert designer_api.get(f"{V1}/variants/sms/ja").status_code == 404

    def test_fields_a_channel_lacks_and_unknown_channels_are_refused(self, designer_api, draft):
        response = designer_api.put(f"{V1}/variants/sms/en", {"subject": "x"}, format="json")
        assert response.status_code == 400 and "subject" in response.data
        response = designer_api.put(f"{V1}/variants/fax/en", {"body_text": "x"}, format="json")
        assert response.status_code == 400 and "channel" in response.data
        response = designer_api.put(f"{V1}/variants/sms/fr", {"body_text": "x"}, format="json")
        assert response.status_code == 400 and "locale" in response.data

    def test_a_new_draft_is_created_and_a_submitted_version_cannot_change(
        self, designer_api, submitted
    ):
        response = designer_api.put(f"{V1}/variants/sms/en", {"body_text": "x"}, format="json")
        assert response.status_code == 400
        response = designer_api.post(f"{BASE}/versions")
        assert response.status_code == 201
        assert (response.data["number"], response.data["status"]) == (2, "draft")

    def test_an_approver_may_not_edit_and_an_operator_may_not_see_versions(
        self, approver_api, operator_api, draft
    ):
        assert (
            approver_api.put(f"{V1}/variants/sms/en", {"body_text": "x"}, format="json").status_code
            == 403
        )
        assert approver_api.post(f"{BASE}/versions").status_code == 403
        assert operator_api.get(V1).status_code == 403
        assert operator_api.get(f"{V1}/preview").status_code == 403
