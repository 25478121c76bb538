"""A compliance officer finds a sent email in the archive and sees it as the customer got it."""

import re
import zipfile

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from ccm.roles import COMPLIANCE_OFFICER
from channels import services
from channels.models import Batch
from compliance.models import AccessLog, ArchiveEntry
from tests.e2e.session import log_in, log_out, screenshot
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

    def test_a_compliance_officer_finds_a_customers_letter_and_email_and_exports_them(
        self, page: Page
    ):
        version = published_version()
        customer = CustomerFactory(name="Emma Clarke")
        data = {"first_name": "Emma", "amount": 120.5, "due_date": "2026-12-15"}
        services.batch_create(
            communication=version.communication,
            rows=[
                {"customer_id": customer.external_id, "channel": "email", "data": data},
                {"customer_id": customer.external_id, "channel": "print", "data": data},
            ],
            created_by=UserFactory(),
        )
        letter = ArchiveEntry.objects.get(customer=customer, channel="print")
        email = ArchiveEntry.objects.get(customer=customer, channel="email")
        officer = UserFactory(roles=[COMPLIANCE_OFFICER])

        log_in(page, officer.username)
        page.goto(f"{reverse('compliance:entry_list')}?q={customer.external_id}")
        rows = page.locator("table.data tbody tr")
        expect(rows).to_have_count(2)

        page.goto(reverse("compliance:entry_detail", args=[letter.pk]))
        expect(page.locator("#integrity")).to_have_class(re.compile(r"\bok\b"))
        # The frame's own load (Chromium's PDF viewer fetches the file again, without a
        # referer, and Playwright reports that answer without headers).
        with page.expect_response(
            lambda r: "/artifact/" in r.url and "referer" in r.request.headers
        ) as pdf:
            page.reload()
        assert pdf.value.headers["content-type"] == "application/pdf"
        screenshot(page, "archive-letter-entry")

        page.goto(reverse("compliance:entry_detail", args=[email.pk]))
        expect(page.locator("#email-headers")).to_contain_text(email.subject)

        page.goto(f"{reverse('compliance:entry_list')}?q={customer.external_id}")
        export = page.locator("#evidence-export")
        export.locator("textarea").fill("Complaint 2026-331: what the customer was sent")
        with page.expect_download() as download_info:
            export.locator("button[value=customer]").click()
        zip_path = download_info.value.path()
        with zipfile.ZipFile(zip_path) as archive:
            names = set(archive.namelist())
        assert {f"artifacts/{letter.pk}.pdf", f"artifacts/{email.pk}.eml", "SHA256SUMS"} <= names

        auditor = UserFactory(roles=["auditor"])
        log_out(page)
        log_in(page, auditor.username)
        page.goto(reverse("compliance:access_log"))
        log_table = page.locator("table.data")
        expect(log_table).to_contain_text(officer.username)
        expect(log_table).to_contain_text("Complaint 2026-331")
        screenshot(page, "archive-access-log")
        actions = set(AccessLog.objects.filter(actor=officer).values_list("action", flat=True))
        assert {"search", "view", "export"} <= actions
