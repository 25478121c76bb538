"""Shared content: blocks and brand themes, their review, pinning, where used, lint and
rendering through the one rendering path."""

import base64
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from pypdf import PdfReader

from channels.services.test_sends import version_test_send
from compliance.rerender import archive_entry_rerender_check
from rendering.pdf import render_pdf
from rendering.render import render
from templates_store import services, shared_selectors, shared_services
from templates_store.lint import ERROR, version_lint
from templates_store.models import SharedContentEvent, TemplateVersion

pytestmark = pytest.mark.django_db

Status = TemplateVersion.Status

# A 1 x 1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def publish_block(block_version, *, designer, approver, bodies):
    for (channel, locale), body in bodies.items():
        shared_services.block_content_save(
            version=block_version, channel=channel, locale=locale, body=body
        )
    shared_services.shared_version_submit(version=block_version, actor=designer)
    shared_services.shared_version_approve(version=block_version, actor=approver)
    return shared_services.shared_version_publish(version=block_version, actor=approver)


def legal_bodies(text):
    return {
        ("email", "en"): f"<p class='legal'>{text}</p>",
        ("email", "ja"): f"<p class='legal'>{text} (ja)</p>",
        ("sms", "en"): text,
        ("sms", "ja"): f"{text} (ja)",
        ("print", "en"): f"<p class='legal'>{text}</p>",
        ("print", "ja"): f"<p class='legal'>{text} (ja)</p>",
    }


@pytest.fixture
def legal(draft, designer, approver):
    """Block "legal" of the draft's brand, version 1 published."""
    block = shared_services.block_create(
        brand=draft.communication.brand,
        key="legal",
        name="Legal notice",
        kind="legal",
        author=designer,
    )
    publish_block(
        block.versions.get(), designer=designer, approver=approver, bodies=legal_bodies("Legal v1")
    )
    return block


def use_block(version, key="legal"):
    call = '{{ block("' + key + '") }}'
    for variant in version.variants.all():
        if variant.channel == "sms":
            variant.body_text += " " + call
        else:
            variant.body_html += "\n" + call
            if variant.body_text:
                variant.body_text += "\n" + call
        variant.save()
    return version


def publish(version, *, designer, approver):
    services.version_submit(version=version, actor=designer)
    services.version_approve(version=version, actor=approver)
    return services.version_publish(version=version, actor=approver)


def fresh(version):
    return TemplateVersion.objects.prefetch_related("variants").get(pk=version.pk)


class BlockReviewTests:
    def test_the_author_cannot_approve_or_reject_their_own_block(self, draft, designer, approver):
        block = shared_services.block_create(
            brand=draft.communication.brand,
            key="footer",
            name="Footer",
            kind="footer",
            author=designer,
        )
        version = block.versions.get()
        shared_services.block_content_save(
            version=version, channel="email", locale="en", body="<p>Footer</p>"
        )
        shared_services.shared_version_submit(version=version, actor=designer)
        with pytest.raises(PermissionDenied):
            shared_services.shared_version_approve(version=version, actor=designer)
        with pytest.raises(PermissionDenied):
            shared_services.shared_version_reject(version=version, actor=designer, comment="no")
        version.refresh_from_db()
        assert version.status == Status.IN_REVIEW
        shared_services.shared_version_approve(version=version, actor=approver, comment="fine")
        shared_services.shared_version_publish(version=version, actor=approver)
        actions = list(
            SharedContentEvent.objects.filter(block_version=version).values_list("action", "actor")
        )
        assert actions == [
            ("created", designer.pk),
            ("submitted", designer.pk),
            ("approved", approver.pk),
            ("published", approver.pk),
        ]

    def test_a_submitted_block_cannot_change_and_a_rejection_returns_it_to_draft(
        self, draft, designer, approver
    ):
        block = shared_services.block_create(
            brand=draft.communication.brand,
            key="sig",
            name="Signature",
            kind="signature",
            author=designer,
        )
        version = block.versions.get()
        shared_services.block_content_save(version=version, channel="sms", locale="en", body="Acme")
        shared_services.shared_version_submit(version=version, actor=designer)
        with pytest.raises(ValidationError):
            shared_services.block_content_save(
                version=version, channel="sms", locale="en", body="x"
            )
        shared_services.shared_version_reject(version=version, actor=approver, comment="Too short")
        version.refresh_from_db()
        assert version.status == Status.DRAFT and version.content_hash == ""

    def test_a_block_that_does_not_render_is_not_submitted(self, draft, designer):
        block = shared_services.block_create(
            brand=draft.communication.brand, key="bad", name="Bad", kind="other", author=designer
        )
        version = block.versions.get()
        shared_services.block_content_save(
            version=version, channel="email", locale="en", body="<p>{{ customer_name }}</p>"
        )
        with pytest.raises(ValidationError, match="customer_name"):
            shared_services.shared_version_submit(version=version, actor=designer)

    def test_publishing_a_block_version_retires_the_previous_one(self, legal, designer, approver):
        v2 = shared_services.block_version_create(block=legal, author=designer)
        publish_block(v2, designer=designer, approver=approver, bodies=legal_bodies("Legal v2"))
        statuses = dict(legal.versions.values_list("number", "status"))
        assert statuses == {1: Status.RETIRED, 2: Status.PUBLISHED}


