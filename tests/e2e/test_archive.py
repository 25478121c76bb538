"""A compliance officer finds a sent email in the archive and sees it as the customer got it."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from ccm.roles import COMPLIANCE_OFFICER
from channels import services
from channels.models import Batch
from compliance.models import AccessLog, ArchiveEntry
from tests.e2e.session import log_in, screenshot
from tests.factories.ccm import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import published_version

pytestmark = pytest.mark.e2e


class ArchiveBrowsingTests:
    def test_a_compliance_officer_opens_a_sent_email_from_the_archive(self, page: Page):
        version = published_version()
        customer = CustomerFactory(channel_preference=["email"], locale="ja", name="山田 花子")
        data = {"first_name": "花子", "amount": 5400, "due_date": "2026-12-15"}
        # Celery is eager in tests: the batch is sent and archived when it is committed.
        batch = services.batch_create(
            communication=version.communication,
            rows=[{"customer_id": customer.external_id, "data": data}],
            created_by=UserFactory(),
        )
        batch.refresh_from_db()
        assert batch.status == Batch.Status.COMPLETED
        entry = ArchiveEntry.objects.get(message__batch=batch, is_test=False)
        officer = UserFactory(roles=[COMPLIANCE_OFFICER])

        log_in(page, officer.username)
        page.locator("nav.mainnav a", has_text="Archive").click()
        expect(page).to_have_url(re.compile(f"{re.escape(reverse('compliance:entry_list'))}$"))
        row = page.locator("table.data tbody tr", has_text=customer.external_id)
        expect(row).to_contain_text(entry.subject)
        row.locator("a").first.click()

        detail_url = reverse("compliance:entry_detail", args=[entry.pk])
        expect(page).to_have_url(re.compile(f"{re.escape(detail_url)}$"))
        expect(page.locator("#integrity")).to_have_class(re.compile(r"\bok\b"))
        expect(page.locator("#integrity")).to_contain_text(entry.artifact_sha256)
        headers = page.locator("#email-headers")
        expect(headers).to_contain_text(entry.subject)
        expect(headers).to_contain_text(entry.message_reference)
        expect(headers).to_contain_text(customer.email)
        html_part = page.frame_locator("iframe.email-frame").locator("body")
        expect(html_part).to_contain_text("花子 様")
        expect(html_part).to_contain_text("お支払いください")
        screenshot(page, "archive-email-entry")

        looked = AccessLog.objects.filter(actor=officer)
        assert looked.filter(action=AccessLog.Action.SEARCH).exists()
        assert looked.filter(action=AccessLog.Action.VIEW, entry=entry).exists()
