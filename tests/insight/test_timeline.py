import pytest
from rest_framework.test import APIClient

from ccm.roles import COMPLIANCE_OFFICER, OPERATOR
from ccm.services import api_token_create
from channels.models import Message
from insight.timeline import customer_timeline
from tests.factories.ccm import UserFactory
from tests.factories.channels import scheduled_batch
from tests.factories.customers import CustomerFactory

pytestmark = pytest.mark.django_db


class TimelineClientsTests:
    """The customer's timeline lists only the messages of the viewer's client (its
    batches); roles that span clients see every client's."""

    def test_another_operator_sees_none_of_the_first_ones_messages(self, client):
        customer = CustomerFactory(external_id="JP-78")
        first, second = UserFactory(roles=[OPERATOR]), UserFactory(roles=[OPERATOR])
        batch = scheduled_batch(first, customer_id=customer.external_id)
        (message,) = Message.objects.filter(batch=batch)

        client.force_login(second)
        page = client.get("/customers/JP-78/").content.decode()
        assert "Nothing sent to this customer yet." in page
        _, secret = api_token_create(user=second, name="second system")
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        assert api.get("/api/customers/JP-78").json()["timeline"] == []

        client.force_login(first)
        assert (
            "Nothing sent to this customer yet."
            not in client.get("/customers/JP-78/").content.decode()
        )
        for viewer in (first, UserFactory(roles=[COMPLIANCE_OFFICER])):
            timeline = customer_timeline(customer=customer, viewer=viewer)
            assert [entry["message"] for entry in timeline] == [message.pk]
        assert customer_timeline(customer=customer, viewer=second) == []
