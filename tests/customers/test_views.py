import pytest

from customers.services import consent_set, suppression_add
from tests.factories.ccm import UserFactory
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
