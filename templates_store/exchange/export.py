"""Export: a communication and the shared blocks it inserts as the layout's files.

Writes JSON with sorted keys and template text byte for byte, so export → import → export
gives identical files.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from templates_store.exchange.layout import (
    BLOCK_FIELDS,
    BLOCKS_DIR,
    BRAND_FIELDS,
    CHANNEL_FIELDS,
    DEFAULT_SAMPLE,
    FIELD_EXTENSION,
    FORMAT,
    MAIN_FIELD,
    METADATA_FIELDS,
    METADATA_YAML,
    SCHEMA_FILE,
    VARIANTS_DIR,
    block_extension,
)
from templates_store.models import Block, BlockVersion, Communication, TemplateVersion
from templates_store.shared_lint import block_keys_used


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def communication_files(
    *, communication: Communication, version: TemplateVersion | None = None
) -> dict[str, bytes]:
    """The files of ``communication`` with the content of ``version`` (default: the latest
    version), as {relative posix path: bytes}, sorted by path."""
    if version is None:
        version = communication.versions.order_by("-number").first()
    elif version.communication_id != communication.pk:
        raise ValueError("the version belongs to another communication")
    brand = communication.brand
    metadata: dict[str, Any] = {"format": FORMAT}
    metadata.update({name: _plain(getattr(communication, name)) for name in METADATA_FIELDS})
    metadata["brand"] = {name: _plain(getattr(brand, name)) for name in BRAND_FIELDS}
    files: dict[str, bytes] = {
        METADATA_YAML: yaml.safe_dump(
            metadata, allow_unicode=True, sort_keys=False, default_flow_style=False, width=100
        ).encode(),
        SCHEMA_FILE: _json_bytes(communication.data_schema),
    }
    if version is not None:
        files[DEFAULT_SAMPLE] = _json_bytes(version.sample_data)
        for variant in version.variants.all():
            written = False
            for name in CHANNEL_FIELDS.get(variant.channel, ()):
                value: str = getattr(variant, name)
                if value:
                    files[_variant_path(variant.channel, variant.locale, name)] = value.encode()
                    written = True
            if not written:
                main = MAIN_FIELD[variant.channel]
                files[_variant_path(variant.channel, variant.locale, main)] = b""
        files.update(_block_files(version))
    return dict(sorted(files.items()))


def _block_version_exported(version: TemplateVersion, block: Block) -> BlockVersion | None:
    """The block version pinned on ``version``, else the published one, else the latest."""
    versions = block.versions.prefetch_related("contents")
    pin = version.block_pins.get(block.key) if version.block_pins else None
    if pin is not None:
        pinned = versions.filter(pk=pin["id"]).first()
        if pinned is not None:
            return pinned
    return (
        versions.filter(status=TemplateVersion.Status.PUBLISHED).first()
        or versions.order_by("-number").first()
    )


def _block_files(version: TemplateVersion) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    keys = block_keys_used(version=version) | set(version.block_pins or {})
    blocks = Block.objects.filter(brand_id=version.communication.brand_id, key__in=keys)
    for block in blocks:
        block_version = _block_version_exported(version, block)
        metadata = {name: _plain(getattr(block, name)) for name in BLOCK_FIELDS}
        files[f"{BLOCKS_DIR}/{block.key}.yaml"] = yaml.safe_dump(
            metadata, allow_unicode=True, sort_keys=False, default_flow_style=False, width=100
        ).encode()
        for content in block_version.contents.all() if block_version else []:
            name = (
                f"{block.key}.{content.channel}.{content.locale}.{block_extension(content.channel)}"
            )
            files[f"{BLOCKS_DIR}/{name}"] = content.body.encode()
    return files


def _plain(value: Any) -> int | str | None:
    """Model values as YAML's plain types (a choice enum as its string)."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value  # type: ignore[no-any-return]
    return str(value)


def _variant_path(channel: str, locale: str, name: str) -> str:
    return f"{VARIANTS_DIR}/{channel}.{locale}.{name}.{FIELD_EXTENSION[name]}"
