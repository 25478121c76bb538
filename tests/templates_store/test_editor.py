"""The editor's palette and inline errors: what the version page and the live preview
give the code editor."""

import json

import pytest
from django.urls import reverse

from templates_store.diagnostics import content_diagnostics
from templates_store.models import Block, BlockContent, BlockVersion, Communication
from templates_store.palette import schema_variables
from tests.factories.ccm import UserFactory
from tests.templates_store.studio_pages import editor_post

pytestmark = pytest.mark.django_db

NESTED_SCHEMA = {
    "type": "object",
    "properties": {
        "first_name": {"type": "string", "title": "First name"},
        "amount": {"type": "number"},
        "due_date": {"type": "string", "format": "date"},
        "account": {
            "type": "object",
            "properties": {
                "number": {"type": "string"},
                "address": {"$ref": "#/$defs/address"},
            },
        },
        "invoices": {
            "type": "array",
            "items": {"type": "object", "properties": {"total": {"type": "number"}}},
        },
    },
    "$defs": {"address": {"type": "object", "properties": {"city": {"type": "string"}}}},
}


def url(name, *args):
    return reverse(f"templates_store:{name}", args=args)


def block(brand, key, *, status, author):
    """A block of ``brand`` whose only version has ``status``, with content in English."""
    shared = Block.objects.create(brand=brand, key=key, name=f"The {key}")
    version = BlockVersion.objects.create(block=shared, number=1, status=status, author=author)
    for channel in ("email", "sms", "print"):
        BlockContent.objects.create(version=version, channel=channel, locale="en", body="Legal")
    return shared


@pytest.fixture
def nested(draft):
    Communication.objects.filter(pk=draft.communication_id).update(data_schema=NESTED_SCHEMA)
    draft.communication.refresh_from_db()
    return draft


def diagnostics_event(response) -> dict:
    return json.loads(response["HX-Trigger"])["ccm:diagnostics"]["channels"]


class PaletteTests:
    def test_it_lists_nested_paths_loops_and_refs_of_the_schema(self):
        items = {v.path: v for v in schema_variables(NESTED_SCHEMA)}
        assert list(items) == [
            "first_name",
            "amount",
            "due_date",
            "account",
            "account.number",
            "account.address",
            "account.address.city",
            "invoices",
            "invoice.total",
        ]
        assert items["account.address.city"].snippet == "{{ account.address.city }}"
        assert items["account.address.city"].depth == 2
        assert items["due_date"].type == "string (date)"
        assert items["first_name"].title == "First name"
        assert items["invoices"].loop
        assert (
            items["invoices"].snippet
            == "{% for invoice in invoices %}\n{{ invoice }}\n{% endfor %}"
        )
        assert items["invoice.total"].snippet == "{{ invoice.total }}"

    def test_the_editor_shows_the_schema_fields_and_the_brands_published_blocks(
        self, client, designer, nested
    ):
        brand = nested.communication.brand
        block(brand, "legal-footer", status="published", author=designer)
        block(brand, "new-header", status="draft", author=designer)
        client.force_login(designer)
        html = client.get(url("version_detail", nested.pk), {"locale": "en"}).content.decode()
        assert 'id="palette"' in html
        assert 'data-insert="{{ account.address.city }}"' in html
        assert 'data-insert="{% for invoice in invoices %}\n{{ invoice }}\n{% endfor %}"' in html
        assert 'data-insert="{{ theme.primary_color }}"' in html
        assert 'data-insert="{{ block(&quot;legal-footer&quot;) }}"' in html
        assert "new-header" not in html  # a draft block is not offered

    def test_without_published_blocks_it_says_so(self, client, designer, draft):
        client.force_login(designer)
        html = client.get(url("version_detail", draft.pk)).content.decode()
        assert "No shared block is available." in html

    def test_a_read_only_version_has_no_palette(self, client, approver, draft):
        client.force_login(approver)
        html = client.get(url("version_detail", draft.pk)).content.decode()
        assert 'id="palette"' not in html and "editor-diagnostics" not in html


