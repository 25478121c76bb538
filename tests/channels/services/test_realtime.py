import pytest
from django.core import mail
from rest_framework.test import APIClient

from channels.backends.printing import locmem as print_outbox
from channels.models import Batch, Message
from channels.services.printing import print_files_build
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
