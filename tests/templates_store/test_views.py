import io
import json

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from pypdf import PdfReader

from channels.backends.sms import locmem as sms_locmem
from compliance.models import ArchiveEntry
from templates_store import services
from templates_store.models import Communication, TemplateVariant, TemplateVersion
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import (
    BrandFactory,
    CommunicationFactory,
    VerifiedPhoneFactory,
    published_version,
)

pytestmark = pytest.mark.django_db
Status = TemplateVersion.Status


def url(name, *args):
    return reverse(f"templates_store:{name}", args=args)


def flashes(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def catalogue_reader():
    """Someone who may see the catalogue but not template content (as an operator)."""
    user = UserFactory()
    user.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="templates_store", codename="view_communication"
        )
    )
    return user


def editor_post(version, locale="en", **overrides):
    """The editor form as the browser posts it, from the version's saved content."""
    variants = {(v.channel, v.locale): v for v in version.variants.all()}
    data = {"locale": locale, "sample_data": json.dumps(version.sample_data)}
    for channel, fields in {
        "email": ("subject", "body_html", "body_text"),
        "sms": ("body_text",),
        "print": ("subject", "body_html"),
    }.items():
        variant = variants.get((channel, locale))
        for field in fields:
            data[f"{channel}-{field}"] = getattr(variant, field) if variant else ""
    data.update(overrides)
    return data


class CommunicationListTests:
    def test_it_shows_what_each_communication_covers_and_which_version_is_published(
        self, client, designer, draft
    ):
        published = published_version(communication=CommunicationFactory(key="welcome-pack"))
        client.force_login(designer)
        response = client.get(url("communication_list"))
        assert response.status_code == 200
        rows = {row.communication.key: row for row in response.context["page"]}
        assert rows["reminder"].locales == ("en", "ja")
        assert [value for value, _ in rows["reminder"].channels] == ["email", "sms", "print"]
        assert rows["reminder"].published_number is None
        assert rows["welcome-pack"].published_number == published.number
        html = response.content.decode()
        assert "Billing" in html and "Request payment" in html
        assert url("communication_create") in html

    def test_it_searches_by_key_or_name_and_filters_by_category_and_channel(
        self, client, designer, draft
    ):
        CommunicationFactory(key="promo", name="Spring offer", category="marketing")
        services.variant_delete(version=draft, channel="sms", locale="en")
        services.variant_delete(version=draft, channel="sms", locale="ja")
        client.force_login(designer)

        def keys(**params):
            response = client.get(url("communication_list"), params)
            return [row.communication.key for row in response.context["page"]]

        assert keys(q="spring") == ["promo"]
        assert keys(q="remind") == ["reminder"]
        assert keys(category="marketing") == ["promo"]
        assert keys(channel="email") == ["reminder"]
        assert keys(channel="sms") == []

    def test_it_filters_by_purpose_owner_team_and_language_and_searches_descriptions(
        self, client, designer, draft
    ):
        CommunicationFactory(
            key="promo",
            name="Spring offer",
            category="marketing",
            purpose="advertise",
            owner_team="Marketing",
            description="Seasonal discount for loyal customers.",
        )
        for channel in ("email", "sms", "print"):
            services.variant_delete(version=draft, channel=channel, locale="ja")
        client.force_login(designer)

        def keys(**params):
            response = client.get(url("communication_list"), params)
            return sorted(row.communication.key for row in response.context["page"])

        assert keys(purpose="advertise") == ["promo"]
        assert keys(purpose="request_payment") == []
        assert keys(team="Billing") == ["reminder"]
        assert keys(q="loyal") == ["promo"]
        assert keys(q="billing") == ["reminder"]
        assert keys(locale="en") == ["reminder"]
        assert keys(locale="ja") == []
        assert keys(locale="en", channel="print") == ["reminder"]
        assert keys(purpose="bogus") == ["promo", "reminder"]  # an unknown value is ignored
        html = client.get(url("communication_list")).content.decode()
        assert '<option value="Billing">' in html and '<option value="advertise">' in html

    def test_it_shows_no_new_button_to_people_who_cannot_create(self, client, approver):
        client.force_login(approver)
        response = client.get(url("communication_list"))
        assert response.status_code == 200
        assert url("communication_create") not in response.content.decode()

    def test_it_is_refused_without_a_role(self, client):
        client.force_login(UserFactory())
        assert client.get(url("communication_list")).status_code == 403


