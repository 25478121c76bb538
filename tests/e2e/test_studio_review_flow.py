"""The studio from first draft to publication, in a real browser: a designer creates a
communication in the catalogue, writes its email, SMS and letter in English and Japanese,
sees every channel previewed side by side, is stopped by a lint error and fixes it, and
submits; they cannot approve their own work, even with the approver role and a forged
request; another approver reviews the diff, approves and publishes."""

import json
import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from templates_store.models import Communication, ReviewEvent, TemplateVersion
from tests.channels.pdf_checks import assert_fonts_embedded, page_texts
from tests.e2e.editor import code_editor, replace_text
from tests.e2e.session import log_in, log_out, screenshot
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import BrandFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCHEMA = {
    "type": "object",
    "required": ["first_name", "amount", "due_date"],
    "properties": {
        "first_name": {"type": "string", "title": "First name"},
        "amount": {"type": "number"},
        "due_date": {"type": "string", "format": "date"},
    },
}
SAMPLE_DATA = {"first_name": "花子", "amount": 12000, "due_date": "2026-12-15"}

CONTENT = {
    "en": {
        "email-subject": "Payment of {{ amount|money('JPY') }} due",
        "email-body_html": "<p>Dear {{ first_name }},</p>\n"
        "<p>Please pay {{ amount|money('JPY') }} by {{ due_date|date }}.</p>",
        "sms-body_text": "Acme: {{ first_name }}, {{ amount|money('JPY') }} is due"
        " {{ due_date|date('short') }}.",
        "print-subject": "Payment reminder",
        "print-body_html": "<p>Dear {{ first_name }},</p>\n"
        "<p>Please pay {{ amount|money('JPY') }} by {{ due_date|date }}.</p>",
    },
    "ja": {
        "email-subject": "{{ amount|money('JPY') }}のお支払いについて",
        "email-body_html": "<p>{{ first_name }} 様</p>\n"
        "<p>{{ due_date|date }}までに{{ amount|money('JPY') }}をお支払いください。</p>",
        "sms-body_text": "{{ first_name }}様、{{ due_date|date('short') }}までに"
        "{{ amount|money('JPY') }}をお支払いください。",
        "print-subject": "お支払いのお願い",
        "print-body_html": "<p>{{ first_name }} 様</p>\n"
        "<p>{{ due_date|date }}までに{{ amount|money('JPY') }}をお支払いください。</p>",
    },
}
# An email body that uses a variable the data schema does not have.
UNDECLARED = "<p>Dear {{ first_name }},</p>\n<p>Your code: {{ discount_code }}</p>"


@pytest.fixture
def people(live_server) -> tuple[str, str]:
    BrandFactory()
    # The designer also holds the approver role: the rule that stops them approving is
    # that they wrote the version, not a missing permission.
    UserFactory(username="dana", roles=["designer", "approver"])
    UserFactory(username="arto", roles=["approver"])
    return "dana", "arto"


def create_communication(page: Page) -> None:
    page.goto(reverse("templates_store:communication_list"))
    page.get_by_role("link", name="New communication").click()
    expect(page.locator("main h1")).to_have_text("New communication")
    page.locator("#id_key").fill("payment-due")
    page.locator("#id_name").fill("Payment due")
    page.locator("#id_purpose").select_option("request_payment")
    page.locator("#id_category").select_option("transactional")
    page.locator("#id_owner_team").fill("Billing")
    page.locator("#id_brand").select_option(label="Acme Energy")
    page.locator("#id_data_schema").fill(json.dumps(SCHEMA, indent=2))
    page.get_by_role("button", name="Create").click()
    expect(page.locator(".flash")).to_contain_text("Communication created")
    expect(page.locator("main h1")).to_contain_text("Payment due")


def fill_locale(page: Page, locale: str, **overrides: str) -> None:
    """Open the locale's tab of the editor, type its content and save it."""
    page.locator(".tabs a", has_text={"en": "English", "ja": "Japanese"}[locale]).click()
    expect(page).to_have_url(re.compile(f"locale={locale}$"))
    expect(code_editor(page, "email-body_html")).to_be_visible()
    content = {**CONTENT[locale], **overrides}
    for name, text in content.items():
        if name.endswith("subject"):
            page.locator(f"input[name={name}]").fill(text)
        else:
            replace_text(page, name, text)
    if locale == "en":
        replace_text(page, "sample_data", json.dumps(SAMPLE_DATA, ensure_ascii=False))
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("Saved.")


