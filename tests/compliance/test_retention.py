import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.utils import timezone

from compliance.models import ArchiveEntry, Tombstone
from compliance.retention import add_years, archive_purge, legal_hold_create, legal_hold_release
from compliance.services import archive_record_create, archive_seal
from compliance.verification import archive_verify
from tests.factories.ccm import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import CommunicationFactory, published_version

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def _entry(category="transactional", customer=None, content=None):
    version = published_version(communication=CommunicationFactory(category=category))
    return archive_record_create(
        content=content or f"text {ArchiveEntry.objects.count()} {category}".encode(),
        content_type="text/plain",
        message=None,
        version=version,
        channel="sms",
        locale="en",
        recipient="+447700900001",
        data={"x": 1},
        customer=customer,
        is_test=True,
    )


class RetentionTests:
    def test_entries_are_purged_only_after_their_category_retention(self, settings):
        settings.CCM_RETENTION_YEARS = {"regulatory": 7, "transactional": 6, "marketing": 2}
        marketing, transactional, regulatory = (
            _entry("marketing"),
            _entry("transactional"),
            _entry("regulatory"),
        )
        run = archive_purge(now=add_years(NOW, 3))
        assert (run.expired, run.purged) == (1, 1)
        assert not ArchiveEntry.objects.filter(pk=marketing.pk).exists()
        assert archive_purge(now=add_years(NOW, 6) + dt.timedelta(days=1)).purged == 1
        assert ArchiveEntry.objects.filter(pk=regulatory.pk).exists()
        assert not ArchiveEntry.objects.filter(pk=transactional.pk).exists()

    def test_the_longest_applicable_retention_wins(self, settings):
        settings.CCM_RETENTION_YEARS = {"regulatory": 7, "transactional": 6, "marketing": 2}
        entry = _entry("marketing")
        # The communication became regulatory after the entry was sent.
        entry.communication.category = "regulatory"
        entry.communication.save()
        assert archive_purge(now=add_years(NOW, 3)).purged == 0

    def test_a_dry_run_changes_nothing(self, settings):
        settings.CCM_RETENTION_YEARS = {"regulatory": 7, "transactional": 6, "marketing": 2}
        _entry("marketing")
        run = archive_purge(now=add_years(NOW, 3), dry_run=True)
        assert run.purged == 1 and run.pk is None
        assert ArchiveEntry.objects.count() == 1

    def test_purge_removes_the_artifact_and_leaves_a_tombstone_that_keeps_the_chain_valid(
        self, settings
    ):
        settings.CCM_RETENTION_YEARS = {"regulatory": 7, "transactional": 6, "marketing": 2}
        old, kept = _entry("marketing"), _entry("regulatory")
        archive_seal(settle_seconds=0)
        run = archive_purge(now=add_years(NOW, 3))
        assert run.artifacts_deleted == 1
        assert not storages["archive"].exists(old.artifact_name)
        assert Tombstone.objects.get(entry_id=old.pk).purge_run == run
        report = archive_verify()
        assert report.ok, report.problems
        assert (report.entries, report.purged) == (1, 1)
        assert ArchiveEntry.objects.filter(pk=kept.pk).exists()

    def test_a_shared_artifact_stays_while_another_entry_uses_it(self, settings):
        settings.CCM_RETENTION_YEARS = {"regulatory": 7, "transactional": 6, "marketing": 2}
        old = _entry("marketing", content=b"identical")
        _entry("regulatory", content=b"identical")
        archive_purge(now=add_years(NOW, 3))
        assert storages["archive"].exists(old.artifact_name)


class LegalHoldTests:
    def test_held_entries_are_never_purged_until_the_hold_is_released(self, settings):
        settings.CCM_RETENTION_YEARS = {"regulatory": 7, "transactional": 6, "marketing": 2}
        customer = CustomerFactory()
        held, other = _entry("marketing", customer=customer), _entry("marketing")
        officer = UserFactory(roles=["compliance_officer"])
        hold = legal_hold_create(owner=officer, reason="Litigation 2026-114", customer=customer)
        run = archive_purge(now=add_years(NOW, 3))
        assert (run.expired, run.held, run.purged) == (2, 1, 1)
        assert ArchiveEntry.objects.filter(pk=held.pk).exists()
        assert not ArchiveEntry.objects.filter(pk=other.pk).exists()
        legal_hold_release(hold=hold, actor=officer, reason="Case closed")
        assert archive_purge(now=add_years(NOW, 3)).purged == 1

    def test_a_date_range_hold_keeps_entries_inside_the_range_only(self, settings):
        settings.CCM_RETENTION_YEARS = {"regulatory": 7, "transactional": 6, "marketing": 2}
        entry = _entry("marketing")
        legal_hold_create(
            owner=UserFactory(),
            reason="Audit",
            date_from=NOW - dt.timedelta(days=1),
            date_to=NOW + dt.timedelta(days=1),
        )
        assert archive_purge(now=add_years(NOW, 3)).held == 1
        assert ArchiveEntry.objects.filter(pk=entry.pk).exists()

    def test_a_hold_needs_a_reason_and_a_scope(self):
        with pytest.raises(ValidationError):
            legal_hold_create(owner=UserFactory(), reason=" ", customer=CustomerFactory())
        with pytest.raises(ValidationError):
            legal_hold_create(owner=UserFactory(), reason="why")