class PinningTests:
    def test_a_draft_previews_with_the_latest_published_block_and_says_so(self, draft, legal):
        use_block(draft)
        rendered = render(fresh(draft), "email", "en", draft.sample_data)
        assert "Legal v1" in rendered.html and "Legal v1" in rendered.text
        assert rendered.blocks == (("legal", 1),)
        assert rendered.pinned is False

    def test_a_published_version_keeps_its_block_version_and_the_archive_matches(
        self, draft, legal, designer, approver, mailoutbox
    ):
        version = publish(use_block(draft), designer=designer, approver=approver)
        version = fresh(version)
        assert version.block_pins["legal"]["number"] == 1
        before = {
            channel: render(version, channel, "en", version.sample_data)
            for channel in ("email", "sms", "print")
        }
        entry, _content = version_test_send(
            version=version, actor=designer, channel="email", locale="en", to=designer.email
        )

        v2 = shared_services.block_version_create(block=legal, author=designer)
        publish_block(v2, designer=designer, approver=approver, bodies=legal_bodies("Legal v2"))

        version = fresh(version)
        for channel, rendered in before.items():
            again = render(version, channel, "en", version.sample_data)
            assert again == rendered, channel
            assert again.blocks == (("legal", 1),) and again.pinned
        assert "Legal v1" in before["sms"].text
        # The archive entry records the version whose pins (covered by its content hash)
        # name the block versions the artifact was rendered with.
        assert entry.version.block_pins == version.block_pins
        assert entry.content_hash == version.content_hash == version.compute_content_hash()
        assert b"Legal v1" in _content or "Legal v1" in mailoutbox[0].body
        assert archive_entry_rerender_check(entry=entry).identical

        # The next version of the communication picks up the new block version.
        nxt = services.version_create(communication=version.communication, author=designer)
        rendered = render(fresh(nxt), "sms", "en", nxt.sample_data)
        assert "Legal v2" in rendered.text and rendered.blocks == (("legal", 2),)

    def test_the_content_hash_covers_the_pins(self, draft, legal, designer, approver):
        services.version_submit(version=use_block(draft), actor=designer)
        draft.refresh_from_db()
        draft.block_pins = {**draft.block_pins, "legal": {**draft.block_pins["legal"], "id": 0}}
        draft.save()
        with pytest.raises(ValidationError, match="changed after submission"):
            services.version_approve(version=draft, actor=approver)


class WhereUsedTests:
    def test_where_used_and_impact_of_a_block_change(self, draft, legal, designer, approver):
        published = publish(use_block(draft), designer=designer, approver=approver)
        nxt = services.version_create(communication=published.communication, author=designer)
        uses = shared_selectors.block_where_used(block=legal)
        assert [(u.version.pk, u.pinned_number) for u in uses] == [
            (nxt.pk, None),
            (published.pk, 1),
        ]

        v2 = shared_services.block_version_create(block=legal, author=designer)
        impacts = shared_selectors.block_version_impact(version=v2)
        assert [
            (i.communication.key, i.pinned_number, i.picks_up_on_next_version) for i in impacts
        ] == [("reminder", 1, True)]
        v1 = legal.versions.get(number=1)
        assert (
            shared_selectors.block_version_impact(version=v1)[0].picks_up_on_next_version is False
        )

    def test_a_block_nobody_uses_is_used_nowhere(self, draft, legal):
        assert shared_selectors.block_where_used(block=legal) == []


class LintTests:
    def test_an_unknown_block_is_an_error_with_its_line(self, draft, legal, designer):
        variant = draft.variants.get(channel="email", locale="en")
        variant.body_html = '<p>Hello</p>\n<p>x</p>\n{{ block("legall") }}'
        variant.save()
        issues = [i for i in version_lint(version=fresh(draft)) if i.level == ERROR]
        assert len(issues) == 1
        issue = issues[0]
        assert (issue.channel, issue.locale, issue.field, issue.line) == (
            "email",
            "en",
            "body_html",
            3,
        )
        assert "legall" in issue.message and "unknown block" in issue.message
        with pytest.raises(ValidationError, match="legall"):
            services.version_submit(version=draft, actor=designer)

    def test_a_block_key_must_be_a_quoted_name(self, draft, legal):
        variant = draft.variants.get(channel="sms", locale="en")
        variant.body_text = "{{ block(first_name) }}"
        variant.save()
        issues = [i for i in version_lint(version=fresh(draft)) if i.level == ERROR]
        assert [(i.channel, i.line) for i in issues] == [("sms", 1)]
        assert "quoted" in issues[0].message

    def test_known_blocks_and_theme_pass(self, draft, legal):
        use_block(draft)
        variant = draft.variants.get(channel="email", locale="en")
        variant.body_html += '<p style="color:{{ theme.primary_color|css }}">x</p>'
        variant.save()
        assert [i for i in version_lint(version=fresh(draft)) if i.level == ERROR] == []


