"""The editor in a real browser: typing re-renders the preview live (htmx), the letter
PDF loads in its frame, and saving keeps the content."""

import os
import re
import shutil

import pytest
from django.urls import reverse

from templates_store import services
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import PAYMENT_SCHEMA, SAMPLE, BrandFactory, add_variants

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHROMIUM = (
    os.environ.get("CCM_E2E_CHROMIUM")
    or shutil.which("chromium")
    or shutil.which("chromium-browser")
)


@pytest.fixture
def draft_version(live_server):
    """Created before the browser starts: Playwright's sync API runs the test in a greenlet
    with its own context, where ORM calls would open a connection nobody closes."""
    designer = UserFactory(roles=["designer"])
    communication = services.communication_create(
        key="reminder",
        name="Reminder",
        category="transactional",
        brand=BrandFactory(),
        author=designer,
        data_schema=PAYMENT_SCHEMA,
    )
    version = communication.versions.get()
    services.version_sample_data_save(version=version, sample_data=SAMPLE)
    add_variants(version)
    return version


@pytest.fixture
def page(draft_version, live_server):
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright runs an event loop in this thread; the test's own ORM calls are still
    # plain synchronous ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
        except sync_api.Error as exc:
            pytest.skip(f"no usable browser: {exc}")
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        try:
            yield page
        finally:
            page.wait_for_load_state("networkidle")
            browser.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def login(page, live_server, user):
    page.goto(f"{live_server.url}{reverse('login')}")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "pass-word-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/**")


class EditorBrowserTests:
    def test_typing_rerenders_the_preview_and_save_keeps_it(self, draft_version, page, live_server):
        from playwright.sync_api import expect

        version = draft_version
        login(page, live_server, version.author)

        editor_url = reverse("templates_store:version_detail", args=[version.pk])
        with page.expect_response(lambda r: "letter.pdf" in r.url) as first_pdf:
            page.goto(f"{live_server.url}{editor_url}?locale=en")
        assert first_pdf.value.headers["content-type"] == "application/pdf"
        expect(page.locator("#preview-email iframe.email-frame")).to_have_count(1)
        expect(page.locator("#checks")).to_contain_text("ready for review", timeout=30_000)

        sms = page.locator("textarea[name=sms-body_text]")
        sms.click()
        page.keyboard.press("End")
        sms.press_sequentially(" Reply STOP to opt out.")
        expect(page.locator("#preview-sms .bubble")).to_contain_text("Reply STOP to opt out.")
        expect(page.locator("#preview-sms")).to_contain_text("GSM-7")

        email = page.locator("textarea[name=email-body_html]")
        email.click()
        page.keyboard.press("Control+End")
        email.press_sequentially("\n<p>{{ amount | }}</p>")
        expect(page.locator("#preview-email .render-error")).to_contain_text("body_html, line 2")

        letter = page.locator("textarea[name=print-body_html]")
        letter.click()
        page.keyboard.press("Control+End")
        with page.expect_response(lambda r: "letter.pdf" in r.url and "draft=1" in r.url) as pdf:
            letter.press_sequentially("<p>Thank you.</p>")
        assert pdf.value.headers["content-type"] == "application/pdf"

        page.click("button.primary:has-text('Save')")
        page.wait_for_load_state()
        expect(page.locator(".flash")).to_contain_text("Saved")
        expect(page.locator(".render-error-inline")).to_contain_text("Line 2")
        expect(page.locator("textarea[name=sms-body_text]")).to_have_value(
            re.compile(r"Reply STOP to opt out\.$")
        )
        expect(page.locator("#preview-sms .bubble")).to_contain_text("Reply STOP to opt out.")