def expect_previews(page: Page, prefix: str, *, japanese: bool) -> None:
    """Every channel's preview shows rendered content (``prefix``: the preview's id)."""
    email = page.locator(f"#{prefix}-email")
    sms = page.locator(f"#{prefix}-sms")
    letter = page.locator(f"#{prefix}-print")
    for pane in (email, sms, letter):
        expect(pane.locator(".render-error")).to_have_count(0)
    email_body = page.frame_locator(f"#{prefix}-email iframe.email-frame").locator("body")
    if japanese:
        expect(email.locator(".email-subject")).to_contain_text("のお支払いについて")
        expect(email_body).to_contain_text("花子 様")
        expect(email_body).to_contain_text("をお支払いください。")
        expect(sms.locator(".bubble")).to_contain_text("花子様、")
        expect(sms.locator(".sms-meta")).to_contain_text("UCS-2")
        expect(letter.locator(".email-subject")).to_contain_text("お支払いのお願い")
    else:
        expect(email.locator(".email-subject")).to_contain_text("Payment of")
        expect(email_body).to_contain_text("Dear 花子,")
        expect(sms.locator(".bubble")).to_contain_text("Acme: 花子,")
        expect(letter.locator(".email-subject")).to_contain_text("Payment reminder")
    expect(letter.locator("iframe.pdf-frame")).to_have_attribute(
        "src", re.compile(r"letter\.pdf\?locale=")
    )


def letter_text(page: Page, prefix: str) -> str:
    """The text of the PDF the letter preview shows (its fonts embedded)."""
    src = page.locator(f"#{prefix}-print iframe.pdf-frame").get_attribute("src")
    assert src
    response = page.request.get(src)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    assert_fonts_embedded(pdf)
    return "".join(page_texts(pdf))