class CommunicationCreateTests:
    def form(self, **overrides):
        data = {
            "key": "card-expiry",
            "name": "Card expiry",
            "description": "Tells the customer their card expires.",
            "purpose": "notify",
            "category": "transactional",
            "owner_team": "Cards",
            "brand": BrandFactory().pk,
            "data_schema": '{"type": "object", "required": ["first_name"]}',
            "sms_max_segments": "2",
            "letter_max_pages": "3",
        }
        return {**data, **overrides}

    def test_a_designer_creates_a_communication_with_a_first_draft(self, client, designer):
        client.force_login(designer)
        response = client.post(url("communication_create"), self.form())
        communication = Communication.objects.get(key="card-expiry")
        assert response.status_code == 302
        assert response["Location"] == url("communication_detail", communication.pk)
        assert communication.data_schema == {"type": "object", "required": ["first_name"]}
        assert (communication.sms_max_segments, communication.letter_max_pages) == (2, 3)
        assert communication.versions.get().status == Status.DRAFT

    @pytest.mark.parametrize(
        ("schema", "message"),
        [
            ('{"type": "object",', "Not valid JSON"),
            ("[1, 2]", "Must be a JSON object"),
            ('{"type": "no-such-type"}', "Not a valid JSON Schema"),
        ],
    )
    def test_it_refuses_a_data_schema_that_is_not_a_json_schema_object(
        self, client, designer, schema, message
    ):
        client.force_login(designer)
        response = client.post(url("communication_create"), self.form(data_schema=schema))
        assert response.status_code == 200
        assert message in response.content.decode()
        assert not Communication.objects.exists()

    def test_it_refuses_a_duplicate_key(self, client, designer, draft):
        client.force_login(designer)
        response = client.post(url("communication_create"), self.form(key="reminder"))
        assert response.status_code == 200
        assert Communication.objects.count() == 1

    def test_an_approver_cannot_create(self, client, approver):
        client.force_login(approver)
        assert client.get(url("communication_create")).status_code == 403
        assert client.post(url("communication_create"), self.form()).status_code == 403


class CommunicationDetailTests:
    def test_it_lists_versions_with_status_and_author(self, client, designer, draft):
        client.force_login(designer)
        response = client.get(url("communication_detail", draft.communication.pk))
        html = response.content.decode()
        assert response.status_code == 200
        assert url("version_detail", draft.pk) in html
        assert 'class="badge draft"' in html
        assert "Dana Designer" in html
        assert url("version_create", draft.communication.pk) in html

    def test_new_draft_copies_the_latest_version(self, client, designer, draft):
        client.force_login(designer)
        response = client.post(url("version_create", draft.communication.pk))
        new = draft.communication.versions.get(number=2)
        assert response["Location"] == url("version_detail", new.pk)
        assert new.variants.count() == draft.variants.count()

    def test_a_catalogue_reader_sees_the_communication_but_not_its_versions(self, client, draft):
        client.force_login(catalogue_reader())
        response = client.get(url("communication_detail", draft.communication.pk))
        assert response.status_code == 200
        assert url("version_detail", draft.pk) not in response.content.decode()
        assert client.get(url("version_detail", draft.pk)).status_code == 403
        assert client.post(url("version_create", draft.communication.pk)).status_code == 403