@pytest.fixture
def theme(draft, designer, approver):
    """A published theme v1 for the draft's brand, with colours and a logo."""
    version = shared_services.theme_version_create(brand=draft.communication.brand, author=designer)
    shared_services.theme_version_save(
        version=version,
        primary_color="#123456",
        background_color="#fafafa",
        logo_url="https://cdn.acme.example/logo.png",
        logo_data=shared_services.logo_data_url(content=PNG),
        logo_alt="Acme logo",
    )
    shared_services.shared_version_submit(version=version, actor=designer)
    with pytest.raises(PermissionDenied):
        shared_services.shared_version_approve(version=version, actor=designer)
    shared_services.shared_version_approve(version=version, actor=approver)
    return shared_services.shared_version_publish(version=version, actor=approver)


class ThemeTests:
    def test_the_email_layout_uses_the_theme(self, draft, theme):
        variant = draft.variants.get(channel="email", locale="en")
        variant.body_html += '<p style="color:{{ theme.primary_color|css }}">themed</p>'
        variant.save()
        rendered = render(fresh(draft), "email", "en", draft.sample_data)
        assert "background:#123456" in rendered.html
        assert "background:#fafafa" in rendered.html
        assert '<img src="https://cdn.acme.example/logo.png" alt="Acme logo"' in rendered.html
        assert 'style="color:#123456">themed' in rendered.html
        assert rendered.theme_version == 1

    def test_the_letter_embeds_the_theme_logo_and_colour_in_the_pdf(self, draft, theme):
        rendered = render(fresh(draft), "print", "en", draft.sample_data)
        assert "color: #123456" in rendered.html
        assert 'src="data:image/png;base64,' in rendered.html
        page = PdfReader(io.BytesIO(render_pdf(rendered))).pages[0]
        assert len(page.images) == 1

    def test_without_a_theme_the_brand_colours_apply(self, draft):
        rendered = render(fresh(draft), "email", "en", draft.sample_data)
        assert f"background:{draft.communication.brand.primary_color}" in rendered.html
        assert rendered.theme_version is None

    def test_a_published_version_keeps_its_theme_version(self, draft, theme, designer, approver):
        version = fresh(publish(draft, designer=designer, approver=approver))
        assert version.theme_pin["number"] == 1
        v2 = shared_services.theme_version_create(brand=theme.brand, author=designer)
        shared_services.theme_version_save(version=v2, primary_color="#abcdef")
        shared_services.shared_version_submit(version=v2, actor=designer)
        shared_services.shared_version_approve(version=v2, actor=approver)
        shared_services.shared_version_publish(version=v2, actor=approver)
        assert "#123456" in render(fresh(version), "email", "en", version.sample_data).html
        nxt = services.version_create(communication=version.communication, author=designer)
        assert "#abcdef" in render(fresh(nxt), "email", "en", nxt.sample_data).html

    def test_a_logo_must_be_png_or_jpeg(self, draft, designer):
        version = shared_services.theme_version_create(
            brand=draft.communication.brand, author=designer
        )
        with pytest.raises(ValidationError, match="PNG or JPEG"):
            shared_services.logo_data_url(content=b"<svg onload='x'/>")
        with pytest.raises(ValidationError, match="PNG or JPEG"):
            shared_services.theme_version_save(
                version=version, logo_data="data:image/svg+xml;base64,PHN2Zz4="
            )
        with pytest.raises(ValidationError):
            shared_services.theme_version_save(
                version=version, logo_url="http://insecure.example/l.png"
            )