def csrf_token(page: Page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")


class StudioReviewFlowTests:
    def test_a_communication_goes_from_first_draft_to_published(self, page: Page, people):
        designer, approver = people

        # A designer creates the communication in the catalogue; it comes with a draft.
        log_in(page, designer)
        create_communication(page)
        communication = Communication.objects.get(key="payment-due")
        version = communication.versions.get()
        page.get_by_role("link", name="v1").click()
        expect(page.locator("main h1")).to_contain_text("Version 1")

        # English, with a variable the schema does not know: the editor marks it inline.
        fill_locale(page, "en", **{"email-body_html": UNDECLARED})
        body = code_editor(page, "email-body_html")
        expect(body.locator(".editor-error-marker")).to_have_count(1)
        widgets = body.locator(".editor-error-widget")
        expect(widgets.filter(has_text="is not a field of the data schema")).to_have_text(
            "Line 2: 'discount_code' is not a field of the data schema"
        )
        expect(widgets.filter(has_text="is undefined")).to_have_text(
            "Line 2: 'discount_code' is undefined"
        )
        checks = page.locator("#checks")
        expect(checks.locator("h2 .badge")).to_contain_text("error")
        undeclared = checks.locator("tr.issue-error", has_text="is not a field of the data schema")
        expect(undeclared).to_contain_text("discount_code")
        expect(undeclared).to_contain_text("email/en · body_html · line 2")
        expect(checks.locator("tr.issue-error").filter(has_not_text="discount_code")).to_have_count(
            0
        )

        # Lint blocks the submission.
        page.get_by_role("button", name="Submit for review").click()
        expect(page.locator(".flash").first).to_contain_text("The version was not submitted")
        expect(page.locator(".flash", has_text="discount_code")).to_be_visible()
        version.refresh_from_db()
        assert version.status == TemplateVersion.Status.DRAFT

        # The designer fixes it, then writes the Japanese variants.
        fill_locale(page, "en")
        expect(body.locator(".editor-error-marker")).to_have_count(0)
        expect_previews(page, "preview", japanese=False)
        fill_locale(page, "ja")
        expect(page.locator("#checks h2")).to_contain_text("ready for review", timeout=30_000)
        expect(page.locator("#checks")).not_to_contain_text("discount_code")
        for variant in ("email/en", "email/ja", "sms/en", "sms/ja", "print/en", "print/ja"):
            expect(page.locator(".tabs .chips")).to_contain_text(variant)

        # Every channel of the draft side by side, Japanese included, the letter as a PDF.
        grid = page.locator("#preview.preview-grid")
        expect(grid.locator(".preview-channel")).to_have_count(3)
        expect_previews(page, "preview", japanese=True)
        assert "をお支払いください" in letter_text(page, "preview")
        # A frame outside the viewport is not painted in a full-page screenshot.
        grid.scroll_into_view_if_needed()
        screenshot(page, "studio-review-flow-preview")

        page.get_by_role("button", name="Submit for review").click()
        expect(page.locator(".flash")).to_contain_text("Submitted for review")
        expect(page.locator("main h1 .badge")).to_have_text("In review")
        expect(page.get_by_role("button", name="Submit for review")).to_have_count(0)
        expect(page.locator("#editor")).to_have_count(0)

        # The author cannot approve: no button on the review page, and a forged request
        # is refused.
        page.get_by_role("link", name="Open the review").click()
        expect(page.locator("main h1")).to_contain_text("Review of version 1")
        expect(page.locator("main")).to_contain_text("You wrote this version")
        expect(page.get_by_role("button", name="Approve")).to_have_count(0)
        approve_url = reverse("templates_store:version_approve", args=[version.pk])
        forged = page.request.post(
            approve_url,
            form={"csrfmiddlewaretoken": csrf_token(page), "comment": "Looks fine to me"},
        )
        assert forged.ok  # back on the review page, with the refusal
        assert "Nobody approves their own work" in forged.text()
        version.refresh_from_db()
        assert version.status == TemplateVersion.Status.IN_REVIEW
        assert version.approved_by is None
        assert not version.events.filter(action=ReviewEvent.Action.APPROVED).exists()
        log_out(page)

        # Another approver finds it among the reviews and sees what changed.
        log_in(page, approver)
        page.goto(reverse("templates_store:review_list"))
        waiting = page.locator("table.data tbody tr", has_text="payment-due")
        expect(waiting.locator(".badge")).to_have_text("In review")
        waiting.get_by_role("link", name="v1").click()
        expect(page.locator("main h1")).to_contain_text("Review of version 1")
        expect(page.locator("main")).to_contain_text("Changes (nothing is published yet)")
        sms_ja = page.locator(".diff-field[data-channel=sms][data-locale=ja]")
        expect(sms_ja.locator("h3")).to_contain_text("added")
        expect(sms_ja.locator("tr.insert")).to_contain_text("をお支払いください。")
        expect(page.locator(".diff-field[data-channel=print][data-locale=en]")).to_have_count(2)
        page.locator(".tabs a", has_text="Japanese").click()
        expect(page).to_have_url(re.compile(r"locale=ja$"))
        expect_previews(page, "preview-new", japanese=True)
        assert "をお支払いください" in letter_text(page, "preview-new")
        expect(page.locator("#checks h2")).to_contain_text("ready for review", timeout=30_000)
        # The previews are stacked, taller than the window: show the whole page at once.
        height = page.evaluate("document.documentElement.scrollHeight")
        page.set_viewport_size({"width": 1280, "height": height})
        expect(page.frame_locator("#preview-new-email iframe").locator("body")).to_be_visible()
        screenshot(page, "studio-review-flow-review")
        page.set_viewport_size({"width": 1280, "height": 900})

        page.locator("#review-form textarea[name=comment]").fill("Clear and correct.")
        page.locator("#review-form").get_by_role("button", name="Approve").click()
        expect(page.locator(".flash")).to_contain_text("Version 1 approved.")
        expect(page.locator("main h1 .badge")).to_have_text("Approved")
        expect(page.get_by_role("button", name="Approve")).to_have_count(0)

        page.locator("#publish-form").get_by_role("button", name="Publish").click()
        expect(page.locator(".flash")).to_contain_text("Version 1 published.")
        expect(page.locator("main h1")).to_contain_text("Payment due")
        row = page.locator("table.data tbody tr", has_text="v1")
        expect(row.locator(".badge")).to_have_text("Published")
        expect(row).to_contain_text(approver)

        version.refresh_from_db()
        assert version.status == TemplateVersion.Status.PUBLISHED
        assert version.approved_by is not None and version.approved_by.username == approver
        actions = list(version.events.order_by("pk").values_list("action", flat=True))
        assert actions[-3:] == [
            ReviewEvent.Action.SUBMITTED,
            ReviewEvent.Action.APPROVED,
            ReviewEvent.Action.PUBLISHED,
        ]
