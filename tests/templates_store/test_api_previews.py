"""The lint and preview API (templates_store/api_previews.py)."""

import pytest

from tests.factories.templates_store import SAMPLE
from tests.templates_store.studio_api import V1

pytestmark = pytest.mark.django_db


class PreviewApiTests:
    def test_lint_names_the_problem(self, designer_api, draft):
        designer_api.put(f"{V1}/variants/sms/en", {"body_text": "Hi {{ nickname }}"}, format="json")
        response = designer_api.get(f"{V1}/lint")
        assert response.status_code == 200
        assert response.data["error_count"] >= 1
        issue = next(i for i in response.data["issues"] if "nickname" in i["message"])
        assert (issue["channel"], issue["locale"], issue["level"]) == ("sms", "en", "error")

    def test_preview_renders_every_channel_like_sending(self, designer_api, draft):
        response = designer_api.get(f"{V1}/preview?locale=ja")
        assert response.status_code == 200
        by_channel = {p["channel"]: p for p in response.data}
        assert by_channel["sms"]["rendered"]["sms"]["encoding"] == "UCS-2"
        assert "Alex" in by_channel["email"]["rendered"]["html"]
        response = designer_api.post(
            f"{V1}/preview",
            {"locale": "en", "sample_data": {**SAMPLE, "first_name": "Hana"}},
            format="json",
        )
        assert "Hana" in {p["channel"]: p for p in response.data}["sms"]["rendered"]["text"]
        response = designer_api.post(
            f"{V1}/preview", {"locale": "en", "sample_data": {}}, format="json"
        )
        errors = {p["channel"]: p["error"] for p in response.data}
        assert errors["sms"] == {
            "message": "'first_name' is undefined",
            "field": "body_text",
            "line": 1,
        }
        pdf = designer_api.get(f"{V1}/preview/letter.pdf?locale=en")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
