"""Steps every browser test takes: log in and out through the real forms, keep screenshots
in ``test-artifacts/`` at the repository root."""

import re
from pathlib import Path

from playwright.sync_api import Page, expect

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# The password tests.factories.ccm.UserFactory gives every user.
PASSWORD = "pass-word-123"


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Log in through the login form, as a person would."""
    page.goto("/login/")
    page.locator("main input[name=username]").fill(username)
    page.locator("main input[name=password]").fill(password)
    page.locator("main button[type=submit]").click()
    expect(page.locator(".topbar .whoami")).to_have_text(username)


def log_out(page: Page) -> None:
    page.locator(".topbar form[action='/logout/'] button").click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.locator(".topbar .whoami")).to_have_count(0)
