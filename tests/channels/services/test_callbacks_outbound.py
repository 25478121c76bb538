"""Webhook endpoints and deliveries under the outbound request policy (ccm/outbound.py)."""

import base64
import json

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from channels.models import WebhookDelivery, WebhookEndpoint
from channels.services import callbacks
from tests.factories.ccm import UserFactory
from tests.outbound_servers import INTERNAL_BODY, FakeResolver, local_server

pytestmark = pytest.mark.django_db

INTERNAL_URLS = {
    "http://127.0.0.1:5432/": "address 127.0.0.1 is loopback",
    "http://127.0.0.1:6379/": "address 127.0.0.1 is loopback",
    "http://127.0.0.1:8300/metrics": "address 127.0.0.1 is loopback",
    "http://localhost:8000/": "localhost: address 127.0.0.1 is loopback",
    "http://0.0.0.0:8000/": "address 0.0.0.0 is unspecified",
    "http://[::1]:8000/": "address ::1 is loopback",
    "http://169.254.169.254/latest/meta-data/": "address 169.254.169.254 is link-local",
    "http://10.0.0.5/hook": "address 10.0.0.5 is private",
    "http://[::ffff:127.0.0.1]:6379/": "address ::ffff:127.0.0.1 is loopback (IPv4-mapped)",
}


@pytest.fixture(autouse=True)
def no_allowed_networks(settings):
    settings.CCM_OUTBOUND_ALLOWED_NETWORKS = []


@pytest.fixture
def owner():
    return UserFactory(roles=["operator"])


@pytest.fixture
def api(owner):
    client = APIClient()
    client.force_authenticate(owner)
    return client


@pytest.fixture
def resolver(monkeypatch):
    return FakeResolver(monkeypatch)


def _pending_delivery(owner, url: str) -> WebhookDelivery:
    """A delivery to ``url`` as stored before it is sent (the endpoint may predate the
    check at creation, or its name may resolve elsewhere by now)."""
    secret = "whsec_" + base64.b64encode(b"0" * 24).decode()
    endpoint = WebhookEndpoint.objects.create(owner=owner, url=url, secret=secret)
    return WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id="evt_outbound_test",
        event_type="batch.completed",
        payload={"type": "batch.completed", "data": {"batch_id": 1}},
        next_attempt_at=timezone.now(),
    )


def _listed(api) -> str:
    answer = api.get("/api/webhooks/deliveries")
    assert answer.status_code == 200
    return json.dumps(answer.json())


class WebhookEndpointUrlTests:
    @pytest.mark.parametrize(("url", "reason"), INTERNAL_URLS.items())
    def test_creating_an_endpoint_at_an_internal_address_is_a_400_naming_the_reason(
        self, api, url, reason
    ):
        answer = api.post("/api/webhooks/endpoints", {"url": url}, format="json")
        assert answer.status_code == 400
        assert answer.json() == {"url": [f"{url!r} is refused: {reason}"]}
        assert not WebhookEndpoint.objects.exists()

    @pytest.mark.parametrize("address", ["127.0.0.1", "169.254.169.254", "::1"])
    def test_a_name_resolving_to_an_internal_address_is_a_400(self, api, resolver, address):
        resolver.answer("hooks.example.com", [address])
        answer = api.post(
            "/api/webhooks/endpoints", {"url": "https://hooks.example.com/ccm"}, format="json"
        )
        assert answer.status_code == 400
        assert f"hooks.example.com: address {address} is" in answer.json()["url"][0]

    def test_a_public_name_is_created_and_one_with_any_internal_address_is_not(self, api, resolver):
        resolver.answer("hooks.example.com", ["93.184.215.14", "2606:4700::1"])
        resolver.answer("mixed.example.com", ["93.184.215.14", "10.0.0.7"])
        public = api.post(
            "/api/webhooks/endpoints", {"url": "https://hooks.example.com/ccm"}, format="json"
        )
        mixed = api.post(
            "/api/webhooks/endpoints", {"url": "https://mixed.example.com/ccm"}, format="json"
        )
        assert public.status_code == 201
        assert mixed.status_code == 400
        assert "mixed.example.com: address 10.0.0.7 is private" in mixed.json()["url"][0]

    def test_only_an_allowed_internal_network_may_be_registered(self, api, settings):
        settings.CCM_OUTBOUND_ALLOWED_NETWORKS = ["10.20.0.0/16"]
        inside = api.post(
            "/api/webhooks/endpoints", {"url": "http://10.20.1.2:8080/ccm"}, format="json"
        )
        outside = api.post(
            "/api/webhooks/endpoints", {"url": "http://10.21.1.2:8080/ccm"}, format="json"
        )
        assert (inside.status_code, outside.status_code) == (201, 400)


