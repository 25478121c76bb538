"""API tokens: hashed, scoped, expiring, revocable and rate-limited per client."""

import datetime as dt
import io

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from ccm.models import ApiToken
from ccm.permissions import PERMISSION_SCOPES, SCOPES
from ccm.services import api_token_create, api_token_revoke
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import SAMPLE, published_version

pytestmark = pytest.mark.django_db

EVERY_ROLE = ["operator", "compliance_officer", "designer"]


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def _token(*scopes: str, roles=EVERY_ROLE, **kwargs) -> tuple[ApiToken, APIClient]:
    token, key = api_token_create(
        user=UserFactory(roles=roles), name="billing system", scopes=scopes, **kwargs
    )
    return token, _client(key)


# One request per scope, each needing exactly that scope.
REQUESTS = {
    "send": ("post", "/api/batches", {"communication": "missing", "recipients": [{}]}),
    "read_status": ("get", "/api/batches", None),
    "manage_templates": ("get", "/api/communications", None),
    "read_archive": ("get", "/api/archive", None),
}


class TokenScopeTests:
    @pytest.mark.parametrize("scope", SCOPES)
    def test_a_token_reaches_only_the_endpoints_of_its_scope(self, scope):
        _, client = _token(scope)
        for wanted, (method, path, body) in REQUESTS.items():
            response = getattr(client, method)(path, body, format="json")
            if wanted == scope:
                assert response.status_code in (200, 400), (scope, path, response.content)
            else:
                assert response.status_code == 403, (scope, path, response.status_code)
                assert wanted in response.json()["detail"]

    def test_a_scope_does_not_widen_the_users_role(self):
        _, client = _token(*SCOPES, roles=["designer"])
        assert client.get("/api/batches").status_code == 403
        assert client.get("/api/archive").status_code == 403
        assert client.get("/api/communications").status_code == 200

    def test_a_person_using_the_api_in_their_session_needs_no_scope(self):
        client = APIClient()
        client.force_login(UserFactory(roles=["operator"]))
        assert client.get("/api/batches").status_code == 200

    def test_a_reading_token_gets_a_communications_data_schema(self):
        key = published_version().communication.key
        _, reader = _token("read_status", roles=["operator"])
        response = reader.get(f"/api/communications/{key}/schema")
        assert response.status_code == 200 and response.json()["required"]
        assert reader.put(f"/api/communications/{key}/schema", {}, format="json").status_code == 403
        _, sender = _token("send", roles=["operator"])
        refused = sender.get(f"/api/communications/{key}/schema")
        assert refused.status_code == 403
        assert refused.json()["detail"] == (
            "This token lacks the 'read_status' or 'manage_templates' scope."
        )

    def test_the_api_root_answers_any_token(self):
        _, client = _token("read_archive", roles=["compliance_officer"])
        assert client.get("/api/").status_code == 200

    def test_every_permission_an_api_view_requires_has_a_scope(self):
        """A permission without a scope is refused to every token: map it first."""
        from tests.ccm.test_role_endpoint_matrix import api_views

        declared = {perm for _, view in api_views() for perm in view.required_permissions.values()}
        assert declared and declared <= set(PERMISSION_SCOPES), declared - set(PERMISSION_SCOPES)

    def test_unknown_scopes_and_no_scope_are_refused(self):
        with pytest.raises(ValidationError, match="Unknown scope everything"):
            api_token_create(user=UserFactory(), name="x", scopes=["everything"])
        with pytest.raises(ValidationError, match="at least one scope"):
            api_token_create(user=UserFactory(), name="x", scopes=[])


class TokenLifecycleTests:
    def test_an_expired_token_is_refused(self):
        token, client = _token("read_status")
        assert client.get("/api/batches").status_code == 200
        ApiToken.objects.filter(pk=token.pk).update(
            expires_at=timezone.now() - dt.timedelta(seconds=1)
        )
        assert client.get("/api/batches").status_code == 401

    def test_a_revoked_token_is_refused_from_its_next_request(self):
        token, client = _token("read_status")
        assert client.get("/api/batches").status_code == 200
        api_token_revoke(token=token)
        api_token_revoke(token=token)
        response = client.get("/api/batches")
        assert response.status_code == 401
        assert "revoked" in response.json()["detail"]

    def test_the_secret_is_not_stored(self):
        token, key = api_token_create(user=UserFactory(), name="x", scopes=["send"])
        token.refresh_from_db()
        stored = " ".join(str(v) for v in ApiToken.objects.filter(pk=token.pk).values().first())
        assert key not in stored and token.key_hash == ApiToken.hash_key(key)


class CreateApiTokenCommandTests:
    def test_it_prints_the_secret_once_with_the_scopes_given(self):
        user = UserFactory(roles=["operator"])
        out, err = io.StringIO(), io.StringIO()
        call_command(
            "create_api_token",
            user.username,
            "--name=billing",
            "--scope=send",
            "--scope=read_status",
            "--rate=100/min",
            "--days=30",
            stdout=out,
            stderr=err,
        )
        key = out.getvalue().strip()
        token = ApiToken.objects.get(key_hash=ApiToken.hash_key(key))
        assert token.scopes == ["send", "read_status"] and token.rate_limit == "100/min"
        assert "scopes: send, read_status" in err.getvalue()

    def test_a_scope_is_required(self):
        user = UserFactory()
        with pytest.raises(CommandError, match="--scope"):
            call_command("create_api_token", user.username, "--name=x")

    def test_a_malformed_rate_is_named(self):
        user = UserFactory()
        with pytest.raises(CommandError, match="'lots' is not of the form"):
            call_command(
                "create_api_token", user.username, "--name=x", "--scope=send", "--rate=lots"
            )


class RateLimitTests:
    @pytest.fixture(autouse=True)
    def _fresh_counts(self):
        cache.clear()
        yield
        cache.clear()

    def test_each_token_has_its_own_budget_then_gets_429(self, settings):
        settings.CCM_API_RATE_LIMIT = "3/min"
        _, first = _token("read_status")
        _, second = _token("read_status")
        assert [first.get("/api/batches").status_code for _ in range(3)] == [200] * 3
        refused = first.get("/api/batches")
        assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
        assert second.get("/api/batches").status_code == 200

    def test_a_token_can_have_its_own_rate(self, settings):
        settings.CCM_API_RATE_LIMIT = "1/min"
        _, client = _token("read_status", rate_limit="5/min")
        assert [client.get("/api/batches").status_code for _ in range(6)] == [200] * 5 + [429]


def test_sending_works_end_to_end_with_a_send_token(django_capture_on_commit_callbacks):
    version = published_version()
    _, client = _token("send", roles=["operator"])
    body = {
        "communication": version.communication.key,
        "recipients": [{"email": "a@example.com", "name": "A", "data": SAMPLE}],
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/batches", body, format="json")
    assert response.status_code == 202, response.content