class PageTests:
    def test_the_list_block_and_where_used_pages(self, client, draft, legal, designer, approver):
        publish(use_block(draft), designer=designer, approver=approver)
        client.force_login(designer)
        response = client.get(reverse("templates_store:shared_list"))
        assert response.status_code == 200 and b"legal" in response.content
        response = client.get(reverse("templates_store:block_detail", args=[legal.pk]))
        assert response.status_code == 200
        assert [u.communication.key for u in response.context["uses"]] == ["reminder"]
        v1 = legal.versions.get()
        response = client.get(reverse("templates_store:block_version_detail", args=[v1.pk]))
        assert response.status_code == 200 and b"Legal v1" in response.content

    def test_the_editor_saves_previews_and_the_author_cannot_approve(
        self, client, draft, designer, approver
    ):
        client.force_login(designer)
        response = client.post(
            reverse("templates_store:block_create"),
            {
                "brand": draft.communication.brand.pk,
                "key": "footer",
                "name": "Footer",
                "kind": "footer",
            },
        )
        version = shared_selectors.block_list().get(key="footer").versions.get()
        assert response.status_code == 302
        response = client.post(
            reverse("templates_store:block_version_preview", args=[version.pk]),
            {"locale": "en", "email-en": "<p>Live footer</p>"},
        )
        assert b"Live footer" in response.content
        client.post(
            reverse("templates_store:block_version_save", args=[version.pk]),
            {"locale": "en", "email-en": "<p>Saved footer</p>", "sms-en": "Acme"},
        )
        assert dict(version.contents.values_list("channel", "body")) == {
            "email": "<p>Saved footer</p>",
            "sms": "Acme",
        }
        action = "templates_store:shared_version_action"
        client.post(reverse(action, args=["block", version.pk, "submit"]))
        client.post(reverse(action, args=["block", version.pk, "approve"]))
        version.refresh_from_db()
        assert version.status == Status.IN_REVIEW
        client.force_login(approver)
        client.post(reverse(action, args=["block", version.pk, "approve"]))
        client.post(reverse(action, args=["block", version.pk, "publish"]))
        version.refresh_from_db()
        assert version.status == Status.PUBLISHED

    def test_a_designer_cannot_approve_through_the_page_even_with_a_crafted_post(
        self, client, draft, designer
    ):
        client.force_login(designer)
        block = shared_services.block_create(
            brand=draft.communication.brand, key="x", name="X", kind="other", author=designer
        )
        response = client.post(
            reverse(
                "templates_store:shared_version_action",
                args=["block", block.versions.get().pk, "approve"],
            )
        )
        assert response.status_code == 403

    def test_the_theme_page_uploads_a_logo(self, client, draft, designer):
        from django.core.files.uploadedfile import SimpleUploadedFile

        client.force_login(designer)
        client.post(
            reverse("templates_store:theme_version_create", args=[draft.communication.brand.pk])
        )
        version = shared_selectors.theme_versions(brand=draft.communication.brand).get()
        form = {
            "locale": "en",
            "primary_color": "#224466",
            "accent_color": "#e07a1f",
            "text_color": "#222222",
            "background_color": "#ffffff",
            "font_family": "'Noto Sans', sans-serif",
            "heading_font_family": "",
            "logo_url": "",
            "logo_alt": "Acme",
            "logo": SimpleUploadedFile("logo.png", PNG, content_type="image/png"),
        }
        response = client.post(
            reverse("templates_store:theme_version_save", args=[version.pk]), form
        )
        assert response.status_code == 302
        version.refresh_from_db()
        assert version.primary_color == "#224466" and version.logo_data.startswith("data:image/png")
        response = client.get(reverse("templates_store:theme_version_detail", args=[version.pk]))
        assert response.status_code == 200 and b"#224466" in response.content

    def test_the_preview_of_a_draft_names_the_blocks_it_uses(self, client, draft, legal, designer):
        use_block(draft)
        client.force_login(designer)
        response = client.get(reverse("templates_store:version_detail", args=[draft.pk]))
        assert "latest published" in response.content.decode()


class ApiTests:
    def _client(self, user):
        from rest_framework.test import APIClient

        from ccm.services import api_token_create

        _, key = api_token_create(user=user, name="shared")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        return client

    def test_blocks_their_versions_and_where_used_are_readable(
        self, draft, legal, theme, designer, approver
    ):
        publish(use_block(draft), designer=designer, approver=approver)
        api = self._client(approver)
        response = api.get("/api/blocks")
        assert response.status_code == 200
        assert [(b["key"], b["published_version"]) for b in response.json()] == [("legal", 1)]
        response = api.get(f"/api/blocks/{legal.pk}")
        body = response.json()
        assert body["versions"][0]["contents"][0]["channel"] in {"email", "sms", "print"}
        assert body["where_used"] == [
            {"communication": "reminder", "version": 1, "status": "published", "block_version": 1}
        ]
        response = api.get(f"/api/theme-versions?brand={theme.brand_id}")
        assert [(t["number"], t["status"], t["primary_color"]) for t in response.json()] == [
            (1, "published", "#123456")
        ]

    def test_writing_is_not_offered_and_strangers_are_refused(self, legal):
        from tests.factories.ccm import UserFactory

        assert self._client(UserFactory()).get("/api/blocks").status_code == 403
        api = self._client(UserFactory(roles=["designer"]))
        assert api.post("/api/blocks", {}).status_code in (403, 405)
