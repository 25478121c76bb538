import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from rest_framework.test import APIClient
from standardwebhooks.webhooks import Webhook

from channels.models import WebhookDelivery
from channels.services import callbacks
from tests.factories.ccm import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import SAMPLE, published_version

pytestmark = pytest.mark.django_db


class _Receiver(BaseHTTPRequestHandler):
    answers: list[int] = []
    received: list[tuple[dict, bytes]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(self.answers.pop(0) if self.answers else 204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(autouse=True)
def local_receivers_allowed(settings):
    """The receivers here are local servers: the outbound request policy refuses
    loopback unless the operator allows it, as these tests do."""
    settings.CCM_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]


@pytest.fixture
def receiver():
    _Receiver.answers, _Receiver.received = [], []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", _Receiver
    server.shutdown()


@pytest.fixture
def operator_api():
    client = APIClient()
    client.force_authenticate(UserFactory(roles=["operator"]))
    return client


def _run_batch(client, capture, count=2):
    version = published_version()
    customers = CustomerFactory.create_batch(count, channel_preference=["email"])
    with capture(execute=True):
        return client.post(
            "/api/batches",
            {
                "communication": version.communication.key,
                "recipients": [{"customer_id": c.external_id, "data": SAMPLE} for c in customers],
            },
            format="json",
        )


class StatusCallbackTests:
    def test_signed_callbacks_reach_the_clients_endpoint(
        self, operator_api, receiver, django_capture_on_commit_callbacks
    ):
        url, handler = receiver
        created = operator_api.post("/api/webhooks/endpoints", {"url": url}, format="json")
        assert created.status_code == 201 and created.data["secret"].startswith("whsec_")
        _run_batch(operator_api, django_capture_on_commit_callbacks)
        assert callbacks.webhook_deliveries_send() == 3
        verifier = Webhook(created.data["secret"])
        events = [verifier.verify(body, headers) for headers, body in handler.received]
        assert sorted(e["type"] for e in events) == [
            "batch.completed",
            "message.sent",
            "message.sent",
        ]
        batch_event = next(e for e in events if e["type"] == "batch.completed")
        assert batch_event["data"]["counts"]["sent"] == 2

    def test_a_tampered_body_does_not_verify(
        self, operator_api, receiver, django_capture_on_commit_callbacks
    ):
        url, handler = receiver
        secret = operator_api.post("/api/webhooks/endpoints", {"url": url}, format="json").data[
            "secret"
        ]
        _run_batch(operator_api, django_capture_on_commit_callbacks, count=1)
        callbacks.webhook_deliveries_send()
        headers, body = handler.received[0]
        forged = json.dumps({**json.loads(body), "type": "message.failed"})
        with pytest.raises(Exception, match="No matching signature"):
            Webhook(secret).verify(forged, headers)

    def test_failures_are_retried_with_backoff_then_dead_lettered_and_can_be_resent(
        self, operator_api, receiver, django_capture_on_commit_callbacks
    ):
        url, handler = receiver
        operator_api.post("/api/webhooks/endpoints", {"url": url}, format="json")
        _run_batch(operator_api, django_capture_on_commit_callbacks, count=1)
        WebhookDelivery.objects.exclude(event_type="batch.completed").delete()
        delivery = WebhookDelivery.objects.get()
        handler.answers = [500] * (len(callbacks.RETRY_SCHEDULE) + 1)
        for attempt in range(len(callbacks.RETRY_SCHEDULE) + 1):
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                next_attempt_at=delivery.created_at
            )
            callbacks.webhook_deliveries_send()
            delivery.refresh_from_db()
            if attempt == 0:
                assert delivery.status == "pending" and delivery.last_status_code == 500
                assert (delivery.next_attempt_at - delivery.created_at).total_seconds() > 25
        assert delivery.status == "dead" and delivery.attempts == len(callbacks.RETRY_SCHEDULE) + 1
        dead = operator_api.get("/api/webhooks/deliveries?status=dead")
        assert [d["id"] for d in dead.data["results"]] == [delivery.pk]
        assert operator_api.post(f"/api/webhooks/deliveries/{delivery.pk}/retry").status_code == 200
        callbacks.webhook_deliveries_send()
        delivery.refresh_from_db()
        assert delivery.status == "delivered"

    def test_an_unreachable_endpoint_is_retried(
        self, operator_api, django_capture_on_commit_callbacks
    ):
        operator_api.post(
            "/api/webhooks/endpoints", {"url": "http://127.0.0.1:9/none"}, format="json"
        )
        _run_batch(operator_api, django_capture_on_commit_callbacks, count=1)
        assert callbacks.webhook_deliveries_send() == 0
        assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"pending"}
        assert "ConnectionError" in WebhookDelivery.objects.first().last_error

    def test_clients_without_endpoints_get_nothing_queued(
        self, operator_api, django_capture_on_commit_callbacks
    ):
        _run_batch(operator_api, django_capture_on_commit_callbacks)
        assert not WebhookDelivery.objects.exists()
