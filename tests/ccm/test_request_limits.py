"""Request bodies and uploads have explicit size limits, refused with a clear error."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from channels.models import Batch
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import SAMPLE, published_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    client = APIClient()
    client.force_authenticate(UserFactory(roles=["operator"]))
    return client


class JsonBodyLimitTests:
    def test_a_json_body_over_the_limit_is_refused_with_413(self, api, settings):
        settings.CCM_API_MAX_JSON_BYTES = 1000
        version = published_version()
        body = {
            "communication": version.communication.key,
            "recipients": [{"email": f"r{i}@example.com", "data": SAMPLE} for i in range(50)],
        }
        response = api.post("/api/batches", body, format="json")
        assert response.status_code == 413
        assert "larger than 1000 bytes" in response.json()["detail"]
        assert "CSV or JSON Lines" in response.json()["detail"]
        assert Batch.objects.count() == 0

    def test_a_body_without_content_length_is_cut_at_the_limit(self, settings):
        from ccm.parsers import LimitedJSONParser, RequestTooLarge

        settings.CCM_API_MAX_JSON_BYTES = 10
        with pytest.raises(RequestTooLarge):
            LimitedJSONParser().parse(io.BytesIO(b'{"a": "' + b"x" * 100 + b'"}'), None, {})
        assert LimitedJSONParser().parse(io.BytesIO(b'{"a": 1}'), None, {}) == {"a": 1}

    def test_a_body_under_the_limit_is_accepted(self, api, settings):
        settings.CCM_API_MAX_JSON_BYTES = 100_000
        version = published_version()
        body = {
            "communication": version.communication.key,
            "recipients": [{"email": "a@example.com", "data": SAMPLE}],
        }
        assert api.post("/api/batches", body, format="json").status_code == 202


class StreamedBodyLimitTests:
    def test_a_csv_body_over_the_limit_is_refused_with_413(self, api, settings):
        settings.CCM_API_MAX_STREAMED_BYTES = 2000
        version = published_version()
        csv = "email,first_name\r\n" + "".join(f"r{i}@example.com,R\r\n" for i in range(200))
        response = api.generic(
            "POST",
            f"/api/batches?communication={version.communication.key}",
            csv.encode(),
            content_type="text/csv",
        )
        assert response.status_code == 413
        assert "larger than 2000 bytes" in response.json()["detail"]
        assert Batch.objects.count() == 0

    def test_a_csv_cell_over_the_field_limit_names_the_line(self, api):
        version = published_version()
        csv = "email,first_name\r\na@example.com,A\r\nb@example.com," + "x" * 200_000 + "\r\n"
        response = api.generic(
            "POST",
            f"/api/batches?communication={version.communication.key}",
            csv.encode(),
            content_type="text/csv",
        )
        assert response.status_code == 400
        assert "line 3" in response.json()["body"][0]
        assert "field larger than field limit" in response.json()["body"][0]


class UploadPageLimitTests:
    def test_a_file_over_the_upload_limit_is_refused_by_the_form(self, client, settings):
        settings.CCM_UPLOAD_MAX_BYTES = 100
        version = published_version()
        client.force_login(UserFactory(roles=["operator"]))
        file = SimpleUploadedFile("rows.csv", b"email\r\n" + b"a@example.com\r\n" * 20)
        response = client.post(
            reverse("channels:batch_upload"),
            {"communication": version.communication.pk, "file": file},
        )
        assert response.status_code == 200
        assert "at most 100 bytes are accepted" in response.content.decode()

    def test_a_form_over_the_field_count_limit_is_refused(self, client, settings):
        settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
        client.force_login(UserFactory(roles=["operator"]))
        response = client.post(reverse("channels:batch_upload"), {f"f{i}": "x" for i in range(10)})
        assert response.status_code == 400


class NulCharacterTests:
    """PostgreSQL keeps no U+0000 in text: refused at the door with a 400, never a 500."""

    def test_a_json_body_with_a_nul_is_refused(self, api):
        version = published_version()
        body = {
            "communication": version.communication.key,
            "recipients": [{"email": "a@example.com", "data": {**SAMPLE, "first_name": "A\x00"}}],
        }
        response = api.post("/api/batches", body, format="json")
        assert response.status_code == 400 and "NUL" in response.json()["detail"]

    def test_a_query_string_with_a_nul_is_refused(self, api, client):
        assert api.get("/api/archive?words=%00x").status_code == 400
        client.force_login(UserFactory(roles=["compliance_officer"]))
        assert client.get("/archive/?q=a%00").status_code == 400

    def test_a_json_lines_row_with_a_nul_names_its_line(self, api):
        version = published_version()
        rows = b'{"email": "a@example.com", "data": {"first_name": "A"}}\n{"name": "B\\u0000"}\n'
        response = api.generic(
            "POST",
            f"/api/batches?communication={version.communication.key}",
            rows,
            content_type="application/x-ndjson",
        )
        assert response.status_code == 400
        assert "line 2" in response.json()["body"][0] and "NUL" in response.json()["body"][0]
        assert Batch.objects.count() == 0


def _padded_batch(size: int) -> bytes:
    """A JSON batch of one recipient, padded with whitespace to ``size`` bytes."""
    import json

    version = published_version()
    body = json.dumps(
        {
            "communication": version.communication.key,
            "recipients": [{"email": "a@example.com", "data": SAMPLE}],
        }
    ).encode()
    return body[:-1] + b" " * (size - len(body)) + b"}"


class JsonBodyOverTheFormLimitTests:
    """JSON bodies have one limit, CCM_API_MAX_JSON_BYTES, not Django's form limit."""

    def test_a_3_mb_json_batch_without_a_key_is_accepted(self, api):
        body = _padded_batch(3 * 1024 * 1024)
        response = api.generic("POST", "/api/batches", body, content_type="application/json")
        assert response.status_code == 202, response.content[:300]
        assert Batch.objects.count() == 1

    def test_a_3_mb_json_batch_with_a_key_is_accepted(self, api):
        body = _padded_batch(3 * 1024 * 1024)
        response = api.generic(
            "POST",
            "/api/batches",
            body,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="big-1",
        )
        assert response.status_code == 202, response.content[:300]
        assert Batch.objects.count() == 1

    @pytest.mark.parametrize("key", [None, "big-2"])
    def test_a_json_batch_over_the_limit_names_the_json_limit(self, api, settings, key):
        settings.CCM_API_MAX_JSON_BYTES = 3 * 1024 * 1024
        body = _padded_batch(3 * 1024 * 1024 + 1)
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        response = api.generic(
            "POST", "/api/batches", body, content_type="application/json", **headers
        )
        assert response.status_code == 413
        detail = response.json()["detail"]
        assert "larger than 3145728 bytes" in detail
        assert "CSV or JSON Lines" in detail
        assert "as JSON or CSV" not in detail
        assert Batch.objects.count() == 0
