import pytest
from rest_framework.test import APIClient

from customers.models import Consent, Customer
from customers.services import customer_upsert_many
from tests.factories.ccm import UserFactory
from tests.factories.customers import CustomerFactory

pytestmark = pytest.mark.django_db


class CustomerUpsertTests:
    def test_rows_are_created_then_updated_by_external_id(self):
        result = customer_upsert_many(
            rows=[
                {
                    "external_id": "K1",
                    "name": "Kim",
                    "email": "Kim@Example.COM",
                    "phone": "+44 7911 123456",
                    "consents": {"marketing": True},
                },
                {
                    "external_id": "K2",
                    "name": "山田 花子",
                    "locale": "ja",
                    "phone": "+81 90-1234-5678",
                    "postal_address": ["〒100-0001", "東京都千代田区千代田1-1"],
                },
            ]
        )
        assert result == {"created": 2, "updated": 0, "errors": []}
        kim = Customer.objects.get(external_id="K1")
        assert (kim.email, kim.phone) == ("Kim@example.com", "+447911123456")
        assert Consent.objects.get(customer=kim, category="marketing").granted is True
        hanako = Customer.objects.get(external_id="K2")
        assert hanako.phone == "+819012345678"
        assert hanako.postal_address == "〒100-0001\n東京都千代田区千代田1-1"
        again = customer_upsert_many(rows=[{"external_id": "K1", "name": "Kim Lee"}])
        assert again["updated"] == 1
        assert Customer.objects.get(external_id="K1").name == "Kim Lee"

    def test_bad_rows_are_reported_and_good_ones_kept(self):
        result = customer_upsert_many(
            rows=[
                {"external_id": "OK", "name": "Fine"},
                {"name": "No id"},
                {"external_id": "P", "phone": "12345"},
                {"external_id": "E", "email": "not-an-email"},
                {"external_id": "L", "locale": "fr"},
                {"external_id": "C", "consents": {"marketing": "yes"}},
            ]
        )
        assert result["created"] == 1
        assert [(e["row"], e["field"]) for e in result["errors"]] == [
            (2, "external_id"),
            (3, "phone"),
            (4, "email"),
            (5, "locale"),
            (6, "consents"),
        ]
        assert "international form" in result["errors"][1]["reason"]


class CustomerApiTests:
    def test_an_operator_upserts_in_bulk_and_reads_the_timeline(
        self, django_capture_on_commit_callbacks
    ):
        client = APIClient()
        client.force_authenticate(UserFactory(roles=["operator"]))
        response = client.post(
            "/api/customers",
            {"customers": [{"external_id": "X1", "name": "X", "email": "x@example.org"}]},
            format="json",
        )
        assert response.status_code == 200 and response.data["created"] == 1
        detail = client.get("/api/customers/X1")
        assert detail.status_code == 200
        assert detail.data["email"] == "x@example.org" and detail.data["timeline"] == []

    def test_an_auditor_reads_customers_but_cannot_change_them(self):
        client = APIClient()
        client.force_authenticate(UserFactory(roles=["auditor"]))
        assert (
            client.post(
                "/api/customers", {"customers": [{"external_id": "X"}]}, format="json"
            ).status_code
            == 403
        )
        CustomerFactory(external_id="Y")
        assert client.get("/api/customers/Y").status_code == 200

    def test_designers_do_not_see_customers(self):
        client = APIClient()
        client.force_authenticate(UserFactory(roles=["designer"]))
        CustomerFactory(external_id="Y")
        assert client.get("/api/customers/Y").status_code == 403
