"""The coverage matrix in a real browser: reached from the catalogue, filtered by state,
each cell opening the version to work on."""

import pytest
from playwright.sync_api import Page, expect

from templates_store import services
from templates_store.models import TemplateVariant
from tests.e2e.session import log_in, screenshot
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import CommunicationFactory, published_version

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def designer(live_server):
    designer = UserFactory(roles=["designer"])
    published_version(communication=CommunicationFactory(key="welcome", name="Welcome"))
    reminder = CommunicationFactory(key="reminder", name="Reminder", owner_team="Billing")
    published_version(communication=reminder)
    draft = services.version_create(communication=reminder, author=designer)
    TemplateVariant.objects.filter(version=draft, channel="sms", locale="ja").update(
        body_text="{{ first_name }}様、お支払いをお願いします。"
    )
    return designer


class MatrixBrowserTests:
    def test_a_designer_finds_what_is_out_of_date_and_opens_it(self, page: Page, designer):
        log_in(page, designer.username)
        page.goto("/communications/")
        page.get_by_role("link", name="Coverage matrix").click()
        matrix = page.locator("#matrix")
        expect(matrix.locator("tbody tr")).to_have_count(2)
        expect(matrix.locator("td[data-state=outdated]")).to_have_count(1)
        screenshot(page, "studio-matrix")

        page.locator("select[name=state]").select_option("outdated")
        page.get_by_role("button", name="Filter").click()
        expect(matrix.locator("tbody tr")).to_have_count(1)
        expect(matrix.locator("tbody tr")).to_contain_text("Reminder")

        matrix.locator("td[data-state=outdated] a").click()
        expect(page.locator("h1")).to_contain_text("Version 2")
        expect(page.locator(".tabs a.active")).to_have_text("Japanese")
