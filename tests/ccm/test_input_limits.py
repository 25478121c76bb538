"""Hostile request bodies get a 4xx that names the problem, never a 500 or a page of HTML:
JSON nested too deep, bodies over the documented limits, bodies sent without a length."""

import json
import re
import time

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from ccm import input_checks
from ccm.roles import ROLE_PERMISSIONS
from channels.models import Batch
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import SAMPLE, published_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    client = APIClient()
    client.force_authenticate(UserFactory(roles=["operator"]))
    return client


@pytest.fixture
def superapi():
    client = APIClient()
    client.force_authenticate(UserFactory(roles=sorted(ROLE_PERMISSIONS)))
    return client


def _json_operations() -> list[tuple[str, str]]:
    """(method, path) of every API operation that takes a JSON body, from the schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody", {}).get("content", {})
            if method in ("post", "put", "patch") and "application/json" in body:
                operations.append((method, re.sub(r"\{[^}]+\}", "1", path)))
    return operations


class JsonDepthTests:
    def test_the_depth_is_measured_without_parsing_or_recursion(self):
        assert input_checks.json_depth(b'"[[["') == 0
        assert input_checks.json_depth(b'{"a": [1, {"b": "]]]\\"[["}]}') == 3
        assert input_checks.json_depth("[" * 200_000 + "]" * 200_000) == 200_000
        deep: list = []
        for _ in range(50_000):
            deep = [deep]
        assert input_checks.value_depth(deep) == 50_001
        assert input_checks.contains_nul([deep, "\x00"]) is True

    @pytest.mark.parametrize("depth", [900, 100_000])
    def test_deep_json_is_a_400_naming_the_limit_on_every_json_endpoint(self, superapi, depth):
        published_version()
        body = "[" * depth + "]" * depth
        operations = _json_operations()
        assert ("post", "/api/batches") in operations
        assert len(operations) >= 5
        for method, path in operations:
            response = getattr(superapi, method)(path, body, content_type="application/json")
            # An unknown object (404) may be refused before the body is read.
            assert response.status_code in (400, 404), (method, path, response.status_code)
            if response.status_code == 400:
                assert "nested deeper than 100 levels" in response.json()["detail"], (method, path)
        response = superapi.post("/api/batches", body, content_type="application/json")
        assert response.status_code == 400

    def test_json_within_the_depth_limit_is_read(self, api):
        version = published_version()
        nested: dict = {"leaf": 1}
        for _ in range(90):
            nested = {"n": nested}
        body = {
            "communication": version.communication.key,
            "recipients": [{"email": "a@example.com", "data": {**SAMPLE, "extra": nested}}],
        }
        assert api.post("/api/batches", body, format="json").status_code == 202

    def test_the_depth_check_of_a_large_body_is_quick(self):
        body = json.dumps([{"email": f"r{i}@example.com", "data": SAMPLE} for i in range(100_000)])
        assert len(body) > 10_000_000
        started = time.monotonic()
        assert input_checks.json_depth(body.encode()) == 3
        assert time.monotonic() - started < 2


class JsonBodySizeTests:
    def test_a_json_body_between_the_form_limit_and_the_json_limit_is_accepted(self, api):
        # 3 MB: over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB, forms), under the 10 MB JSON
        # limit of docs/api.md, with an Idempotency-Key (which hashes the body).
        version = published_version()
        recipients = [
            {"email": f"r{i}@example.com", "data": {**SAMPLE, "pad": "x" * 400}}
            for i in range(6000)
        ]
        body = json.dumps({"communication": version.communication.key, "recipients": recipients})
        assert 2_621_440 < len(body) < 10 * 1024 * 1024
        response = api.post(
            "/api/batches", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
        )
        assert response.status_code == 202, response.content[:300]
        assert response.json()["total_rows"] == 6000

    def test_a_json_body_over_the_json_limit_is_a_413_in_json(self, api, settings):
        settings.CCM_API_MAX_JSON_BYTES = 5000
        version = published_version()
        body = json.dumps(
            {
                "communication": version.communication.key,
                "recipients": [{"email": f"r{i}@example.com", "data": SAMPLE} for i in range(80)],
            }
        )
        for headers in ({}, {"HTTP_IDEMPOTENCY_KEY": "k-2"}):
            response = api.post("/api/batches", body, content_type="application/json", **headers)
            assert response.status_code == 413
            assert response["Content-Type"] == "application/json"
            assert "larger than 5000 bytes" in response.json()["detail"]
        assert Batch.objects.count() == 0

    def test_a_form_body_over_the_form_limit_is_a_413_in_json_on_the_api(self, api, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
        published_version()
        response = api.post(
            "/api/batches",
            "communication=x&pad=" + "y" * 5000,
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 413
        assert response["Content-Type"] == "application/json"
        assert "larger than 1000 bytes" in response.json()["detail"]


class ChunkedBodyTests:
    def test_a_chunked_body_is_refused_with_411_and_a_reason(self, api):
        version = published_version()
        body = {
            "communication": version.communication.key,
            "recipients": [{"email": "a@example.com", "data": SAMPLE}],
        }
        response = api.post("/api/batches", body, format="json", HTTP_TRANSFER_ENCODING="chunked")
        assert response.status_code == 411
        assert "Content-Length" in response.json()["detail"]
        assert Batch.objects.count() == 0

    def test_a_chunked_form_post_on_a_page_is_refused_too(self):
        response = Client().post("/login/", {"a": "b"}, HTTP_TRANSFER_ENCODING="chunked")
        assert response.status_code == 411
        assert b"Content-Length" in response.content
