import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from compliance import selectors
from compliance.models import ArchiveEntry
from compliance.services import archive_record_create
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import published_version

pytestmark = pytest.mark.django_db


def _entry(version, *, recipient, name="", subject="", customer=None):
    return archive_record_create(
        content=f"{recipient}{subject}".encode(),
        content_type="text/plain",
        message=None,
        version=version,
        channel="sms",
        locale="en",
        recipient=recipient,
        recipient_name=name,
        subject=subject,
        data={},
        customer=customer,
    )


class ArchiveSearchTests:
    def test_each_criterion_finds_its_entries(self):
        version = published_version()
        customer = CustomerFactory(external_id="CUST-9")
        by_phone = _entry(
            version, recipient="+447911123456", name="Alex Brown", subject="Your bill is ready"
        )
        by_customer = _entry(
            version, recipient="x@example.org", customer=customer, subject="Meter visit"
        )
        by_name = _entry(
            version, recipient="y@example.org", name="山田 花子", subject="お支払いのお願い"
        )

        def ids(**criteria):
            return {e.pk for e in selectors.archive_entry_search(**criteria)}

        assert ids(query="+4479111") == {by_phone.pk}
        assert ids(query="CUST-9") == {by_customer.pk}
        assert ids(query="花子") == {by_name.pk}
        assert ids(words="BILL") == {by_phone.pk}
        assert ids(words="支払") == {by_name.pk}
        assert ids(version=version.number) == {by_phone.pk, by_customer.pk, by_name.pk}
        assert ids(version=version.number + 1) == set()

    def test_date_ranges_are_whole_days(self):
        version = published_version()
        entry = _entry(version, recipient="+447911000000")
        today = timezone.localdate()
        everything = selectors.archive_entry_search()
        assert list(
            selectors.archive_entries_between(entries=everything, date_from=today, date_to=today)
        ) == [entry]
        tomorrow = today + dt.timedelta(days=1)
        assert not selectors.archive_entries_between(
            entries=everything, date_from=tomorrow
        ).exists()

    def test_every_search_path_can_use_an_index(self):
        version = published_version()
        customer = CustomerFactory(external_id="CUST-1")
        _entry(version, recipient="+447911000001", customer=customer)
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")
        try:
            for criteria in (
                {"query": "+44791"},
                {"query": "CUST-1"},
                {"query": "Brown"},
                {"words": "bill"},
            ):
                qs = selectors.archive_entry_search(**criteria)[:50]
                plan = qs.explain()
                assert "Seq Scan on compliance_archiveentry" not in plan, (criteria, plan)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET enable_seqscan = on")
        assert ArchiveEntry.objects.count() == 1


class ArchiveSearchApiTests:
    def test_the_api_takes_the_same_criteria_and_names_bad_ones(self):
        from rest_framework.test import APIClient

        from tests.factories.ccm import UserFactory

        version = published_version()
        _entry(version, recipient="+447911123456", subject="Your bill is ready")
        client = APIClient()
        client.force_authenticate(UserFactory(roles=["compliance_officer"]))
        found = client.get(
            "/api/archive", {"words": "bill", "date_from": timezone.localdate().isoformat()}
        )
        assert found.status_code == 200 and len(found.data["results"]) == 1
        assert client.get("/api/archive", {"words": "nothing"}).data["results"] == []
        bad = client.get("/api/archive", {"status": "lost", "date_from": "yesterday"})
        assert bad.status_code == 400 and {"status", "date_from"} <= set(bad.data)