class WebhookDeliveryPolicyTests:
    def test_a_stored_endpoint_on_a_real_local_server_is_refused_at_send_time(self, api, owner):
        with local_server() as server:
            delivery = _pending_delivery(owner, server.url)
            assert callbacks.webhook_deliveries_send() == 0
        assert server.received == []
        delivery.refresh_from_db()
        assert delivery.status == "pending" and delivery.last_status_code is None
        assert delivery.last_error == "refused: address 127.0.0.1 is loopback"
        assert INTERNAL_BODY.decode() not in _listed(api)

    def test_a_name_that_now_resolves_to_an_internal_address_is_refused_at_send_time(
        self, api, owner, resolver
    ):
        with local_server() as server:
            resolver.answer("hooks.example.com", ["93.184.215.14"], ["127.0.0.1"])
            url = f"http://hooks.example.com:{server.port}/hook"
            assert (
                api.post("/api/webhooks/endpoints", {"url": url}, format="json").status_code == 201
            )
            endpoint = WebhookEndpoint.objects.get()
            WebhookDelivery.objects.create(
                endpoint=endpoint,
                event_id="evt_rebound",
                event_type="batch.completed",
                payload={},
                next_attempt_at=timezone.now(),
            )
            assert callbacks.webhook_deliveries_send() == 0
        assert server.received == []
        assert WebhookDelivery.objects.get().last_error == (
            "refused: hooks.example.com: address 127.0.0.1 is loopback"
        )

    def test_an_error_answer_is_recorded_by_its_status_only(self, api, owner, settings):
        with local_server(status=500) as server:
            settings.CCM_OUTBOUND_ALLOWED_NETWORKS = [f"127.0.0.1:{server.port}"]
            delivery = _pending_delivery(owner, server.url)
            callbacks.webhook_deliveries_send()
        assert len(server.received) == 1
        delivery.refresh_from_db()
        assert (delivery.last_status_code, delivery.last_error) == (500, "HTTP 500")
        assert INTERNAL_BODY.decode() not in _listed(api)

    def test_a_redirect_to_an_internal_port_is_not_followed_nor_its_body_shown(
        self, api, owner, settings
    ):
        with local_server() as internal, local_server(status=302) as allowed:
            allowed.headers["location"] = internal.url
            settings.CCM_OUTBOUND_ALLOWED_NETWORKS = [f"127.0.0.1:{allowed.port}"]
            delivery = _pending_delivery(owner, allowed.url)
            callbacks.webhook_deliveries_send()
        assert len(allowed.received) == 1 and internal.received == []
        delivery.refresh_from_db()
        assert delivery.last_error == "HTTP 302"
        assert INTERNAL_BODY.decode() not in _listed(api)

    def test_a_connection_failure_is_named_without_the_internal_error_text(
        self, api, owner, settings
    ):
        settings.CCM_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
        delivery = _pending_delivery(owner, "http://127.0.0.1:9/none")
        callbacks.webhook_deliveries_send()
        delivery.refresh_from_db()
        assert delivery.status == "pending"
        assert delivery.last_error == "ConnectionError"
