import pytest
from django.core import mail
from rest_framework.test import APIClient

from channels.backends.printing import locmem as print_outbox
from channels.models import Batch, Message
from channels.services import print_files_build
from tests.factories.ccm import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import SAMPLE, published_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    api = APIClient()
    api.force_authenticate(UserFactory(roles=["operator"]))
    return api


class RealtimeMessageTests:
    def test_one_message_is_accepted_and_sent_without_a_batch(
        self, client, django_capture_on_commit_callbacks
    ):
        version = published_version()
        customer = CustomerFactory(channel_preference=["email"])
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/api/messages",
                {
                    "communication": version.communication.key,
                    "recipient": {"customer_id": customer.external_id, "data": SAMPLE},
                },
                format="json",
            )
        assert response.status_code == 202, response.content
        assert len(mail.outbox) == 1
        detail = client.get(f"/api/messages/{response.data['id']}")
        assert detail.data["status"] == "sent"
        assert [e["kind"] for e in detail.data["events"]] == ["accepted", "sent"]
        assert Batch.objects.count() == 0

    def test_bad_data_is_refused_naming_the_field(self, client):
        version = published_version()
        response = client.post(
            "/api/messages",
            {
                "communication": version.communication.key,
                "recipient": {"email": "a@example.org", "data": {**SAMPLE, "amount": -5}},
            },
            format="json",
        )
        assert response.status_code == 400
        assert "data.amount" in response.data
        assert Message.objects.count() == 0

    def test_real_time_letters_are_collected_into_one_print_file(
        self, client, django_capture_on_commit_callbacks
    ):
        version = published_version()
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                client.post(
                    "/api/messages",
                    {
                        "communication": version.communication.key,
                        "recipient": {
                            "name": "A",
                            "address": "1 Road\nTown",
                            "channel": "print",
                            "data": SAMPLE,
                        },
                    },
                    format="json",
                )
        assert set(Message.objects.values_list("status", flat=True)) == {"awaiting_print"}
        (print_file,) = print_files_build(batch=None)
        assert print_file.letter_count == 2 and len(print_outbox.outbox) == 1
        assert set(Message.objects.values_list("status", flat=True)) == {"sent"}


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
