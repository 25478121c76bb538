"""Each role, logged in through the real form in a real browser, sees exactly its sections
in the navigation, can open them, and gets 403 on the others."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from ccm.context_processors import NAVIGATION
from ccm.roles import APPROVER, AUDITOR, COMPLIANCE_OFFICER, DESIGNER, OPERATOR
from tests.e2e.session import log_in, log_out, screenshot
from tests.factories.ccm import UserFactory

pytestmark = pytest.mark.e2e

COMMUNICATIONS = "templates_store:communication_list"
REVIEWS = "templates_store:review_list"
SHARED = "templates_store:shared_list"
BATCHES = "channels:batch_list"
CUSTOMERS = "customers:customer_list"
ARCHIVE = "compliance:entry_list"
ACCESS_LOG = "compliance:access_log"
INSIGHT = "insight:dashboard"

# The sections each role works in, in navigation order.
SECTIONS = {
    DESIGNER: [COMMUNICATIONS, SHARED, INSIGHT],
    APPROVER: [COMMUNICATIONS, REVIEWS, SHARED, INSIGHT],
    OPERATOR: [COMMUNICATIONS, SHARED, BATCHES, CUSTOMERS, INSIGHT],
    COMPLIANCE_OFFICER: [COMMUNICATIONS, SHARED, BATCHES, CUSTOMERS, ARCHIVE],
    AUDITOR: [COMMUNICATIONS, SHARED, BATCHES, CUSTOMERS, ARCHIVE, ACCESS_LOG],
}
EVERY_SECTION = [url_name for _, url_name, _ in NAVIGATION]


def _nav_hrefs(page: Page) -> list[str]:
    return page.locator("nav.mainnav a").evaluate_all(
        "links => links.map(link => link.getAttribute('href'))"
    )


class RoleNavigationTests:
    def test_it_covers_every_section_of_the_navigation(self):
        assert sorted({name for names in SECTIONS.values() for name in names}) == sorted(
            EVERY_SECTION
        )

    @pytest.mark.parametrize("role", list(SECTIONS))
    def test_each_role_sees_and_opens_only_its_own_sections(self, page: Page, role: str):
        user = UserFactory(roles=[role])
        allowed = [reverse(name) for name in EVERY_SECTION if name in SECTIONS[role]]
        forbidden = [reverse(name) for name in EVERY_SECTION if name not in SECTIONS[role]]

        log_in(page, user.username)

        assert _nav_hrefs(page) == allowed
        screenshot(page, f"role-{role}")
        for url in allowed:
            response = page.goto(url)
            assert response is not None and response.status == 200, url
            expect(page.locator(f"nav.mainnav a[href='{url}']")).to_have_class(re.compile("active"))
            expect(page.locator("main h1").first).to_be_visible()
            expect(page.locator("main h1").first).not_to_have_text("Not allowed")
        for url in forbidden:
            response = page.goto(url)
            assert response is not None and response.status == 403, url
            expect(page.locator("main h1")).to_have_text("Not allowed")

        page.goto("/")
        log_out(page)
        page.goto(allowed[0])
        expect(page).to_have_url(re.compile(r"/login/\?next="))


class LanguageSwitcherTests:
    def test_it_switches_the_interface_to_japanese_and_back(self, page: Page):
        user = UserFactory(roles=[OPERATOR])
        log_in(page, user.username)
        batches = reverse(BATCHES)
        page.goto(batches)
        expect(page.locator("html")).to_have_attribute("lang", "en")

        page.locator(".topbar select[name=language]").select_option("ja")

        expect(page.locator("html")).to_have_attribute("lang", "ja")
        expect(page).to_have_url(re.compile(f"{re.escape(batches)}$"))
        expect(page.locator(".topbar select[name=language]")).to_have_value("ja")
        # The choice is kept for the next pages.
        page.goto(reverse(CUSTOMERS))
        expect(page.locator("html")).to_have_attribute("lang", "ja")
        screenshot(page, "language-ja")

        page.locator(".topbar select[name=language]").select_option("en")
        expect(page.locator("html")).to_have_attribute("lang", "en")