class VersionEditorTests:
    def test_a_designer_gets_the_editor_with_live_preview_of_every_channel(
        self, client, designer, draft
    ):
        client.force_login(designer)
        response = client.get(url("version_detail", draft.pk), {"locale": "en"})
        html = response.content.decode()
        assert response.status_code == 200
        assert 'name="email-body_html"' in html and 'name="sms-body_text"' in html
        assert 'hx-trigger="keyup changed delay:600ms, ccm:edited delay:600ms"' in html
        assert 'data-editor="html"' in html and "vendor/codemirror/lib/codemirror.js" in html
        assert f'hx-post="{url("version_preview_live", draft.pk)}"' in html
        assert '<iframe class="email-frame" sandbox' in html
        assert "Please pay £120.50" in html
        assert 'class="phone"' in html and "GSM-7" in html
        assert f'src="{url("version_preview_pdf", draft.pk)}?locale=en"' in html

    def test_an_approver_gets_a_read_only_view(self, client, approver, draft):
        client.force_login(approver)
        response = client.get(url("version_detail", draft.pk), {"locale": "ja"})
        html = response.content.decode()
        assert response.status_code == 200
        assert 'id="editor"' not in html
        assert "お支払いください" in html
        assert url("version_test_send", draft.pk) not in html

    def test_a_submitted_version_is_read_only_for_its_designer(self, client, designer, draft):
        services.version_submit(version=draft, actor=designer)
        client.force_login(designer)
        response = client.get(url("version_detail", draft.pk))
        assert 'id="editor"' not in response.content.decode()
        response = client.post(
            url("version_save", draft.pk), editor_post(draft, **{"sms-body_text": "Changed"})
        )
        assert response.status_code == 302
        assert TemplateVariant.objects.get(version=draft, channel="sms", locale="en").body_text != (
            "Changed"
        )
        assert any("Only a draft" in m for m in flashes(response))

    def test_saving_updates_the_variants_and_the_sample_data(self, client, designer, draft):
        client.force_login(designer)
        data = editor_post(
            draft,
            "ja",
            sample_data='{"first_name": "Yuki", "amount": 5000, "due_date": "2026-01-31"}',
            **{"sms-body_text": "{{ first_name }}様 お支払いをお願いします。"},
        )
        response = client.post(url("version_save", draft.pk), data)
        assert response.status_code == 302
        assert response["Location"] == f"{url('version_detail', draft.pk)}?locale=ja"
        draft.refresh_from_db()
        assert draft.sample_data["first_name"] == "Yuki"
        sms = TemplateVariant.objects.get(version=draft, channel="sms", locale="ja")
        assert sms.body_text == "{{ first_name }}様 お支払いをお願いします。"
        page = client.get(response["Location"]).content.decode()
        assert "Yuki様 お支払いをお願いします。" in page

    def test_saving_invalid_template_syntax_shows_the_error_with_its_line(
        self, client, designer, draft
    ):
        client.force_login(designer)
        broken = "<p>Dear {{ first_name }},</p>\n<p>Pay {{ amount | }}</p>"
        response = client.post(
            url("version_save", draft.pk), editor_post(draft, **{"email-body_html": broken})
        )
        page = client.get(response["Location"])
        html = page.content.decode()
        editor = {item["channel"]: item for item in page.context["editor"]}
        assert editor["email"]["error"].field == "body_html"
        assert editor["email"]["error"].line == 2
        assert "Line 2:" in html
        assert 'class="render-error"' in html  # the preview shows the error, not a blank

    def test_invalid_sample_data_saves_nothing(self, client, designer, draft):
        client.force_login(designer)
        response = client.post(
            url("version_save", draft.pk),
            editor_post(draft, sample_data="{oops", **{"sms-body_text": "New text"}),
        )
        assert response.status_code == 400
        assert "Not valid JSON" in response.content.decode()
        assert TemplateVariant.objects.get(version=draft, channel="sms", locale="en").body_text != (
            "New text"
        )

    def test_a_missing_required_field_is_reported_and_nothing_saved(self, client, designer, draft):
        client.force_login(designer)
        response = client.post(
            url("version_save", draft.pk), editor_post(draft, **{"print-subject": ""})
        )
        assert response.status_code == 400
        editor = {item["channel"]: item for item in response.context["editor"]}
        assert "subject" in editor["print"]["form"].errors

    def test_a_channel_left_empty_is_not_created_and_a_filled_one_is(self, client, designer):
        communication = services.communication_create(
            key="new-one",
            name="New one",
            category="transactional",
            brand=BrandFactory(),
            author=designer,
        )
        version = communication.versions.get()
        client.force_login(designer)
        response = client.post(
            url("version_save", version.pk),
            editor_post(version, sample_data="{}", **{"sms-body_text": "Hello"}),
        )
        assert response.status_code == 302
        assert [(v.channel, v.locale) for v in version.variants.all()] == [("sms", "en")]

    def test_a_variant_can_be_removed(self, client, designer, draft):
        client.force_login(designer)
        response = client.post(url("variant_delete", draft.pk, "print", "ja"))
        assert response.status_code == 302
        assert not draft.variants.filter(channel="print", locale="ja").exists()
        assert draft.variants.filter(channel="print", locale="en").exists()

    def test_an_approver_cannot_change_a_draft(self, client, approver, draft):
        client.force_login(approver)
        assert client.post(url("version_save", draft.pk), editor_post(draft)).status_code == 403
        assert client.post(url("variant_delete", draft.pk, "sms", "en")).status_code == 403
        assert draft.variants.filter(channel="sms", locale="en").exists()


