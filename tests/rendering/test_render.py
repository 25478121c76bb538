import pytest

from rendering.exceptions import RenderError
from rendering.pdf import render_pdf
from rendering.render import render, render_content
from rendering.types import Recipient
from tests.factories.templates_store import (
    SAMPLE,
    BrandFactory,
    TemplateVersionFactory,
    add_variants,
    published_version,
)

pytestmark = pytest.mark.django_db


def _render(channel="email", body_html="", body_text="", subject="", data=None, locale="en"):
    return render_content(
        channel=channel,
        locale=locale,
        brand=BrandFactory(),
        subject=subject,
        body_html=body_html,
        body_text=body_text,
        data=data if data is not None else {},
    )


class RenderTests:
    def test_email_has_subject_html_in_brand_layout_and_text(self):
        version = published_version()
        rendered = render(version, "email", "en", SAMPLE)
        assert rendered.subject == "Payment of £120.50 due"
        assert "Dear Alex" in rendered.html and "Acme Energy" in rendered.html
        assert rendered.text.startswith("Dear Alex,\nPlease pay £120.50 by December 15, 2026.")

    def test_style_sheets_become_style_attributes_and_html_without_one_is_kept(self):
        styled = _render(body_html="<style>p.n { color: #c00000 }</style><p class=n>Hi</p>")
        plain = _render(body_html="<p class=n data-x=1>Hi</p>")

        assert "<style>" not in styled.html
        assert 'class="n" style="color: #c00000' in styled.html
        # Nothing to inline: the HTML is sent as it was rendered, not parsed and rewritten.
        assert "<p class=n data-x=1>Hi</p>" in plain.html

    def test_locale_drives_dates_and_money(self):
        rendered = render(published_version(), "email", "ja", SAMPLE)
        assert "2026年12月15日" in rendered.html
        assert rendered.subject == "￥120のお支払いについて"

    def test_formatted_values_follow_the_value_its_time_zone_and_the_locale(self):
        text = "{{ at|date('HH:mm') }} {{ amount|money('EUR') }} {{ amount|number }}"
        utc = {"at": "2026-12-15T10:00:00+00:00", "amount": "1234.5"}
        # The same instant, written in another time zone, reads as written.
        paris = {"at": "2026-12-15T11:00:00+01:00", "amount": "1234.50"}

        assert _render("sms", body_text=text, data=utc).text == "10:00 €1,234.50 1,234.5"
        assert _render("sms", body_text=text, data=paris).text == "11:00 €1,234.50 1,234.5"
        assert _render("sms", body_text=text, data=utc, locale="de").text == (
            "10:00 1.234,50\xa0€ 1.234,5"
        )

    def test_missing_text_part_is_generated_from_html(self):
        rendered = render(published_version(), "email", "ja", SAMPLE)
        assert "Alex 様" in rendered.text and "<p>" not in rendered.text

    def test_a_missing_field_is_an_error_not_a_blank(self):
        with pytest.raises(RenderError) as err:
            _render(body_html="<p>Hello</p>\n<p>{{ first_name }}</p>", data={})
        assert err.value.field == "body_html"
        assert err.value.line == 2
        assert "first_name" in str(err.value)

    def test_syntax_errors_name_field_and_line(self):
        with pytest.raises(RenderError) as err:
            _render(subject="ok", body_html="line one\n{% if %}")
        assert (err.value.field, err.value.line) == ("body_html", 2)

    def test_html_channels_escape_data_and_text_channels_do_not(self):
        data = {"name": "<b>Tom & Jerry</b>"}
        email = _render(body_html="{{ name }}", body_text="{{ name }}", data=data)
        assert "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;" in email.html
        assert email.text == "<b>Tom & Jerry</b>"
        sms = _render(channel="sms", body_text="{{ name }}", data=data)
        assert sms.text == "<b>Tom & Jerry</b>"

    def test_subject_never_carries_a_line_break(self):
        rendered = _render(
            subject="Hi {{ name }}", body_html="x", data={"name": "a\r\nBcc: evil@example.com"}
        )
        assert "\n" not in rendered.subject and "\r" not in rendered.subject

    def test_the_sandbox_refuses_unsafe_attribute_access(self):
        with pytest.raises(RenderError):
            _render(body_html="{{ ''.__class__.__mro__[1].__subclasses__() }}")

    def test_sms_reports_encoding_and_segments(self):
        rendered = render(published_version(), "sms", "ja", SAMPLE)
        assert rendered.sms is not None and rendered.sms.encoding == "UCS-2"
        assert rendered.sms.segments == 1

    def test_unknown_variant_is_an_error(self):
        version = add_variants(
            TemplateVersionFactory(), {("email", "en"): {"subject": "s", "body_html": "b"}}
        )
        with pytest.raises(RenderError, match="no sms content"):
            render(version, "sms", "en", {})

    def test_letter_pdf_has_the_address_and_japanese_glyphs(self):
        version = published_version()
        rendered = render(
            version,
            "print",
            "ja",
            SAMPLE,
            recipient=Recipient(
                name="山田 太郎", address_lines=("〒100-0001", "東京都千代田区千代田1-1")
            ),
        )
        assert "山田 太郎" in rendered.html and "東京都千代田区" in rendered.html
        pdf = render_pdf(rendered)
        assert pdf.startswith(b"%PDF")
        from io import BytesIO

        from pypdf import PdfReader

        text = PdfReader(BytesIO(pdf)).pages[0].extract_text()
        assert "山田" in text and "お支払い" in text

    @pytest.mark.parametrize(
        "markup",
        [
            '<img src="file:///etc/hostname">',
            '<img src="http://127.0.0.1:9/x.png">',
            '<img src="http://169.254.169.254/latest/meta-data/">',
            '<link rel="attachment" href="file:///etc/passwd">',
            "<style>@import url('https://example.com/x.css');</style>",
            '<div style="background: url(file:///etc/passwd)">x</div>',
        ],
    )
    def test_the_pdf_renderer_fetches_nothing_outside_platform_assets(self, markup):
        rendered = _render(channel="print", body_html=markup)
        with pytest.raises(
            RenderError, match=r"not a platform asset|external resources are not allowed"
        ):
            render_pdf(rendered)

    def test_brand_values_cannot_break_out_of_the_style_sheet(self):
        brand = BrandFactory(font_family="x; } body { display:none } {")
        rendered = render_content(
            channel="print",
            locale="en",
            brand=brand,
            subject="",
            body_html="hi",
            body_text="",
            data={},
        )
        assert (
            "display:none } {" not in rendered.html
            and "}" not in rendered.html.split("font-family:")[1].split(";")[0]
        )
