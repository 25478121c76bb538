import pytest
from rest_framework.test import APIClient

from channels.models import Batch
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import SAMPLE, published_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    api = APIClient()
    api.force_authenticate(UserFactory(roles=["operator"]))
    return api


class IdempotencyKeyTests:
    def _post(self, client, body, key="key-1"):
        return client.post("/api/batches", body, format="json", HTTP_IDEMPOTENCY_KEY=key)

    def test_the_same_key_and_body_replays_the_first_answer(self, client):
        version = published_version()
        body = {
            "communication": version.communication.key,
            "recipients": [{"email": "a@example.org", "data": SAMPLE}],
        }
        first = self._post(client, body)
        second = self._post(client, body)
        assert first.status_code == second.status_code == 202
        assert second.data == first.data
        assert second["Idempotent-Replayed"] == "true"
        assert Batch.objects.count() == 1

    def test_the_same_key_with_another_body_is_refused(self, client):
        version = published_version()
        body = {
            "communication": version.communication.key,
            "recipients": [{"email": "a@example.org", "data": SAMPLE}],
        }
        self._post(client, body)
        other = self._post(
            client, {**body, "recipients": [{"email": "b@example.org", "data": SAMPLE}]}
        )
        assert other.status_code == 422
        assert Batch.objects.count() == 1

    def test_keys_belong_to_one_client(self, client):
        version = published_version()
        body = {
            "communication": version.communication.key,
            "recipients": [{"email": "a@example.org", "data": SAMPLE}],
        }
        self._post(client, body)
        other_client = APIClient()
        other_client.force_authenticate(UserFactory(roles=["operator"]))
        assert self._post(other_client, body).status_code == 202
        assert Batch.objects.count() == 2

    def test_a_refused_request_keeps_its_answer_too(self, client):
        body = {"communication": "missing", "recipients": [{}]}
        assert self._post(client, body).status_code == 400
        again = self._post(client, body)
        assert again.status_code == 400 and again["Idempotent-Replayed"] == "true"
