"""Reads of shared content: blocks and themes for rendering, lists, "where used" and what
a block change affects.

A submitted communication version renders with the block and theme versions pinned on it
(``TemplateVersion.block_pins`` / ``theme_pin``); a draft with the brand's latest published
ones. Pinned versions never change once approved, so they are cached per process by id and
content hash; the hash is checked when a pinned version is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from rendering.blocks import BlockSource, SharedContent, Theme
from rendering.exceptions import RenderError
from rendering.sources import BrandSource, VersionSource
from templates_store.models import (
    Block,
    BlockVersion,
    Brand,
    Communication,
    TemplateVersion,
    ThemeVersion,
)
from templates_store.shared_lint import block_keys_used

Status = TemplateVersion.Status


# FOR RENDERING ------------------------------------------------------------------------


def _block_source(version: BlockVersion) -> BlockSource:
    return BlockSource(
        key=version.block.key,
        number=version.number,
        bodies={(c.channel, c.locale): c.body for c in version.contents.all()},
    )


def theme_of(*, version: ThemeVersion | None, brand: Brand) -> Theme:
    """The theme templates see: ``version``'s, or the brand's own colours when None."""
    if version is None:
        return Theme(
            version=None,
            primary_color=brand.primary_color,
            accent_color=brand.primary_color,
            text_color=brand.text_color,
            background_color="#f3f4f6",
            font_family=brand.font_family,
            heading_font_family="",
            logo_alt=brand.name,
        )
    return Theme(
        version=version.number,
        primary_color=version.primary_color,
        accent_color=version.accent_color,
        text_color=version.text_color,
        background_color=version.background_color,
        font_family=version.font_family,
        heading_font_family=version.heading_font_family,
        logo_url=version.logo_url,
        logo_data=version.logo_data,
        logo_alt=version.logo_alt or brand.name,
    )


def block_versions_published(*, brand: Brand) -> QuerySet[BlockVersion]:
    return (
        BlockVersion.objects.filter(block__brand=brand, status=Status.PUBLISHED)
        .select_related("block")
        .prefetch_related("contents")
    )


def theme_version_published(*, brand: Brand) -> ThemeVersion | None:
    return ThemeVersion.objects.filter(brand=brand, status=Status.PUBLISHED).first()


def shared_content_latest(*, brand: Brand) -> SharedContent:
    """The brand's published blocks and theme: what a draft previews with (an unsaved
    brand has none: its own colours apply)."""
    if brand.pk is None:
        return SharedContent(blocks={}, theme=theme_of(version=None, brand=brand))
    return SharedContent(
        blocks={v.block.key: _block_source(v) for v in block_versions_published(brand=brand)},
        theme=theme_of(version=theme_version_published(brand=brand), brand=brand),
        pinned=False,
    )


@lru_cache(maxsize=2048)
def _pinned_block(pk: int, content_hash: str) -> BlockSource:
    try:
        version = (
            BlockVersion.objects.select_related("block").prefetch_related("contents").get(pk=pk)
        )
    except BlockVersion.DoesNotExist as exc:
        raise RenderError(f"pinned block version {pk} does not exist") from exc
    if version.compute_content_hash() != content_hash:
        raise RenderError(f"block {version} no longer matches the content pinned at submission")
    return _block_source(version)


@lru_cache(maxsize=256)
def _pinned_theme(pk: int, content_hash: str) -> tuple[ThemeVersion, str]:
    try:
        version = ThemeVersion.objects.select_related("brand").get(pk=pk)
    except ThemeVersion.DoesNotExist as exc:
        raise RenderError(f"pinned theme version {pk} does not exist") from exc
    if version.compute_content_hash() != content_hash:
        raise RenderError(f"{version} no longer matches the content pinned at submission")
    return version, content_hash


def shared_content_for_version(*, version: TemplateVersion) -> SharedContent:
    """The shared content ``version`` renders with: pinned once submitted, else latest."""
    brand = version.communication.brand
    if version.status == Status.DRAFT or version.submitted_at is None:
        return shared_content_latest(brand=brand)
    theme_version = (
        _pinned_theme(version.theme_pin["id"], version.theme_pin["content_hash"])[0]
        if version.theme_pin
        else None
    )
    return SharedContent(
        blocks={
            key: _pinned_block(pin["id"], pin["content_hash"])
            for key, pin in version.block_pins.items()
        },
        theme=theme_of(version=theme_version, brand=brand),
        pinned=True,
    )


class StudioSharedContent:
    """The shared content lookup rendering asks (``rendering.blocks.SharedContentLookup``),
    set when the app starts: the objects it is given are the studio's brands and versions."""

    def latest(self, *, brand: BrandSource) -> SharedContent:
        if not isinstance(brand, Brand):
            raise TypeError(f"not a brand: {brand!r}")
        return shared_content_latest(brand=brand)

    def for_version(self, *, version: VersionSource) -> SharedContent:
        if not isinstance(version, TemplateVersion):
            raise TypeError(f"not a template version: {version!r}")
        return shared_content_for_version(version=version)


