"""The studio's communications API (templates_store/api.py) and the OpenAPI schema of the
studio's endpoints."""

import pytest

from templates_store.models import Communication
from tests.factories.templates_store import PAYMENT_SCHEMA, BrandFactory
from tests.templates_store.studio_api import BASE

pytestmark = pytest.mark.django_db


class CommunicationApiTests:
    def test_a_designer_creates_a_communication_with_a_draft(self, designer_api):
        BrandFactory()
        body = {
            "key": "welcome",
            "name": "Welcome",
            "category": "transactional",
            "purpose": "notify",
            "brand": "Acme Energy",
            "data_schema": PAYMENT_SCHEMA,
        }
        response = designer_api.post("/api/communications", body, format="json")
        assert response.status_code == 201, response.data
        assert response.data["key"] == "welcome"
        assert [v["status"] for v in response.data["versions"]] == ["draft"]

    def test_the_sms_sender_and_letter_envelope_are_set_and_checked(self, designer_api, draft):
        response = designer_api.patch(
            f"/api/communications/{draft.communication.key}",
            {"sms_sender": "AcmeAlerts", "letter_envelope": "us_10"},
            format="json",
        )
        assert response.status_code == 200, response.data
        assert (response.data["sms_sender"], response.data["letter_envelope"]) == (
            "AcmeAlerts",
            "us_10",
        )
        response = designer_api.patch(
            f"/api/communications/{draft.communication.key}",
            {"sms_sender": "Far too long a sender", "letter_envelope": "c4"},
            format="json",
        )
        assert response.status_code == 400
        assert {"sms_sender", "letter_envelope"} <= set(response.data)

    def test_the_length_limits_set_are_read_back(self, designer_api, draft):
        url = f"/api/communications/{draft.communication.key}"

        response = designer_api.patch(
            url, {"sms_max_segments": 2, "letter_max_pages": 6}, format="json"
        )

        assert response.status_code == 200, response.data
        for read in (
            response.data,
            designer_api.get(url).data,
            designer_api.get("/api/communications").data[0],
        ):
            assert (read["sms_max_segments"], read["letter_max_pages"]) == (2, 6)

    def test_bad_fields_are_named(self, designer_api, draft):
        response = designer_api.post(
            "/api/communications",
            {
                "key": "reminder",
                "name": "Again",
                "category": "nope",
                "brand": "Unknown brand",
                "data_schema": {"type": "nonsense"},
            },
            format="json",
        )
        assert response.status_code == 400
        assert {"category", "brand"} <= set(response.data)
        response = designer_api.post(
            "/api/communications",
            {
                "key": "reminder",
                "name": "Again",
                "category": "transactional",
                "brand": "Acme Energy",
                "data_schema": {"type": "nonsense"},
            },
            format="json",
        )
        assert response.status_code == 400
        assert "data_schema" in response.data

    def test_patch_changes_fields_but_never_the_key(self, designer_api, draft):
        response = designer_api.patch(BASE, {"owner_team": "Collections"}, format="json")
        assert response.status_code == 200, response.data
        assert response.data["owner_team"] == "Collections"
        response = designer_api.patch(BASE, {"key": "other"}, format="json")
        assert response.status_code == 400 and "key" in response.data

    def test_schema_is_read_and_replaced(self, designer_api, draft):
        assert designer_api.get(f"{BASE}/schema").data == PAYMENT_SCHEMA
        schema = {**PAYMENT_SCHEMA, "required": ["first_name"]}
        response = designer_api.put(f"{BASE}/schema", schema, format="json")
        assert response.status_code == 200
        assert Communication.objects.get(key="reminder").data_schema == schema
        response = designer_api.put(f"{BASE}/schema", {"type": 5}, format="json")
        assert response.status_code == 400 and "data_schema" in response.data

    def test_an_operator_may_read_but_not_write(self, operator_api, draft):
        assert operator_api.get(BASE).status_code == 200
        assert operator_api.patch(BASE, {"name": "x"}, format="json").status_code == 403
        assert operator_api.put(f"{BASE}/schema", {}, format="json").status_code == 403
        assert operator_api.post("/api/communications", {}, format="json").status_code == 403


def test_the_openapi_schema_is_valid_and_documents_the_studio():
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    paths = schema["paths"]
    for path in (
        "/api/communications/{key}/versions/{number}/approve",
        "/api/communications/{key}/versions/{number}/publish",
        "/api/communications/{key}/versions/{number}/variants/{channel}/{locale}",
        "/api/communication-imports",
    ):
        assert path in paths
    assert "publish_at" in str(paths["/api/communications/{key}/versions/{number}/publish"])


def test_the_openapi_schema_documents_the_data_schema_a_reader_can_get():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    answer = schema["paths"]["/api/communications/{key}/schema"]["get"]["responses"]["200"]
    assert "JSON Schema" in answer["description"]
    content = answer["content"]["application/json"]
    assert content["schema"]["type"] == "object"
    assert content["examples"]
