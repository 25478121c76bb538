"""The editor in a real browser: CodeMirror replaces the textareas, typing re-renders the
preview live (htmx), errors are marked on their lines, the palette inserts at the cursor,
the letter PDF loads in its frame, and saving keeps the content."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from templates_store import services
from templates_store.models import TemplateVersion
from tests.e2e.editor import code_editor as editor
from tests.e2e.editor import replace_text, type_at_end
from tests.e2e.session import log_in, screenshot
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import SAMPLE, BrandFactory, add_variants

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCHEMA = {
    "type": "object",
    "required": ["first_name", "amount", "due_date"],
    "properties": {
        "first_name": {"type": "string", "title": "First name"},
        "amount": {"type": "number"},
        "due_date": {"type": "string", "format": "date"},
        "account": {
            "type": "object",
            "properties": {"number": {"type": "string", "title": "Account number"}},
        },
    },
}


@pytest.fixture
def draft_version(live_server) -> TemplateVersion:
    designer = UserFactory(roles=["designer"])
    communication = services.communication_create(
        key="reminder",
        name="Reminder",
        category="transactional",
        brand=BrandFactory(),
        author=designer,
        data_schema=SCHEMA,
    )
    version = communication.versions.get()
    services.version_sample_data_save(
        version=version, sample_data={**SAMPLE, "account": {"number": "AC-1234"}}
    )
    return add_variants(version)


def open_editor(page: Page, version: TemplateVersion) -> None:
    log_in(page, version.author.username)
    url = reverse("templates_store:version_detail", args=[version.pk])
    with page.expect_response(lambda r: "letter.pdf" in r.url) as first_pdf:
        page.goto(f"{url}?locale=en")
    assert first_pdf.value.headers["content-type"] == "application/pdf"


class EditorBrowserTests:
    def test_typing_rerenders_the_preview_and_save_keeps_it(self, page: Page, draft_version):
        open_editor(page, draft_version)
        expect(page.locator("#preview-email iframe.email-frame")).to_have_count(1)
        expect(page.locator("#checks")).to_contain_text("ready for review", timeout=30_000)

        # The textareas are still in the form (submitted), behind the code editors.
        expect(page.locator("textarea[name=sms-body_text]")).to_be_hidden()
        expect(
            editor(page, "sms-body_text").locator(".CodeMirror-code .CodeMirror-linenumber").first
        ).to_be_visible()

        type_at_end(page, "sms-body_text", " Reply STOP to opt out.")
        expect(page.locator("#preview-sms .bubble")).to_contain_text("Reply STOP to opt out.")
        expect(page.locator("#preview-sms")).to_contain_text("GSM-7")

        type_at_end(page, "email-body_html", "\n<p>{{ amount | }}</p>")
        expect(page.locator("#preview-email .render-error")).to_contain_text("body_html, line 2")

        with page.expect_response(lambda r: "letter.pdf" in r.url and "draft=1" in r.url) as pdf:
            type_at_end(page, "print-body_html", "<p>Thank you.</p>")
        assert pdf.value.headers["content-type"] == "application/pdf"

        page.click("button.primary:has-text('Save')")
        page.wait_for_load_state()
        expect(page.locator(".flash")).to_contain_text("Saved")
        expect(page.locator(".render-error-inline")).to_contain_text("Line 2")
        expect(page.locator("textarea[name=sms-body_text]")).to_have_value(
            re.compile(r"Reply STOP to opt out\.$")
        )
        expect(page.locator("#preview-sms .bubble")).to_contain_text("Reply STOP to opt out.")

    def test_an_undefined_variable_is_marked_on_its_line_and_the_palette_inserts(
        self, page: Page, draft_version
    ):
        open_editor(page, draft_version)
        body = editor(page, "email-body_html")
        expect(body.locator(".cm-tag").first).to_be_visible()  # highlighted HTML
        expect(body.locator(".editor-error-marker")).to_have_count(0)

        type_at_end(page, "email-body_html", "\n<p>Code: {{ discount_code }}</p>")
        expect(page.locator("#preview-email .render-error")).to_contain_text("discount_code")
        expect(body.locator(".editor-error-marker")).to_have_count(1)
        widget = body.locator(".editor-error-widget").first
        expect(widget).to_contain_text("Line 2")
        expect(widget).to_contain_text("'discount_code' is not a field of the data schema")
        screenshot(page, "studio-editor-inline-error")

        # Fix it: take the line away; the marker goes with the next preview.
        page.keyboard.press("Shift+Home")
        page.keyboard.press("Backspace")
        page.keyboard.press("Backspace")
        expect(body.locator(".editor-error-marker")).to_have_count(0)
        expect(page.locator("#preview-email .render-error")).to_have_count(0)

        # The sample data is an editor too: a JSON error is marked on its line, and the
        # preview follows it.
        type_at_end(page, "sample_data", "\n,")
        sample = editor(page, "sample_data")
        expect(sample.locator(".editor-error-marker")).to_have_count(1)
        expect(sample.locator(".editor-error-widget")).to_contain_text("Not valid JSON")
        replace_text(
            page,
            "sample_data",
            '{"first_name": "Kenji", "amount": 99, "due_date": "2026-12-01",'
            ' "account": {"number": "AC-1234"}}',
        )
        expect(page.locator("#preview-sms .bubble")).to_contain_text("Kenji")
        expect(sample.locator(".editor-error-marker")).to_have_count(0)

        # The palette lists nested schema paths and inserts at the SMS editor's cursor.
        type_at_end(page, "sms-body_text", " Account: ")
        page.locator("#palette button[data-insert='{{ account.number }}']").click()
        expect(page.locator("#preview-sms .bubble")).to_contain_text("Account: AC-1234")
        expect(page.locator("textarea[name=sms-body_text]")).to_have_value(
            re.compile(r"Account: \{\{ account\.number \}\}$")
        )
        screenshot(page, "studio-editor-palette")