class InlineErrorTests:
    def test_the_preview_sends_an_undefined_variable_with_its_field_and_line(
        self, client, designer, draft
    ):
        client.force_login(designer)
        body = "<p>Dear {{ first_name }},</p>\n<p>Your code: {{ discount_code }}</p>"
        response = client.post(
            url("version_preview_live", draft.pk),
            editor_post(draft, only="email", **{"email-body_html": body}),
        )
        assert response.status_code == 200
        assert "discount_code" in response.content.decode()  # the preview shows the error too
        channels = diagnostics_event(response)
        assert list(channels) == ["email"]
        assert {
            "channel": "email",
            "field": "body_html",
            "line": 2,
            "kind": "undefined",
            "message": "'discount_code' is not a field of the data schema",
        } in channels["email"]
        rendered = [d for d in channels["email"] if d["message"] == "'discount_code' is undefined"]
        assert [(d["field"], d["line"], d["kind"]) for d in rendered] == [
            ("body_html", 2, "undefined")
        ]

    def test_a_syntax_error_is_reported_once_with_its_line(self, client, designer, draft):
        client.force_login(designer)
        response = client.post(
            url("version_preview_live", draft.pk),
            editor_post(draft, only="sms", **{"sms-body_text": "Hi\n\n{{ first_name | }}"}),
        )
        channels = diagnostics_event(response)
        assert [(d["field"], d["line"], d["kind"]) for d in channels["sms"]] == [
            ("body_text", 3, "syntax")
        ]

    def test_unknown_blocks_and_nested_fields_are_named(self, client, designer, nested):
        block(nested.communication.brand, "legal-footer", status="published", author=designer)
        client.force_login(designer)
        body = (
            '{{ block("legal-footer") }}\n'
            "{{ account.number }} {{ account.adress.city }}\n"
            '{{ block("signature") }}'
        )
        response = client.post(
            url("version_preview_live", nested.pk),
            editor_post(nested, only="print", **{"print-body_html": body}),
        )
        found = {(d["line"], d["kind"], d["message"]) for d in diagnostics_event(response)["print"]}
        assert (2, "undefined", "'account.adress' is not a field of the data schema") in found
        assert (3, "unknown_block", "unknown block 'signature'") in found
        assert not any(line == 1 for line, _kind, _message in found)

    def test_a_json_error_in_the_sample_data_is_sent_with_its_line(self, client, designer, draft):
        client.force_login(designer)
        response = client.post(
            url("version_preview_live", draft.pk),
            editor_post(draft, sample_data='{\n  "first_name": "Alex"\n  "amount": 1\n}'),
        )
        [problem] = json.loads(response["HX-Trigger"])["ccm:diagnostics"]["fields"]["sample_data"]
        assert (problem["field"], problem["line"], problem["kind"]) == ("sample_data", 3, "syntax")
        assert "Expecting ',' delimiter" in problem["message"]

    def test_clean_content_sends_an_empty_list_for_every_channel(self, client, designer, draft):
        client.force_login(designer)
        response = client.post(url("version_preview_live", draft.pk), editor_post(draft))
        assert diagnostics_event(response) == {"email": [], "sms": [], "print": []}
        assert json.loads(response["HX-Trigger"])["ccm:diagnostics"]["fields"] == {
            "sample_data": []
        }

    def test_the_editor_page_carries_the_saved_contents_errors(self, client, designer, draft):
        variant = draft.variants.get(channel="email", locale="en")
        variant.body_text = "Hello\n{{ nickname }}"
        variant.save()
        client.force_login(designer)
        response = client.get(url("version_detail", draft.pk), {"locale": "en"})
        assert response.context["diagnostics"]["channels"]["email"] == [
            d.as_dict()
            for d in content_diagnostics(
                channel="email",
                fields={
                    "subject": variant.subject,
                    "body_html": variant.body_html,
                    "body_text": variant.body_text,
                },
                schema=draft.communication.data_schema,
                blocks=set(),
                render_error=response.context["previews"][0].error,
            )
        ]
        messages = [d["message"] for d in response.context["diagnostics"]["channels"]["email"]]
        assert "'nickname' is not a field of the data schema" in messages
        assert '<script id="editor-diagnostics" type="application/json">' in (
            response.content.decode()
        )

    def test_the_editor_loads_codemirror_from_static_files_only(self, client, designer, draft):
        client.force_login(designer)
        html = client.get(url("version_detail", draft.pk)).content.decode()
        assert "/static/vendor/codemirror/lib/codemirror.js" in html
        assert "/static/templates_store/studio.js" in html
        assert "onclick=" not in html  # behaviour lives in the static script
        assert "https://" not in html.split("<main")[0]  # no script from elsewhere


class PreviewPermissionTests:
    def test_a_user_without_the_version_permission_cannot_preview(self, client, draft):
        client.force_login(UserFactory())
        response = client.post(url("version_preview_live", draft.pk), editor_post(draft))
        assert response.status_code == 403