class LivePreviewTests:
    def test_it_renders_unsaved_content_of_every_channel(self, client, designer, draft):
        client.force_login(designer)
        data = editor_post(
            draft,
            **{
                "email-subject": "Unsaved subject for {{ first_name }}",
                "sms-body_text": "Unsaved SMS for {{ first_name }}",
            },
        )
        response = client.post(url("version_preview_live", draft.pk), data)
        html = response.content.decode()
        assert response.status_code == 200
        assert html.lstrip().startswith('<div id="preview"')
        assert "Unsaved subject for Alex" in html
        assert "sandbox" in html and "srcdoc=" in html
        assert "Unsaved SMS for Alex" in html and "GSM-7" in html
        assert 'class="pdf-frame"' in html and "draft=1" in html
        # Nothing was saved.
        assert (
            "Unsaved"
            not in TemplateVariant.objects.get(version=draft, channel="sms", locale="en").body_text
        )

    def test_only_the_edited_channel_is_rerendered(self, client, designer, draft):
        client.force_login(designer)
        data = editor_post(draft, "ja", only="sms")
        response = client.post(url("version_preview_live", draft.pk), data)
        html = response.content.decode()
        assert html.lstrip().startswith('<section class="preview-channel" id="preview-sms"')
        assert "UCS-2" in html and "email-frame" not in html

    def test_it_counts_segments_and_warns_about_ucs2_in_english(self, client, designer, draft):
        client.force_login(designer)
        text = "Hi {{ first_name }} \u201cplease pay\u201d " + "x" * 60
        data = editor_post(draft, only="sms", **{"sms-body_text": text})
        response = client.post(url("version_preview_live", draft.pk), data)
        preview = response.context["p"]
        assert preview.rendered.sms.encoding == "UCS-2"
        assert preview.rendered.sms.segments == 2
        html = response.content.decode()
        assert "2 segments" in html and "force UCS-2" in html

    def test_a_render_error_is_shown_with_field_and_line(self, client, designer, draft):
        client.force_login(designer)
        data = editor_post(
            draft, only="email", **{"email-body_html": "<p>ok</p>\n<p>{{ nickname }}</p>"}
        )
        response = client.post(url("version_preview_live", draft.pk), data)
        html = response.content.decode()
        assert 'class="render-error"' in html
        assert "body_html, line 2" in html and "nickname" in html

    def test_bad_sample_data_is_reported_in_the_preview(self, client, designer, draft):
        client.force_login(designer)
        data = editor_post(draft, sample_data="[1]")
        html = client.post(url("version_preview_live", draft.pk), data).content.decode()
        assert html.count('class="render-error"') == 3
        assert "Sample data" in html

    def test_the_draft_letter_pdf_shows_the_unsaved_text(self, client, designer, draft):
        client.force_login(designer)
        data = editor_post(
            draft, only="print", **{"print-body_html": "<p>Unsaved letter for {{ first_name }}</p>"}
        )
        client.post(url("version_preview_live", draft.pk), data)
        draft_pdf = client.get(url("version_preview_pdf", draft.pk), {"locale": "en", "draft": "1"})
        saved_pdf = client.get(url("version_preview_pdf", draft.pk), {"locale": "en"})
        assert "Unsaved letter for Alex" in pdf_text(draft_pdf.content)
        assert "Unsaved letter" not in pdf_text(saved_pdf.content)

    def test_an_approver_cannot_use_the_live_preview(self, client, approver, draft):
        client.force_login(approver)
        response = client.post(url("version_preview_live", draft.pk), editor_post(draft))
        assert response.status_code == 403


class PdfPreviewTests:
    def test_it_serves_the_letter_as_an_inline_pdf(self, client, approver, draft):
        client.force_login(approver)
        response = client.get(url("version_preview_pdf", draft.pk), {"locale": "ja"})
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("inline;")
        assert response["X-Frame-Options"] == "SAMEORIGIN"
        assert response.content.startswith(b"%PDF")
        assert "Alex" in pdf_text(response.content)

    def test_a_letter_that_does_not_render_gets_an_error_page(self, client, designer, draft):
        services.variant_save(
            version=draft, channel="print", locale="en", subject="x", body_html="{{ missing }}"
        )
        client.force_login(designer)
        response = client.get(url("version_preview_pdf", draft.pk), {"locale": "en"})
        assert response.status_code == 422
        assert "missing" in response.content.decode()

    def test_it_is_refused_to_a_catalogue_reader(self, client, draft):
        client.force_login(catalogue_reader())
        assert client.get(url("version_preview_pdf", draft.pk)).status_code == 403


