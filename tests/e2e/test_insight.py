"""The insight dashboard, a communication's page and a batch's page in a real browser:
the charts (server-side SVG) show the seeded figures; screenshots in test-artifacts/."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.session import log_in, screenshot
from tests.factories.ccm import UserFactory
from tests.insight.seed import seed

pytestmark = pytest.mark.e2e


def _chart(page: Page, name: str) -> str:
    chart = page.locator(f"svg[data-chart='{name}']")
    expect(chart).to_be_visible()
    return chart.evaluate("svg => svg.outerHTML")


class InsightPagesTests:
    def test_dashboard_communication_and_batch_pages_chart_the_seeded_data(self, page: Page):
        data = seed()
        user = UserFactory(roles=["operator"])
        log_in(page, user.username)

        page.locator("nav.mainnav a[href='/insight/']").click()
        expect(page.locator("h1")).to_have_text("Insight")
        expect(page.locator("[data-kpi='sent']")).to_have_text("14")  # 10 bills + 4 news
        daily = _chart(page, "daily-channels")
        assert "Email" in daily and "SMS" in daily and "Letter" in daily
        rates = _chart(page, "rates")
        # Emails: 10 sent (6 bills, 4 news), 5 delivered, 4 opened.
        assert "Delivered" in rates and "50.0%" in rates and "40.0%" in rates
        matrix = _chart(page, "matrix")
        assert "Request payment" in matrix and "Notify" in matrix
        fallbacks = _chart(page, "fallbacks")
        assert "Email → Letter" in fallbacks
        screenshot(page, "insight-dashboard")

        page.locator(
            f"#insight-communications a[href='/insight/communications/{data.bills.key}/']"
        ).click()
        expect(page.locator("[data-kpi='delivery_rate']")).to_have_text("75.0%")
        versions = _chart(page, "versions")
        assert ">v1<" in versions and ">v2<" in versions
        assert "25.0%" in versions and "100.0%" in versions  # click rate v1, v2
        survey = _chart(page, "survey-nps")
        assert ">10<" in survey  # the 0..10 scale
        expect(page.locator("#table-survey td[data-nps]")).to_have_text("16.7")
        screenshot(page, "insight-communication")

        page.goto(f"/insight/batches/{data.batch1.pk}/")
        expect(page.locator("h1")).to_contain_text(f"Batch {data.batch1.pk}")
        expect(page.locator("[data-kpi='sent']")).to_have_text("8")
        costs = _chart(page, "costs")
        assert "Letter" in costs
        expect(page.locator("#print-figures")).to_contain_text("5")
        screenshot(page, "insight-batch")

    def test_japanese_dashboard(self, page: Page):
        seed()
        user = UserFactory(roles=["designer"])
        log_in(page, user.username)
        page.goto("/insight/")
        page.locator(".topbar select[name=language]").select_option("ja")
        expect(page.locator("html")).to_have_attribute("lang", "ja")
        expect(page.locator("h1")).to_have_text("インサイト")
        daily = _chart(page, "daily-channels")
        assert "日別・チャネル別のメッセージ数" in daily and "メール" in daily
        assert "推奨度" in _chart(page, "survey-nps")
        screenshot(page, "insight-dashboard-ja")
