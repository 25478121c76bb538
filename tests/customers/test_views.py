import pytest
from rest_framework.test import APIClient

from ccm.roles import COMPLIANCE_OFFICER, OPERATOR
from ccm.services import api_token_create
from channels.models import Message
from customers.selectors import customer_timeline
from customers.services import consent_set, suppression_add
from tests.factories.ccm import UserFactory
from tests.factories.channels import scheduled_batch
from tests.factories.customers import CustomerFactory

pytestmark = pytest.mark.django_db


class CustomerPagesTests:
    def test_an_operator_finds_a_customer_and_sees_consent_and_suppression(self, client):
        customer = CustomerFactory(name="Hana Sato", external_id="JP-77")
        consent_set(customer=customer, category="marketing", granted=True)
        suppression_add(channel="email", address=customer.email, reason="complaint")
        CustomerFactory.create_batch(3)
        client.force_login(UserFactory(roles=["operator"]))
        listing = client.get("/customers/", {"q": "Hana"})
        assert listing.status_code == 200
        assert b"JP-77" in listing.content and listing.content.count(b"/customers/C") == 0
        detail = client.get("/customers/JP-77/")
        assert detail.status_code == 200
        text = detail.content.decode()
        assert "marketing" in text and "Marked as spam" not in text and "Complaint" in text
        assert "Nothing sent to this customer yet." in text

    def test_designers_and_approvers_cannot_see_customers(self, client):
        CustomerFactory(external_id="X1")
        for role in ("designer", "approver"):
            client.force_login(UserFactory(roles=[role]))
            assert client.get("/customers/").status_code == 403
            assert client.get("/customers/X1/").status_code == 403


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
