"""OpenAPI-driven fuzzing of every API endpoint with schemathesis, against the project's
own schema (drf-spectacular): no request may end in a server error or an answer the
schema does not describe.

In the suite each operation gets a few examples; ``make fuzz`` runs many more
(``CCM_FUZZ_EXAMPLES``).
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ccm.roles import ROLE_PERMISSIONS
from ccm.services import api_token_create
from ccm.wsgi import application
from tests.factories.ccm import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import SAMPLE, published_version

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

EXAMPLES = int(os.environ.get("CCM_FUZZ_EXAMPLES", "8"))


@pytest.fixture
def api_schema(settings_override):
    version = published_version()
    customer = CustomerFactory(channel_preference=["email"])
    user = UserFactory(roles=sorted(ROLE_PERMISSIONS))
    _, key = api_token_create(user=user, name="fuzz")
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", application, headers={"Authorization": f"Bearer {key}"}
    )
    from channels import services

    services.batch_create(
        communication=version.communication,
        rows=[{"customer_id": customer.external_id, "data": SAMPLE}],
        created_by=user,
    )
    return schema, {"Authorization": f"Bearer {key}"}


@pytest.fixture
def settings_override(settings):
    settings.CCM_API_RATE_LIMIT = "100000/min"
    settings.ALLOWED_HOSTS = ["*"]
    # Requests run in the test's transaction: keep its connection open between them,
    # as Django's test client does.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _fuzz(operation, headers):
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def test_no_endpoint_fails_or_answers_outside_its_schema(api_schema):
    schema, headers = api_schema
    failures, count = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        count += 1
        try:
            _fuzz(operation, headers)
        except (
            Exception,
            BaseExceptionGroup,
        ) as exc:  # collect every endpoint's failure, then report them all
            failures.append(f"{operation.label}: {exc}")
    assert count > 20
    assert failures == [], "\n\n".join(failures)


def test_an_address_no_api_url_matches_answers_json(client):
    response = client.get("/api/batches/-1")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")


def test_the_schema_documents_the_error_answers(client):
    client.force_login(UserFactory(roles=["operator"]))
    schema = client.get("/api/schema/?format=json").json()
    post = schema["paths"]["/api/batches"]["post"]["responses"]
    assert {"400", "401", "403", "413", "429"} <= set(post)
    assert "413" not in schema["paths"]["/api/batches"]["get"]["responses"]
