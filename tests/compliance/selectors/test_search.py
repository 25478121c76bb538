import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from compliance.models import ArchiveEntry
from compliance.selectors import search as selectors
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

    def test_words_are_whole_words_in_any_order_and_kanji_match_inside_a_run(self):
        version = published_version()
        bill = _entry(version, recipient="+447911000001", subject="Your bill 512 is ready")
        parcels = _entry(version, recipient="+447911000002", subject="512 parcels are waiting")
        notice = _entry(version, recipient="+447911000003", subject="【重要】ご請求書のお知らせ")

        def ids(words):
            return {e.pk for e in selectors.archive_entry_search(words=words)}

        assert ids("READY  bill") == {bill.pk}
        assert ids("512") == {bill.pk, parcels.pk}
        assert ids("請求書") == {notice.pk}
        assert ids("請") == {notice.pk}
        assert ids("知らせ 重要") == {notice.pk}
        assert ids("請求書 512") == set()
        assert ids("bil") == set()

    def test_common_words_are_left_to_the_text_check(self, monkeypatch):
        version = published_version()
        bill = _entry(version, recipient="+447911000001", subject="Your bill 512 is ready")
        _entry(version, recipient="+447911000002", subject="512 parcels are waiting")
        _entry(version, recipient="+447911000003", subject="Your bill 7 is ready")
        # The index looks for "512" only; "your" and "bill" are checked in the text.
        monkeypatch.setattr(selectors, "archive_common_words", lambda: ["your", "bill"])
        plan = selectors.archive_entry_search(words="your bill 512").explain()
        if connection.vendor == "postgresql":
            assert "'512'" in plan and "'bill'''" not in plan, plan
        assert {e.pk for e in selectors.archive_entry_search(words="your bill 512")} == {bill.pk}
        # Only common words: all of them go to the index.
        assert len(selectors.archive_entry_search(words="bill your")) == 2

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL statistics")
    def test_common_words_come_from_the_statistics(self):
        version = published_version()
        for n in range(30):
            _entry(version, recipient=f"+4479110000{n:02d}", subject=f"Your bill {n} is ready")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE compliance_archiveentry")
        selectors._common_words_cache.clear()
        try:
            common = selectors.archive_common_words()
        finally:
            selectors._common_words_cache.clear()
        assert {"your", "bill", "is", "ready"} <= set(common)
        assert "7" not in common

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

    @pytest.mark.parametrize("sparse_below", [1, 1000], ids=["walking time", "sorting matches"])
    def test_a_prefix_pages_newest_first_whichever_way_it_is_searched(
        self, monkeypatch, sparse_below
    ):
        # Few matches are sorted (sort_at), many found walking the time index: the same
        # pages either way.
        monkeypatch.setattr(selectors, "_SPARSE_PREFIX_MATCHES", sparse_below)
        version = published_version()
        entries = [_entry(version, recipient=f"+4479110000{n:02d}") for n in range(7)]
        _entry(version, recipient="+449999000000")
        search = selectors.archive_entry_search(query="+4479110")
        assert ("sort_at" in search.query.annotations) == (
            sparse_below > 7 and connection.vendor == "postgresql"
        )
        newest_first = [e.pk for e in reversed(entries)]
        first = selectors.archive_entry_page(entries=search, size=3)
        assert [e.pk for e in first] == newest_first[:3] and first.total == 7
        second = selectors.archive_entry_page(entries=search, size=3, older=first.older)
        third = selectors.archive_entry_page(entries=search, size=3, older=second.older)
        assert [e.pk for e in second] == newest_first[3:6]
        assert [e.pk for e in third] == newest_first[6:] and not third.older
        back = selectors.archive_entry_page(entries=search, size=3, newer=third.newer)
        assert [e.pk for e in back] == newest_first[3:6]


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
