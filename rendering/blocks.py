"""Shared content: the blocks a template inserts with ``block("key")`` and the theme it
sees, as values, rendered and cached per brand, theme, locale and body.

Rendering knows nothing of where blocks and themes are kept: the studio provides a
``SharedContentLookup`` once, when it starts (``shared_content_lookup_set``), and
``render`` asks it for a version's shared content.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from markupsafe import Markup

from ccm.vocabulary import Channel
from rendering.environment import render_field
from rendering.exceptions import BlockLookupError
from rendering.sources import BrandSource, VersionSource
from rendering.text import html_to_text


@dataclass(frozen=True)
class Theme:
    """A brand theme as templates see it (``theme.primary_color`` ...). ``logo`` is the
    logo's source for the channel being rendered: the https address in email, the embedded
    image in letters ("" when there is none)."""

    version: int | None
    primary_color: str
    accent_color: str
    text_color: str
    background_color: str
    font_family: str
    heading_font_family: str
    logo_url: str = ""
    logo_data: str = ""
    logo_alt: str = ""
    logo: str = ""


@dataclass(frozen=True)
class BlockSource:
    """One version of a block: its body per (channel, locale)."""

    key: str
    number: int
    bodies: Mapping[tuple[str, str], str]


@dataclass(frozen=True)
class SharedContent:
    """The blocks a render may insert (by key) and the theme it applies."""

    blocks: Mapping[str, BlockSource]
    theme: Theme
    pinned: bool = False


class BlockInserter:
    """``block("key")`` in templates: renders the block's body for the channel and locale
    (with ``theme``, ``brand`` and ``locale``) and records which block versions were used."""

    def __init__(
        self, *, shared: SharedContent, channel: str, locale: str, brand: BrandSource, theme: Theme
    ) -> None:
        self.shared = shared
        self.channel = channel
        self.locale = locale
        self.brand = _BrandValues.of(brand)
        self.theme = theme
        self.used: dict[str, int] = {}

    def _render(self, env_kind: str, source: BlockSource, body: str) -> str:
        return _block_render(env_kind, source.key, body, self.locale, self.brand, self.theme)

    def _as_text(self, source: BlockSource, body: str) -> str:
        return _block_render_as_text(source.key, body, self.locale, self.brand, self.theme)

    def _body(self, key: Any, channel: str) -> tuple[BlockSource, str]:
        source = self.shared.blocks.get(key) if isinstance(key, str) else None
        if source is None:
            if self.shared.pinned:
                raise BlockLookupError(
                    f"block {key!r} is not among the blocks pinned at submission"
                )
            raise BlockLookupError(f"unknown block {key!r}: no published block has this key")
        body = source.bodies.get((channel, self.locale))
        if body is None:
            raise BlockLookupError(
                f"block {key!r} (version {source.number}) has no {channel} content"
                f" in {self.locale!r}"
            )
        self.used[source.key] = source.number
        return source, body

    def html(self, key: Any) -> Markup:
        source, body = self._body(key, self.channel)
        return Markup(self._render("html", source, body))  # noqa: S704

    def text(self, key: Any) -> str:
        if self.channel == Channel.EMAIL:
            # The text part of an email: the block's email HTML as text.
            source, body = self._body(key, Channel.EMAIL)
            return self._as_text(source, body)
        source, body = self._body(key, self.channel)
        if self.channel == Channel.SMS:
            return self._render("text", source, body).strip()
        return self._as_text(source, body)


@dataclass(frozen=True)
class _BrandValues:
    """A brand as a cache key: equal when every plain field is; carries the instance."""

    values: tuple[Any, ...]
    brand: BrandSource = field(compare=False, hash=False)

    @classmethod
    def of(cls, brand: BrandSource) -> _BrandValues:
        return cls(tuple(f.value_to_string(brand) for f in brand._meta.concrete_fields), brand)


@lru_cache(maxsize=1024)
def _block_render(
    env_kind: str, key: str, body: str, locale: str, brand: _BrandValues, theme: Theme
) -> str:
    """A block's body rendered. Blocks see only ``locale``, ``brand`` and ``theme``, never
    the recipient's data, so a block renders the same for every message of a run: once
    per process and per brand, theme, locale and body."""
    context = {"locale": locale, "brand": brand.brand, "theme": theme}
    return render_field(env_kind, f"block {key}", body, context)


@lru_cache(maxsize=1024)
def _block_render_as_text(
    key: str, body: str, locale: str, brand: _BrandValues, theme: Theme
) -> str:
    """A block's HTML body as text (the text part of an email), cached as the HTML is."""
    return html_to_text(_block_render("html", key, body, locale, brand, theme))


class SharedContentLookup(Protocol):
    """Where rendering finds shared content, provided by the studio: the brand's latest
    published blocks and theme (what a draft renders with), and a version's (the
    versions pinned at submission, or the latest for a draft). Raises RenderError when
    a pinned version is gone or no longer matches its pin."""

    def latest(self, *, brand: BrandSource) -> SharedContent: ...

    def for_version(self, *, version: VersionSource) -> SharedContent: ...


@dataclass
class _Lookups:
    shared_content: SharedContentLookup | None = None


_LOOKUPS = _Lookups()


def shared_content_lookup_set(lookup: SharedContentLookup) -> None:
    """Called once by the studio when it starts (its ``AppConfig.ready()``)."""
    _LOOKUPS.shared_content = lookup


def _shared_content_lookup() -> SharedContentLookup:
    if _LOOKUPS.shared_content is None:
        raise ImproperlyConfigured(
            "No shared content lookup: the studio (templates_store) sets one when it starts."
        )
    return _LOOKUPS.shared_content


def shared_for_brand(brand: BrandSource) -> SharedContent:
    return _shared_content_lookup().latest(brand=brand)


def shared_for_version(version: VersionSource) -> SharedContent:
    return _shared_content_lookup().for_version(version=version)
