"""The studio's write API: communications, drafts, content, lint, preview, review (four
eyes), publishing, export and import; each endpoint refuses the wrong role."""

import datetime as dt
import io
import zipfile

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from ccm.services import api_token_create
from templates_store.models import Communication, ReviewEvent, TemplateVersion
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import PAYMENT_SCHEMA, SAMPLE, BrandFactory

pytestmark = pytest.mark.django_db
Status = TemplateVersion.Status
BASE = "/api/communications/reminder"
V1 = f"{BASE}/versions/1"


def _client(user):
    _, key = api_token_create(user=user, name="studio")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def designer_api(designer):
    return _client(designer)


@pytest.fixture
def approver_api(approver):
    return _client(approver)


@pytest.fixture
def operator_api():
    return _client(UserFactory(roles=["operator"]))


@pytest.fixture
def submitted(draft, designer_api):
    response = designer_api.post(f"{V1}/submit")
    assert response.status_code == 200, response.data
    return draft


@pytest.fixture
def approved_v1(submitted, approver_api):
    response = approver_api.post(f"{V1}/approve", {"comment": "Fine"}, format="json")
    assert response.status_code == 200, response.data
    return submitted


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


class ReviewApiTests:
    def test_submit_refuses_lint_errors_and_names_them(self, designer_api, draft):
        designer_api.put(f"{V1}/variants/sms/en", {"body_text": "Hi {{ nickname }}"}, format="json")
        response = designer_api.post(f"{V1}/submit")
        assert response.status_code == 400
        assert "nickname" in str(response.data)

    def test_the_author_can_never_approve_even_with_the_approver_role(self, designer, submitted):
        designer.groups.add(*UserFactory(roles=["approver"]).groups.all())
        response = _client(designer).post(f"{V1}/approve", {}, format="json")
        assert response.status_code == 403
        assert "own work" in response.data["detail"]
        submitted.refresh_from_db()
        assert submitted.status == Status.IN_REVIEW

    def test_a_designer_without_the_approver_role_is_refused(self, submitted):
        other_designer = _client(UserFactory(roles=["designer"]))
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


class ExportImportApiTests:
    def test_export_then_import_gives_a_new_draft(self, designer_api, approved_v1, approver_api):
        approver_api.post(f"{V1}/publish", {}, format="json")
        export = designer_api.get(f"{BASE}/export")
        assert export.status_code == 200
        assert export["Content-Type"] == "application/zip"
        assert designer_api.get(f"{V1}/export").content == export.content

        response = designer_api.post(
            "/api/communication-imports", export.content, content_type="application/zip"
        )
        assert response.status_code == 201, response.data
        assert (response.data["number"], response.data["status"]) == (2, "draft")
        assert response.data["events"][-1]["action"] == "imported"
        assert Communication.objects.get(key="reminder").versions.get(number=1).status == (
            Status.PUBLISHED
        )

    def test_a_multipart_upload_works_and_problems_name_file_and_field(self, designer_api, draft):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("communication.yaml", "key: x\nname: X\ncategory: junk\n")
            archive.writestr("schema.json", "{}")
        buffer.seek(0)
        buffer.name = "x.zip"
        response = designer_api.post(
            "/api/communication-imports", {"file": buffer}, format="multipart"
        )
        assert response.status_code == 400
        fields = {(p["file"], p["field"]) for p in response.data["problems"]}
        assert ("communication.yaml", "category") in fields
        assert ("communication.yaml", "brand.name") in fields
        assert not Communication.objects.filter(key="x").exists()

    def test_an_approver_may_not_import_and_an_operator_may_not_export(
        self, approver_api, operator_api, draft
    ):
        assert (
            approver_api.post(
                "/api/communication-imports", b"PK", content_type="application/zip"
            ).status_code
            == 403
        )
        assert operator_api.get(f"{BASE}/export").status_code == 403


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
