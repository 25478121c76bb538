import pytest
from django.core import mail
from rest_framework.test import APIClient

from channels.models import Batch, Message
from tests.factories.ccm import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import published_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    api = APIClient()
    api.force_authenticate(UserFactory(roles=["operator"]))
    return api


def _post(client, key, body, content_type, **headers):
    return client.generic(
        "POST", f"/api/batches?communication={key}", body, content_type=content_type, **headers
    )


class StreamedBatchBodyTests:
    def test_a_csv_body_in_cp932_is_read_row_by_row(
        self, client, django_capture_on_commit_callbacks
    ):
        version = published_version()
        customer = CustomerFactory(channel_preference=["email"])
        csv_text = (
            "customer_id,name,email,locale,first_name,amount,due_date\r\n"
            f"{customer.external_id},,,,Alex,120.5,2026-12-15\r\n"
            ",山田 太郎,taro@example.jp,ja,太郎,5400,2026-12-15\r\n"
            ",Bad Amount,bad@example.org,en,Bo,lots,2026-12-15\r\n"
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = _post(
                client, version.communication.key, csv_text.encode("cp932"), "text/csv"
            )
        assert response.status_code == 202, response.content
        assert response.data["total_rows"] == 3
        assert response.data["rejected_rows"] == [
            {"row": 3, "field": "data.amount", "reason": "'lots' is not of type 'number'"}
        ]
        assert len(mail.outbox) == 2
        taro = Message.objects.get(recipient="taro@example.jp")
        assert taro.recipient_name == "山田 太郎" and taro.data["amount"] == 5400

    def test_a_json_lines_body_is_accepted(self, client, django_capture_on_commit_callbacks):
        version = published_version()
        lines = "\n".join(
            f'{{"email": "r{i}@example.org", "data": {{"first_name": "R{i}", "amount": {i}, "due_date": "2026-12-15"}}}}'
            for i in range(5)
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = _post(
                client, version.communication.key, lines.encode(), "application/x-ndjson"
            )
        assert response.status_code == 202
        assert len(mail.outbox) == 5

    def test_a_malformed_line_is_named_and_nothing_is_accepted(self, client):
        version = published_version()
        body = b'{"email": "a@example.org", "data": {}}\n{not json\n'
        response = _post(client, version.communication.key, body, "application/x-ndjson")
        assert response.status_code == 400
        assert "line 2" in str(response.data["body"])
        assert Batch.objects.count() == 0

    def test_the_communication_is_required_in_the_query_string(self, client):
        response = client.generic(
            "POST", "/api/batches", b"email\r\na@example.org\r\n", content_type="text/csv"
        )
        assert response.status_code == 400 and "communication" in response.data

    def test_idempotency_covers_streamed_bodies(self, client):
        version = published_version()
        body = b"email,first_name,amount,due_date\r\na@example.org,A,1,2026-12-15\r\n"
        first = _post(
            client, version.communication.key, body, "text/csv", HTTP_IDEMPOTENCY_KEY="csv-1"
        )
        again = _post(
            client, version.communication.key, body, "text/csv", HTTP_IDEMPOTENCY_KEY="csv-1"
        )
        other = _post(
            client,
            version.communication.key,
            body + b"b@example.org,B,2,2026-12-15\r\n",
            "text/csv",
            HTTP_IDEMPOTENCY_KEY="csv-1",
        )
        assert (first.status_code, again.status_code, other.status_code) == (202, 202, 422)
        assert again["Idempotent-Replayed"] == "true"
        assert Batch.objects.count() == 1
