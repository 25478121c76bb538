"""Previews of a block or theme version as communications will show it: the block inserted
in the brand's email and letter layouts, the theme applied to a sample message. Everything
goes through ``rendering.render.render_content`` (the path of sending)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from django.utils.translation import gettext as _

from ccm.vocabulary import Channel
from rendering.blocks import BlockSource, SharedContent
from rendering.exceptions import RenderError
from rendering.pdf import render_pdf
from rendering.render import render_content
from templates_store.models import BlockVersion, ThemeVersion
from templates_store.previews import SAMPLE_RECIPIENT, ChannelPreview
from templates_store.shared_selectors import shared_content_latest, theme_of


def _with_block(shared: SharedContent, source: BlockSource) -> SharedContent:
    return replace(shared, blocks={**shared.blocks, source.key: source})


def block_source(
    *, version: BlockVersion, bodies: Mapping[tuple[str, str], str] | None = None
) -> BlockSource:
    """The version as a render sees it; ``bodies`` replaces its saved content (the editor)."""
    if bodies is None:
        bodies = {(c.channel, c.locale): c.body for c in version.contents.all()}
    return BlockSource(
        key=version.block.key,
        number=version.number,
        bodies={k: v for k, v in bodies.items() if v.strip()},
    )


def _block_call(key: str) -> str:
    return '{{ block("%s") }}' % key  # noqa: UP031 - Jinja braces


def block_preview(
    *,
    version: BlockVersion,
    locale: str,
    bodies: Mapping[tuple[str, str], str] | None = None,
) -> list[ChannelPreview]:
    """Every channel of the block in ``locale``, inserted alone in the brand's layout (with
    the brand's published theme and other blocks)."""
    brand = version.block.brand
    source = block_source(version=version, bodies=bodies)
    shared = _with_block(shared_content_latest(brand=brand), source)
    call = _block_call(source.key)
    previews = []
    for channel in Channel.values:
        if (channel, locale) not in source.bodies:
            previews.append(ChannelPreview(channel=channel, locale=locale))
            continue
        try:
            rendered = render_content(
                channel=channel,
                locale=locale,
                brand=brand,
                subject=version.block.name,
                body_html=call if channel != Channel.SMS else "",
                body_text=call if channel != Channel.EMAIL else "",
                data={},
                recipient=SAMPLE_RECIPIENT,
                shared=shared,
            )
        except RenderError as exc:
            previews.append(ChannelPreview(channel=channel, locale=locale, error=exc))
        else:
            previews.append(ChannelPreview(channel=channel, locale=locale, rendered=rendered))
    return previews


def block_preview_pdf(*, version: BlockVersion, locale: str) -> bytes:
    """The block's saved print content in a letter, as a PDF. Raises RenderError."""
    brand = version.block.brand
    source = block_source(version=version)
    rendered = render_content(
        channel=Channel.PRINT,
        locale=locale,
        brand=brand,
        subject=version.block.name,
        body_html=_block_call(source.key),
        body_text="",
        data={},
        recipient=SAMPLE_RECIPIENT,
        shared=_with_block(shared_content_latest(brand=brand), source),
    )
    return render_pdf(rendered)


def _theme_sample(locale: str) -> str:
    heading = _("Sample heading")
    text = _("This is how text, links and headings look with this theme.")
    link = _("A link")
    return (
        f'<h2 style="color:{{{{ theme.primary_color|css }}}}">{heading}</h2>'
        f"<p>{text}</p>"
        f'<p><a href="https://example.com/" style="color:{{{{ theme.accent_color|css }}}}">'
        f"{link}</a></p>"
    )


def theme_preview(*, version: ThemeVersion, locale: str) -> list[ChannelPreview]:
    """The theme applied to a sample email and letter."""
    brand = version.brand
    shared = replace(
        shared_content_latest(brand=brand), theme=theme_of(version=version, brand=brand)
    )
    previews = []
    for channel in (Channel.EMAIL, Channel.PRINT):
        try:
            rendered = render_content(
                channel=channel,
                locale=locale,
                brand=brand,
                subject=_("Theme preview"),
                body_html=_theme_sample(locale),
                body_text="",
                data={},
                recipient=SAMPLE_RECIPIENT,
                shared=shared,
            )
        except RenderError as exc:
            previews.append(ChannelPreview(channel=channel, locale=locale, error=exc))
        else:
            previews.append(ChannelPreview(channel=channel, locale=locale, rendered=rendered))
    return previews


def theme_preview_pdf(*, version: ThemeVersion, locale: str) -> bytes:
    brand = version.brand
    shared = replace(
        shared_content_latest(brand=brand), theme=theme_of(version=version, brand=brand)
    )
    rendered = render_content(
        channel=Channel.PRINT,
        locale=locale,
        brand=brand,
        subject=_("Theme preview"),
        body_html=_theme_sample(locale),
        body_text="",
        data={},
        recipient=SAMPLE_RECIPIENT,
        shared=shared,
    )
    return render_pdf(rendered)