class TestSendTests:
    def test_an_email_test_goes_to_the_designer(self, client, designer, draft):
        client.force_login(designer)
        response = client.post(
            url("version_test_send", draft.pk), {"channel": "email", "locale": "en"}
        )
        assert response.status_code == 302
        assert len(mail.outbox) == 1
        assert mail.outbox[0].to == [f"Dana Designer <{designer.email}>"]
        assert mail.outbox[0].extra_headers["X-CCM-Test"] == "true"
        assert any(designer.email in m for m in flashes(response))
        assert ArchiveEntry.objects.filter(is_test=True, channel="email").count() == 1

    def test_an_sms_test_goes_to_a_verified_number(self, client, designer, draft):
        VerifiedPhoneFactory(user=designer, number="+447400123456")
        client.force_login(designer)
        response = client.post(
            url("version_test_send", draft.pk),
            {"channel": "sms", "locale": "en", "recipient": "+44 7400 123456"},
        )
        assert response.status_code == 302
        assert [m.to for m in sms_locmem.outbox] == ["+447400123456"]
        assert "Alex" in sms_locmem.outbox[0].text

    def test_an_sms_test_needs_an_allowed_number(self, client, designer, draft):
        client.force_login(designer)
        for phone, error in (
            ("", "An SMS test needs a mobile number"),
            ("12345", "12345 may not receive tests"),
            ("+447400123456", "+447400123456 may not receive tests"),
        ):
            response = client.post(
                url("version_test_send", draft.pk),
                {"channel": "sms", "locale": "en", "recipient": phone},
            )
            assert response.status_code == 422
            assert error in response.content.decode()
        assert sms_locmem.outbox == []

    def test_a_letter_test_is_downloaded_as_pdf(self, client, designer, draft):
        client.force_login(designer)
        response = client.post(
            url("version_test_send", draft.pk), {"channel": "print", "locale": "ja"}
        )
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response.content.startswith(b"%PDF")
        assert ArchiveEntry.objects.filter(is_test=True, channel="print").count() == 1

    def test_a_content_that_does_not_render_is_reported(self, client, designer, draft):
        services.variant_save(version=draft, channel="sms", locale="en", body_text="{{ nope }}")
        VerifiedPhoneFactory(user=designer, number="+447400123456")
        client.force_login(designer)
        response = client.post(
            url("version_test_send", draft.pk),
            {"channel": "sms", "locale": "en", "recipient": "+447400123456"},
        )
        assert response.status_code == 422
        assert "nope" in response.content.decode()
        assert sms_locmem.outbox == []

    def test_an_approver_cannot_send_tests(self, client, approver, draft):
        client.force_login(approver)
        response = client.post(
            url("version_test_send", draft.pk), {"channel": "email", "locale": "en"}
        )
        assert response.status_code == 403
        assert mail.outbox == []


class SubmitTests:
    def test_a_designer_submits_a_draft_for_review(self, client, designer, draft):
        client.force_login(designer)
        response = client.post(url("version_submit", draft.pk))
        draft.refresh_from_db()
        assert response.status_code == 302
        assert draft.status == Status.IN_REVIEW

    def test_the_reasons_a_draft_cannot_be_submitted_are_shown(self, client, designer, draft):
        services.variant_save(version=draft, channel="sms", locale="ja", body_text="{{ nickname }}")
        client.force_login(designer)
        response = client.post(url("version_submit", draft.pk), follow=True)
        draft.refresh_from_db()
        assert draft.status == Status.DRAFT
        assert "sms/ja" in response.content.decode()
        assert "nickname" in response.content.decode()

    def test_an_approver_cannot_submit(self, client, approver, draft):
        client.force_login(approver)
        assert client.post(url("version_submit", draft.pk)).status_code == 403


class ChecksTests:
    def test_the_page_loads_the_checks_after_it_is_shown(self, client, designer, draft):
        client.force_login(designer)
        html = client.get(url("version_detail", draft.pk)).content.decode()
        assert f'hx-get="{url("version_checks", draft.pk)}"' in html

    def test_a_clean_draft_is_ready_with_its_warnings_listed(self, client, designer, draft):
        client.force_login(designer)
        response = client.get(url("version_checks", draft.pk))
        html = response.content.decode()
        assert response.status_code == 200
        assert response.context["error_count"] == 0
        assert "ready for review" in html
        assert "no text alternative written" in html

    def test_an_error_is_listed_with_channel_field_and_line(self, client, designer, draft):
        services.variant_save(
            version=draft, channel="sms", locale="en", body_text="Hi\n{{ nickname }}"
        )
        client.force_login(designer)
        response = client.get(url("version_checks", draft.pk))
        html = response.content.decode()
        assert response.context["error_count"] >= 1
        assert "sms/en · body_text · line 2" in html
        assert "nickname" in html

    def test_it_is_refused_to_a_catalogue_reader(self, client, draft):
        client.force_login(catalogue_reader())
        assert client.get(url("version_checks", draft.pk)).status_code == 403
