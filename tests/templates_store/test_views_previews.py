"""The editor's previews (templates_store/views_previews.py): the live preview and the
letter PDF."""

import pytest

from templates_store import services
from templates_store.models import TemplateVariant
from tests.templates_store.studio_pages import catalogue_reader, editor_post, pdf_text, url

pytestmark = pytest.mark.django_db


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
