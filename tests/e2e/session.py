"""Steps every browser test takes: log in and out through the real forms, keep screenshots
in ``test-artifacts/`` at the repository root."""

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.totp import totp_code, totp_code_for_key

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# The password tests.factories.ccm.UserFactory gives every user.
PASSWORD = "pass-word-123"


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Log in through the login form, as a person would. Roles that need a second factor
    enrol an authenticator the first time (the code is computed from the key the page
    shows) and type its code afterwards."""
    page.goto("/login/")
    page.locator("main input[name=username]").fill(username)
    page.locator("main input[name=password]").fill(password)
    page.locator("main button[type=submit]").click()
    done = page.locator(".topbar .whoami")
    code_field = page.locator("main input[name=token]")
    expect(done.or_(code_field)).to_be_visible()
    if code_field.count():
        if "/login/enrol/" in page.url:
            code = totp_code_for_key(page.locator("[data-totp-key]").inner_text().strip())
        else:
            from django_otp.plugins.otp_totp.models import TOTPDevice

            code = totp_code(TOTPDevice.objects.get(user__username=username, confirmed=True))
        code_field.fill(code)
        page.locator("main button[type=submit]").click()
    expect(done).to_have_text(username)


def log_out(page: Page) -> None:
    page.locator(".topbar form[action='/logout/'] button").click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.locator(".topbar .whoami")).to_have_count(0)
