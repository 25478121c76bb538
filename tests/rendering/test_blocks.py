"""Shared content reaches rendering through the lookup the studio sets when it starts;
rendering itself knows no app."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from rendering import blocks
from rendering.blocks import BlockSource, SharedContent, Theme
from rendering.render import render, render_content
from templates_store.shared_selectors import StudioSharedContent
from tests.factories.templates_store import SAMPLE, BrandFactory, published_version

pytestmark = pytest.mark.django_db

THEME = Theme(
    version=None,
    primary_color="#123456",
    accent_color="#123456",
    text_color="#111111",
    background_color="#ffffff",
    font_family="serif",
    heading_font_family="",
)


@pytest.fixture
def no_lookup(monkeypatch):
    monkeypatch.setattr(blocks._LOOKUPS, "shared_content", None)


class SharedContentLookupTests:
    def test_the_studio_sets_the_lookup_when_it_starts(self):
        assert isinstance(blocks._LOOKUPS.shared_content, StudioSharedContent)

    def test_a_version_renders_with_the_studios_shared_content(self):
        rendered = render(published_version(), "email", "en", SAMPLE)
        assert rendered.pinned is True

    @pytest.mark.usefixtures("no_lookup")
    def test_without_a_lookup_a_render_is_refused_naming_what_is_missing(self):
        with pytest.raises(ImproperlyConfigured, match="shared content lookup"):
            render(published_version(), "email", "en", SAMPLE)

    @pytest.mark.usefixtures("no_lookup")
    def test_shared_content_given_by_the_caller_needs_no_lookup(self):
        shared = SharedContent(
            blocks={"footer": BlockSource("footer", 3, {("email", "en"): "<p>Bye</p>"})},
            theme=THEME,
        )
        rendered = render_content(
            channel="email",
            locale="en",
            brand=BrandFactory(),
            subject="Hi",
            body_html='<p>Hello</p>{{ block("footer") }}',
            body_text="",
            data={},
            shared=shared,
        )
        assert "Bye" in rendered.html and rendered.blocks == (("footer", 3),)

    def test_the_studios_lookup_takes_only_the_studios_objects(self):
        with pytest.raises(TypeError, match="not a brand"):
            StudioSharedContent().latest(brand=object())  # type: ignore[arg-type]