# LISTS AND PAGES ----------------------------------------------------------------------


def block_list(*, brand: Brand | None = None, search: str = "") -> QuerySet[Block]:
    queryset = Block.objects.select_related("brand").prefetch_related(
        Prefetch("versions", queryset=BlockVersion.objects.order_by("-number"))
    )
    if brand is not None:
        queryset = queryset.filter(brand=brand)
    if search.strip():
        queryset = queryset.filter(key__icontains=search.strip()) | queryset.filter(
            name__icontains=search.strip()
        )
    return queryset.order_by("brand__name", "key")


def block_get(*, pk: int) -> Block:
    return Block.objects.select_related("brand").get(pk=pk)


def block_version_get(*, pk: int) -> BlockVersion:
    return (
        BlockVersion.objects.select_related("block__brand", "author", "approved_by")
        .prefetch_related("contents", "events__actor")
        .get(pk=pk)
    )


def block_version_published(*, block: Block) -> BlockVersion | None:
    return block.versions.filter(status=Status.PUBLISHED).first()


def block_versions_for_review() -> QuerySet[BlockVersion]:
    return BlockVersion.objects.select_related("block__brand", "author").filter(
        status__in=[Status.IN_REVIEW, Status.APPROVED]
    )


def theme_versions(*, brand: Brand) -> QuerySet[ThemeVersion]:
    return ThemeVersion.objects.filter(brand=brand).select_related("author", "approved_by")


def theme_version_get(*, pk: int) -> ThemeVersion:
    return (
        ThemeVersion.objects.select_related("brand", "author", "approved_by")
        .prefetch_related("events__actor")
        .get(pk=pk)
    )


def theme_versions_for_review() -> QuerySet[ThemeVersion]:
    return ThemeVersion.objects.select_related("brand", "author").filter(
        status__in=[Status.IN_REVIEW, Status.APPROVED]
    )


# WHERE USED ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BlockUse:
    """A communication version that uses a block: ``pinned_number`` is the block version
    pinned on it (None for a draft, which uses the latest published block)."""

    communication: Communication
    version: TemplateVersion
    pinned_number: int | None

    @property
    def is_published(self) -> bool:
        return self.version.status == Status.PUBLISHED


def _uses_key(version: TemplateVersion, key: str) -> bool:
    return key in block_keys_used(version=version)


def block_where_used(*, block: Block) -> list[BlockUse]:
    """Every communication of the block's brand whose published version pins the block,
    or whose current draft inserts it, newest version first per communication."""
    versions = (
        TemplateVersion.objects.filter(communication__brand=block.brand_id)
        .filter(
            Q(status=Status.DRAFT, variants__isnull=False)
            | Q(
                status__in=[Status.PUBLISHED, Status.IN_REVIEW, Status.APPROVED],
                block_pins__has_key=block.key,
            )
        )
        .distinct()
        .select_related("communication")
        .prefetch_related("variants")
        .order_by("communication__name", "-number")
    )
    uses: list[BlockUse] = []
    for version in versions:
        if version.status == Status.DRAFT:
            if _uses_key(version, block.key):
                uses.append(BlockUse(version.communication, version, None))
            continue
        pin = version.block_pins[block.key]
        uses.append(BlockUse(version.communication, version, int(pin["number"])))
    return uses


@dataclass(frozen=True)
class BlockImpact:
    """What publishing a new block version changes for one communication using the block."""

    communication: Communication
    published_version: TemplateVersion
    pinned_number: int
    # True: its next version (a new draft, submitted) picks up the new block version; the
    # published version keeps rendering with ``pinned_number`` until then.
    picks_up_on_next_version: bool


def block_version_impact(*, version: BlockVersion) -> list[BlockImpact]:
    """The communications whose published version uses ``version``'s block (a change in
    review affects them once they publish a new version)."""
    key = version.block.key
    published = (
        TemplateVersion.objects.filter(
            communication__brand=version.block.brand_id,
            status=Status.PUBLISHED,
            block_pins__has_key=key,
        )
        .select_related("communication")
        .order_by("communication__name")
    )
    impacts = []
    for template_version in published:
        pin: dict[str, Any] | None = template_version.block_pins.get(key)
        if pin is None:
            continue
        impacts.append(
            BlockImpact(
                communication=template_version.communication,
                published_version=template_version,
                pinned_number=int(pin["number"]),
                picks_up_on_next_version=int(pin["number"]) != version.number,
            )
        )
    return impacts


def theme_where_used(*, theme_version: ThemeVersion) -> list[TemplateVersion]:
    """Published communication versions that pin ``theme_version``."""
    published = TemplateVersion.objects.filter(
        communication__brand=theme_version.brand_id, status=Status.PUBLISHED
    ).select_related("communication")
    return [v for v in published if v.theme_pin.get("id") == theme_version.pk]
