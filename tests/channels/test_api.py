import pytest
from django.core import mail
from rest_framework.test import APIClient

from ccm.services import api_token_create
from channels.models import Batch
from tests.factories.ccm import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import SAMPLE, CommunicationFactory, published_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client():
    _, key = api_token_create(user=UserFactory(roles=["operator"]), name="billing system")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


class BatchApiTests:
    def test_a_batch_is_accepted_with_202_and_sent(
        self, operator_client, django_capture_on_commit_callbacks
    ):
        version = published_version()
        customers = CustomerFactory.create_batch(3, channel_preference=["email"])
        body = {
            "communication": version.communication.key,
            "recipients": [{"customer_id": c.external_id, "data": SAMPLE} for c in customers]
            + [{"customer_id": "UNKNOWN", "data": SAMPLE}],
        }
        with django_capture_on_commit_callbacks(execute=True):
            response = operator_client.post("/api/batches", body, format="json")
        assert response.status_code == 202, response.content
        assert response.data["total_rows"] == 4
        assert response.data["rejected_rows"] == [
            {"row": 4, "field": "customer_id", "reason": "no customer 'UNKNOWN'"}
        ]
        assert len(mail.outbox) == 3

        detail = operator_client.get(f"/api/batches/{response.data['id']}")
        assert detail.data["status"] == Batch.Status.COMPLETED
        assert detail.data["progress"]["counts"]["sent"] == 3
        messages = operator_client.get(f"/api/batches/{response.data['id']}/messages?status=sent")
        assert len(messages.data["results"]) == 3
        assert (
            operator_client.get(
                f"/api/batches/{response.data['id']}/messages?status=nope"
            ).status_code
            == 400
        )

    def test_a_communication_without_published_version_is_refused(self, operator_client):
        communication = CommunicationFactory()
        response = operator_client.post(
            "/api/batches",
            {"communication": communication.key, "recipients": [{"data": {}}]},
            format="json",
        )
        assert response.status_code == 400
        assert "no published version" in str(response.data["communication"])

    def test_unknown_communication_is_named(self, operator_client):
        response = operator_client.post(
            "/api/batches", {"communication": "nope", "recipients": [{}]}, format="json"
        )
        assert response.status_code == 400 and "communication" in response.data

    def test_cancel_stops_queued_messages(self, operator_client):
        version = published_version()
        customers = CustomerFactory.create_batch(2)
        response = operator_client.post(
            "/api/batches",
            {
                "communication": version.communication.key,
                "recipients": [{"customer_id": c.external_id, "data": SAMPLE} for c in customers],
            },
            format="json",
        )
        cancel = operator_client.post(f"/api/batches/{response.data['id']}/cancel")
        assert cancel.status_code == 200
        assert cancel.data["status"] == "cancelled"
        assert cancel.data["progress"]["counts"]["cancelled"] == 2
        assert operator_client.post(f"/api/batches/{response.data['id']}/cancel").status_code == 409


class ApiAuthenticationTests:
    def test_no_credentials_is_401(self):
        assert APIClient().get("/api/batches").status_code == 401

    def test_a_revoked_or_unknown_token_is_refused(self):
        from django.utils import timezone

        token, key = api_token_create(user=UserFactory(roles=["operator"]), name="x")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        assert client.get("/api/batches").status_code == 200
        token.revoked_at = timezone.now()
        token.save()
        assert client.get("/api/batches").status_code == 401
        client.credentials(HTTP_AUTHORIZATION="Bearer ccm_not-a-token")
        assert client.get("/api/batches").status_code == 401

    def test_only_the_hash_of_the_token_is_stored(self):
        token, key = api_token_create(user=UserFactory(), name="x")
        assert key not in (token.key_hash, token.prefix) and len(token.key_hash) == 64

    def test_a_designer_token_cannot_submit_batches(self):
        _, key = api_token_create(user=UserFactory(roles=["designer"]), name="x")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        assert client.post("/api/batches", {}, format="json").status_code == 403


class ApiSchemaTests:
    def test_the_openapi_schema_describes_the_batch_endpoints(self):
        client = APIClient()
        client.force_authenticate(UserFactory(roles=["operator"]))
        response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
        assert response.status_code == 200
        assert "/api/batches" in response.json()["paths"]

    def test_the_docs_page_is_served(self):
        client = APIClient()
        client.force_authenticate(UserFactory(roles=["operator"]))
        response = client.get("/api/docs/")
        assert response.status_code == 200 and b"swagger" in response.content.lower()


class BatchProgressEstimateTests:
    def test_the_finish_is_estimated_from_the_rate_so_far(self):
        import datetime as dt

        from channels.models import Message
        from channels.selectors import batch_progress
        from channels.services import batch_create

        version = published_version()
        customers = CustomerFactory.create_batch(4, channel_preference=["email"])
        batch = batch_create(
            communication=version.communication,
            rows=[{"customer_id": c.external_id, "data": SAMPLE} for c in customers],
            created_by=UserFactory(),
        )
        Batch.objects.filter(pk=batch.pk).update(status="running")
        batch.refresh_from_db()
        Message.objects.filter(pk__in=list(batch.messages.values_list("pk", flat=True))[:1]).update(
            status="sent"
        )
        now = batch.created_at + dt.timedelta(seconds=10)
        progress = batch_progress(batch=batch, now=now)
        # One done in 10 s, three to go: 30 s more.
        assert progress["estimated_finish"] == now + dt.timedelta(seconds=30)
        Batch.objects.filter(pk=batch.pk).update(status="completed")
        batch.refresh_from_db()
        assert batch_progress(batch=batch, now=now)["estimated_finish"] is None
