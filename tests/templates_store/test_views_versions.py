"""The version page and editor (templates_store/views_versions.py): saving, checks,
submission."""

import pytest

from templates_store import services
from templates_store.models import TemplateVariant, TemplateVersion
from tests.factories.templates_store import BrandFactory
from tests.templates_store.studio_pages import catalogue_reader, editor_post, flashes, url

pytestmark = pytest.mark.django_db
Status = TemplateVersion.Status


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
