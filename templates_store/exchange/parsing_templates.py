"""Parsing the template files: one file per variant field under variants/, and each
shared block under blocks/ (its description and its text per channel and language). Each
text must be UTF-8 and parse as a template of its kind."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jinja2
import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ccm.input_checks import yaml_load_limited
from ccm.vocabulary import Channel
from rendering.environment import HTML_ENV, TEXT_ENV
from templates_store.exchange.layout import (
    BLOCK_FIELDS,
    BLOCKS_DIR,
    CHANNEL_FIELDS,
    FIELD_EXTENSION,
    VARIANTS_DIR,
    FileProblem,
    block_extension,
    type_problem,
)
from templates_store.models import Block
from templates_store.models.blocks import block_key

_VARIANT_NAME = re.compile(
    r"^(?P<channel>[^.]+)\.(?P<locale>[^.]+)\.(?P<field>[^.]+)\.(?P<ext>[^.]+)$"
)
_BLOCK_CONTENT_NAME = re.compile(
    r"^(?P<key>[^.]+)\.(?P<channel>[^.]+)\.(?P<locale>[^.]+)\.(?P<ext>[^.]+)$"
)


def check_variants(
    files: Mapping[str, bytes], problems: list[FileProblem]
) -> dict[tuple[str, str], dict[str, str]]:
    locales = {code for code, _name in settings.LANGUAGES}
    variants: dict[tuple[str, str], dict[str, str]] = {}
    for name, content in files.items():
        if not name.startswith(f"{VARIANTS_DIR}/"):
            continue
        match = _VARIANT_NAME.match(name[len(VARIANTS_DIR) + 1 :])
        if match is None:
            problems.append(
                FileProblem(name, "", _("Name it <channel>.<locale>.<field>.html or .txt."))
            )
            continue
        channel, locale, field_name, ext = match.group("channel", "locale", "field", "ext")
        if channel not in CHANNEL_FIELDS:
            problems.append(
                FileProblem(
                    name,
                    "channel",
                    _("Unknown channel %(value)r; use one of: %(choices)s.")
                    % {"value": channel, "choices": ", ".join(CHANNEL_FIELDS)},
                )
            )
            continue
        if locale not in locales:
            problems.append(
                FileProblem(
                    name,
                    "locale",
                    _("Unknown language %(value)r; use one of: %(choices)s.")
                    % {"value": locale, "choices": ", ".join(sorted(locales))},
                )
            )
            continue
        if field_name not in CHANNEL_FIELDS[channel]:
            problems.append(
                FileProblem(
                    name,
                    "field",
                    _("The %(channel)s channel has no field %(value)r; it has: %(choices)s.")
                    % {
                        "channel": channel,
                        "value": field_name,
                        "choices": ", ".join(CHANNEL_FIELDS[channel]),
                    },
                )
            )
            continue
        if ext != FIELD_EXTENSION[field_name]:
            problems.append(
                FileProblem(
                    name,
                    "field",
                    _("The %(field)s field is a .%(ext)s file.")
                    % {"field": field_name, "ext": FIELD_EXTENSION[field_name]},
                )
            )
            continue
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(
                FileProblem(
                    name,
                    field_name,
                    _("Not UTF-8 text (byte %(position)s).") % {"position": exc.start},
                )
            )
            continue
        if field_name == "subject" and ("\n" in text or len(text) > 500):
            problems.append(
                FileProblem(name, field_name, _("A subject is one line of at most 500 characters."))
            )
            continue
        env = HTML_ENV if field_name == "body_html" else TEXT_ENV
        try:
            env.parse(text)
        except jinja2.TemplateSyntaxError as exc:
            problems.append(
                FileProblem(
                    name,
                    field_name,
                    _("Template syntax error, line %(line)s: %(error)s")
                    % {"line": exc.lineno, "error": exc.message},
                )
            )
            continue
        variants.setdefault((channel, locale), {})[field_name] = text
    return variants


def _yaml_mapping(name: str, content: bytes, problems: list[FileProblem]) -> dict[str, Any]:
    try:
        value = yaml_load_limited(content)
    except UnicodeDecodeError:
        problems.append(FileProblem(name, "", _("Not UTF-8 text.")))
        return {}
    except yaml.YAMLError as exc:
        problems.append(FileProblem(name, "", _("Not valid YAML: %(error)s") % {"error": exc}))
        return {}
    if not isinstance(value, dict):
        problems.append(FileProblem(name, "", _("Must be a mapping of fields.")))
        return {}
    return value


def _check_block_metadata(
    name: str, key: str, raw: dict[str, Any], problems: list[FileProblem]
) -> dict[str, Any]:
    for unknown in sorted(set(raw) - set(BLOCK_FIELDS), key=str):
        problems.append(FileProblem(name, str(unknown), _("Unknown field.")))
    metadata = {k: raw[k] for k in BLOCK_FIELDS if k in raw}
    if "name" not in metadata:
        problems.append(FileProblem(name, "name", _("This field is required.")))
    badly_typed = set()
    for k, value in metadata.items():
        reason = type_problem(Block, k, value)
        if reason:
            badly_typed.add(k)
            problems.append(FileProblem(name, k, reason))
    try:
        block_key(key)
        Block(key=key, **metadata).full_clean(exclude=["brand"], validate_unique=False)
    except ValidationError as exc:
        details = exc.message_dict if hasattr(exc, "error_dict") else {"key": exc.messages}
        for k, messages in details.items():
            if (k in metadata and k not in badly_typed) or k == "key":
                problems.extend(FileProblem(name, k, m) for m in messages)
    return metadata


def check_blocks(
    files: Mapping[str, bytes], problems: list[FileProblem]
) -> dict[str, tuple[dict[str, Any], dict[tuple[str, str], str]]]:
    locales = {code for code, _name in settings.LANGUAGES}
    prefix = f"{BLOCKS_DIR}/"
    blocks: dict[str, tuple[dict[str, Any], dict[tuple[str, str], str]]] = {}
    for name in sorted(files):
        if name.startswith(prefix) and name.endswith(".yaml") and "/" not in name[len(prefix) :]:
            key = name[len(prefix) : -len(".yaml")]
            raw = _yaml_mapping(name, files[name], problems)
            blocks[key] = (_check_block_metadata(name, key, raw, problems), {})
    for name, content in sorted(files.items()):
        if not name.startswith(prefix) or name.endswith(".yaml"):
            continue
        match = _BLOCK_CONTENT_NAME.match(name[len(prefix) :])
        if match is None:
            problems.append(
                FileProblem(name, "", _("Name it <key>.<channel>.<locale>.html (or .txt for SMS)."))
            )
            continue
        key, channel, locale, ext = match.group("key", "channel", "locale", "ext")
        if key not in blocks:
            problems.append(
                FileProblem(
                    name,
                    "",
                    _("No %(file)s describes this block.") % {"file": f"{prefix}{key}.yaml"},
                )
            )
            continue
        if channel not in CHANNEL_FIELDS:
            problems.append(
                FileProblem(name, "channel", _("Unknown channel %(value)r.") % {"value": channel})
            )
            continue
        if locale not in locales:
            problems.append(
                FileProblem(name, "locale", _("Unknown language %(value)r.") % {"value": locale})
            )
            continue
        if ext != block_extension(channel):
            problems.append(
                FileProblem(
                    name,
                    "",
                    _("A %(channel)s block is a .%(ext)s file.")
                    % {"channel": channel, "ext": block_extension(channel)},
                )
            )
            continue
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(FileProblem(name, "body", _("Not UTF-8 text.")))
            continue
        env = TEXT_ENV if channel == Channel.SMS else HTML_ENV
        try:
            env.parse(text)
        except jinja2.TemplateSyntaxError as exc:
            problems.append(
                FileProblem(
                    name,
                    "body",
                    _("Template syntax error, line %(line)s: %(error)s")
                    % {"line": exc.lineno, "error": exc.message},
                )
            )
            continue
        blocks[key][1][(channel, locale)] = text
    return blocks
