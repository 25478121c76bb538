import pytest

from templates_store.lint import ERROR, WARNING, version_lint
from templates_store.models import TemplateVariant
from tests.factories.templates_store import SAMPLE, TemplateVersionFactory, add_variants

pytestmark = pytest.mark.django_db


def _issues(content, **communication_fields):
    version = TemplateVersionFactory(sample_data=SAMPLE)
    for name, value in communication_fields.items():
        setattr(version.communication, name, value)
    version.communication.save()
    add_variants(version, content)
    return [(i.level, i.channel, i.locale, i.message) for i in version_lint(version=version)]


EMAIL = {"subject": "Hi", "body_html": "<p>{{ first_name }}</p>", "body_text": "{{ first_name }}"}


class VersionLintTests:
    def test_a_clean_version_has_no_issue(self):
        content = {
            (c, loc): {
                "subject": "S",
                "body_html": "<p>{{ first_name }}</p>",
                "body_text": "{{ first_name }}",
            }
            for c in ("email", "sms", "print")
            for loc in ("en", "ja")
        }
        assert _issues(content) == []

    def test_a_variable_outside_the_schema_is_an_error_with_its_line(self):
        version = TemplateVersionFactory(sample_data={**SAMPLE, "nickname": "Al"})
        add_variants(
            version, {("email", "en"): {**EMAIL, "body_html": "<p>x</p>\n<p>{{ nickname }}</p>"}}
        )
        (issue,) = [i for i in version_lint(version=version) if i.level == ERROR]
        assert (issue.field, issue.line) == ("body_html", 2)
        assert "'nickname' is not a field of the data schema" in issue.message

    def test_an_sms_over_its_segment_limit_is_an_error(self):
        issues = _issues({("sms", "en"): {"body_text": "x" * 200}}, sms_max_segments=1)
        assert (ERROR, "sms", "en", "2 segments (GSM-7); the limit is 1") in issues

    def test_a_character_forcing_ucs2_is_a_warning(self):
        issues = _issues({("sms", "en"): {"body_text": "Price — {{ first_name }}"}})
        assert any(level == WARNING and "force UCS-2" in message for level, _, _, message in issues)

    def test_links_must_be_https(self):
        issues = _issues(
            {
                ("email", "en"): {**EMAIL, "body_html": '<a href="http://example.com/pay">pay</a>'},
                ("sms", "en"): {"body_text": "Pay at http://example.com/p"},
            }
        )
        assert (ERROR, "email", "en", "link is not https: http://example.com/pay") in issues
        assert (ERROR, "sms", "en", "link is not https: http://example.com/p") in issues

    def test_missing_text_alternative_locale_and_alt_text_are_warnings(self):
        issues = _issues(
            {("email", "en"): {**EMAIL, "body_text": "", "body_html": '<img src="data:,">'}}
        )
        assert (
            WARNING,
            "email",
            "en",
            "no text alternative written; it will be generated from the HTML",
        ) in issues
        assert (WARNING, "email", "en", "1 image(s) without alt text") in issues
        assert (WARNING, "email", "ja", "no content in this language") in issues

    def test_a_letter_over_its_page_limit_is_an_error(self):
        long_body = "".join(f"<p>Paragraph {i} of a long letter.</p>" for i in range(120))
        issues = _issues(
            {("print", "en"): {"subject": "L", "body_html": long_body}}, letter_max_pages=1
        )
        assert any(
            level == ERROR and "the limit is 1" in message for level, _, _, message in issues
        )

    def test_render_errors_are_reported(self):
        version = TemplateVersionFactory(sample_data={})
        TemplateVariant.objects.create(
            version=version, channel="sms", locale="en", body_text="{% if %}"
        )
        (issue,) = [i for i in version_lint(version=version) if i.level == ERROR]
        assert issue.line == 1 and issue.field == "body_text"

    def test_issues_are_written_in_the_designers_language(self):
        from django.utils import translation

        version = TemplateVersionFactory(sample_data=SAMPLE)
        add_variants(version, {("sms", "en"): {"body_text": "Pay at http://example.com/p"}})
        with translation.override("ja"):
            messages = [i.message for i in version_lint(version=version)]
        assert "https ではないリンクがあります: http://example.com/p" in messages
        assert "この言語のコンテンツがありません" in messages
