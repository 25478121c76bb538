"""A communication as plain files, to keep it in git and move it between environments.

Layout (a folder, or the same files in a zip, optionally under one top folder)::

    communication.yaml                      key, name, purpose, category, limits, brand
    schema.json                             the JSON Schema of the communication's data
    samples/default.json                    the sample data of previews and test sends
    variants/<channel>.<locale>.<field>.html|txt
                                            one file per template field: ``subject`` and
                                            ``body_text`` are .txt, ``body_html`` is .html
    blocks/<key>.yaml                       each shared block the content inserts: name,
                                            kind, description
    blocks/<key>.<channel>.<locale>.html|txt
                                            its text (.txt for SMS); the version pinned on
                                            a submitted version, else the published one,
                                            else the latest

``communication.json`` (the same mapping) may replace ``communication.yaml``. Exporting
writes JSON with sorted keys and template text byte for byte, so export → import → export
gives identical files. Importing validates every file first and names the file and field
of each problem; it then creates a new draft version (a published version is never
changed). A block unknown to the brand is created, a block whose text differs gets a new
draft block version; both need review before the communication can be submitted. See
docs/studio.md.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import jinja2
import yaml
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from jsonschema.exceptions import SchemaError
from jsonschema.validators import validator_for

from ccm.input_checks import (
    json_depth,
    json_max_depth,
    json_too_deep_message,
    yaml_load_limited,
)
from channels.rendering import HTML_ENV, TEXT_ENV
from templates_store import services, shared_services
from templates_store.models import (
    Block,
    BlockVersion,
    Brand,
    Channel,
    Communication,
    ReviewEvent,
    TemplateVariant,
    TemplateVersion,
    block_key,
)
from templates_store.shared_lint import block_keys_used

FORMAT = 1
METADATA_YAML = "communication.yaml"
METADATA_JSON = "communication.json"
SCHEMA_FILE = "schema.json"
SAMPLES_DIR = "samples"
DEFAULT_SAMPLE = "samples/default.json"
VARIANTS_DIR = "variants"
BLOCKS_DIR = "blocks"

# Which template fields each channel has, and the one written (empty) for a blank variant.
CHANNEL_FIELDS: dict[str, tuple[str, ...]] = {
    Channel.EMAIL: ("subject", "body_html", "body_text"),
    Channel.SMS: ("body_text",),
    Channel.PRINT: ("subject", "body_html"),
}
MAIN_FIELD: dict[str, str] = {
    Channel.EMAIL: "body_html",
    Channel.SMS: "body_text",
    Channel.PRINT: "body_html",
}
FIELD_EXTENSION = {"subject": "txt", "body_html": "html", "body_text": "txt"}


def _plain_fields(model: type[models.Model], *, skip: set[str]) -> tuple[str, ...]:
    """The fields a person sets on ``model`` (text, numbers, choices), in model order."""
    return tuple(
        f.name
        for f in model._meta.concrete_fields
        if f.editable
        and not f.primary_key
        and f.name not in skip
        and isinstance(f, (models.CharField, models.TextField, models.IntegerField))
    )


# Every field a designer sets on a communication, besides its brand and data schema (in
# their own places), and every field of a brand: new model fields join the files.
METADATA_FIELDS = _plain_fields(Communication, skip=set())
BRAND_FIELDS = _plain_fields(Brand, skip=set())
BLOCK_FIELDS = _plain_fields(Block, skip={"key"})
_BLOCK_CONTENT_NAME = re.compile(
    r"^(?P<key>[^.]+)\.(?P<channel>[^.]+)\.(?P<locale>[^.]+)\.(?P<ext>[^.]+)$"
)
# A zip holding more than this is refused before it is unpacked.
MAX_FILES = 500
MAX_TOTAL_BYTES = 20 * 1024 * 1024
_VARIANT_NAME = re.compile(
    r"^(?P<channel>[^.]+)\.(?P<locale>[^.]+)\.(?P<field>[^.]+)\.(?P<ext>[^.]+)$"
)
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class FileProblem:
    """One problem of an import: the file, the field in it (or ""), and why."""

    file: str
    field: str
    reason: str

    def __str__(self) -> str:
        return (
            f"{self.file}, {self.field}: {self.reason}"
            if self.field
            else f"{self.file}: {self.reason}"
        )

    def as_dict(self) -> dict[str, str]:
        return {"file": self.file, "field": self.field, "reason": self.reason}


class CommunicationFilesError(ValidationError):
    """The files cannot be imported; ``problems`` names each file, field and reason."""

    def __init__(self, problems: list[FileProblem]) -> None:
        super().__init__([str(p) for p in problems])
        self.problems = problems


# EXPORT -------------------------------------------------------------------------------


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


def _block_ext(channel: str) -> str:
    return "txt" if channel == Channel.SMS else "html"


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
            name = f"{block.key}.{content.channel}.{content.locale}.{_block_ext(content.channel)}"
            files[f"{BLOCKS_DIR}/{name}"] = content.body.encode()
    return files


def _plain(value: Any) -> int | str | None:
    """Model values as YAML's plain types (a choice enum as its string)."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value  # type: ignore[no-any-return]
    return str(value)


def _variant_path(channel: str, locale: str, name: str) -> str:
    return f"{VARIANTS_DIR}/{channel}.{locale}.{name}.{FIELD_EXTENSION[name]}"


def files_to_zip(files: Mapping[str, bytes], *, folder: str = "") -> bytes:
    """A zip of ``files`` (under ``folder/`` when given) that is the same bytes every time."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, content in sorted(files.items()):
            info = zipfile.ZipInfo(f"{folder}/{path}" if folder else path, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def _managed(path: str) -> bool:
    return path in (METADATA_YAML, METADATA_JSON, SCHEMA_FILE) or path.startswith(
        (f"{SAMPLES_DIR}/", f"{VARIANTS_DIR}/", f"{BLOCKS_DIR}/")
    )


def files_to_folder(files: Mapping[str, bytes], folder: Path) -> None:
    """Write ``files`` under ``folder``; files of the layout that the export no longer has
    (a removed variant) are deleted, anything else in the folder (.git, README) is kept."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in files_from_folder(folder, strict=False):
        if _managed(path) and path not in files:
            (folder / path).unlink()
    for path, content in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    for sub in (SAMPLES_DIR, VARIANTS_DIR, BLOCKS_DIR):
        directory = folder / sub
        if directory.is_dir() and not any(directory.iterdir()):
            shutil.rmtree(directory)


# READING FILES ------------------------------------------------------------------------


def files_from_folder(folder: Path, *, strict: bool = True) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden files and folders such as .git skipped).
    Raises CommunicationFilesError when ``folder`` is not a folder (``strict``)."""
    if not folder.is_dir():
        if strict:
            raise CommunicationFilesError([FileProblem(str(folder), "", _("No such folder."))])
        return {}
    files = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        files[relative.as_posix()] = path.read_bytes()
    return files


def files_from_zip(data: bytes) -> dict[str, bytes]:
    """The files of a zip; a single top folder holding everything is removed from the
    paths. Raises CommunicationFilesError for a damaged, unsafe or oversized zip."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise CommunicationFilesError(
            [FileProblem("(zip)", "", _("Not a zip file: %(error)s") % {"error": exc})]
        ) from exc
    infos = [info for info in archive.infolist() if not info.is_dir()]
    if len(infos) > MAX_FILES or sum(i.file_size for i in infos) > MAX_TOTAL_BYTES:
        raise CommunicationFilesError(
            [
                FileProblem(
                    "(zip)",
                    "",
                    _("Too large: at most %(files)s files and %(mb)s MB.")
                    % {"files": MAX_FILES, "mb": MAX_TOTAL_BYTES // (1024 * 1024)},
                )
            ]
        )
    files: dict[str, bytes] = {}
    problems = []
    for info in infos:
        path = PurePosixPath(info.filename)
        if path.is_absolute() or ".." in path.parts:
            problems.append(FileProblem(info.filename, "", _("Unsafe path in the zip.")))
            continue
        if any(part.startswith(".") or part == "__MACOSX" for part in path.parts):
            continue
        files[path.as_posix()] = archive.read(info)
    if problems:
        raise CommunicationFilesError(problems)
    tops = {path.split("/", 1)[0] for path in files}
    if len(tops) == 1 and all("/" in path for path in files):
        top = tops.pop()
        files = {path[len(top) + 1 :]: content for path, content in files.items()}
    return files


# IMPORT -------------------------------------------------------------------------------


@dataclass
class ParsedCommunication:
    """Validated content of the files, ready to be written."""

    metadata: dict[str, Any]
    brand: dict[str, Any]
    data_schema: dict[str, Any]
    sample_data: dict[str, Any]
    variants: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    # key -> ({name, kind, description}, {(channel, locale): body})
    blocks: dict[str, tuple[dict[str, Any], dict[tuple[str, str], str]]] = field(
        default_factory=dict
    )


def _load_json(name: str, content: bytes, problems: list[FileProblem]) -> Any:
    if json_depth(content) > json_max_depth():
        problems.append(FileProblem(name, "", json_too_deep_message()))
        return None
    try:
        return json.loads(content.decode("utf-8"))
    except UnicodeDecodeError:
        problems.append(FileProblem(name, "", _("Not UTF-8 text.")))
    except json.JSONDecodeError as exc:
        problems.append(
            FileProblem(
                name,
                "",
                _("Not valid JSON: %(error)s (line %(line)s, column %(column)s).")
                % {"error": exc.msg, "line": exc.lineno, "column": exc.colno},
            )
        )
    return None


def _read_metadata(files: Mapping[str, bytes], problems: list[FileProblem]) -> tuple[str, Any]:
    present = [name for name in (METADATA_YAML, METADATA_JSON) if name in files]
    if len(present) != 1:
        problems.append(
            FileProblem(
                METADATA_YAML,
                "",
                _("Missing: the communication's description is required.")
                if not present
                else _("Give communication.yaml or communication.json, not both."),
            )
        )
        return METADATA_YAML, None
    name = present[0]
    if name == METADATA_JSON:
        return name, _load_json(name, files[name], problems)
    try:
        return name, yaml_load_limited(files[name])
    except UnicodeDecodeError:
        problems.append(FileProblem(name, "", _("Not UTF-8 text.")))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = (
            _(" (line %(line)s, column %(column)s)")
            % {"line": mark.line + 1, "column": mark.column + 1}
            if mark is not None
            else ""
        )
        problems.append(
            FileProblem(
                name,
                "",
                _("Not valid YAML: %(error)s%(where)s")
                % {"error": getattr(exc, "problem", None) or exc, "where": where},
            )
        )
    return name, None


def _type_problem(model: type[models.Model], name: str, value: Any) -> str:
    """Why ``value`` cannot go in the field ``name`` ("" when it can)."""
    model_field = model._meta.get_field(name)
    if value is None:
        return "" if model_field.null else _("This field cannot be empty.")
    if isinstance(model_field, models.IntegerField):
        ok = isinstance(value, int) and not isinstance(value, bool)
        return "" if ok else _("Must be a whole number.")
    return "" if isinstance(value, str) else _("Must be text.")


def _check_metadata(
    name: str, raw: Any, problems: list[FileProblem]
) -> tuple[dict[str, Any], dict[str, Any]]:
    if not isinstance(raw, dict):
        problems.append(FileProblem(name, "", _("Must be a mapping of fields.")))
        return {}, {}
    if raw.get("format", FORMAT) != FORMAT:
        problems.append(
            FileProblem(
                name,
                "format",
                _("Unknown format %(value)r; this platform reads format %(format)s.")
                % {"value": raw.get("format"), "format": FORMAT},
            )
        )
    for key in sorted(set(raw) - {*METADATA_FIELDS, "brand", "format"}, key=str):
        problems.append(FileProblem(name, str(key), _("Unknown field.")))
    metadata = {key: raw[key] for key in METADATA_FIELDS if key in raw}
    for key in ("key", "name", "category"):
        if key not in metadata:
            problems.append(FileProblem(name, key, _("This field is required.")))
    for key, value in metadata.items():
        reason = _type_problem(Communication, key, value)
        if reason:
            problems.append(FileProblem(name, key, reason))
    badly_typed = {problem.field for problem in problems if problem.file == name}
    try:
        Communication(**metadata).full_clean(exclude=["brand"], validate_unique=False)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            # A missing required field or a wrong type is reported above already.
            if key in metadata and key not in badly_typed:
                problems.extend(FileProblem(name, key, message) for message in messages)
    brand_raw = raw.get("brand")
    brand: dict[str, Any] = {}
    if not isinstance(brand_raw, dict) or not isinstance(brand_raw.get("name"), str):
        problems.append(FileProblem(name, "brand.name", _("Name the brand.")))
    else:
        for key in sorted(set(brand_raw) - set(BRAND_FIELDS), key=str):
            problems.append(FileProblem(name, f"brand.{key}", _("Unknown field.")))
        brand = {key: brand_raw[key] for key in BRAND_FIELDS if key in brand_raw}
        for key, value in brand.items():
            reason = _type_problem(Brand, key, value)
            if reason:
                problems.append(FileProblem(name, f"brand.{key}", reason))
    return metadata, brand


def _check_schema(files: Mapping[str, bytes], problems: list[FileProblem]) -> dict[str, Any] | None:
    if SCHEMA_FILE not in files:
        problems.append(FileProblem(SCHEMA_FILE, "", _("Missing: the data schema is required.")))
        return None
    schema = _load_json(SCHEMA_FILE, files[SCHEMA_FILE], problems)
    if schema is None:
        return None
    if not isinstance(schema, dict):
        problems.append(FileProblem(SCHEMA_FILE, "", _("Must be a JSON object ({...}).")))
        return None
    try:
        validator_for(schema).check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path)
        problems.append(
            FileProblem(
                SCHEMA_FILE, where, _("Not a valid JSON Schema: %(error)s") % {"error": exc.message}
            )
        )
        return None
    return schema


def _check_sample(
    files: Mapping[str, bytes], schema: dict[str, Any] | None, problems: list[FileProblem]
) -> dict[str, Any]:
    for name in files:
        if name.startswith(f"{SAMPLES_DIR}/") and name != DEFAULT_SAMPLE:
            problems.append(
                FileProblem(
                    name, "", _("Unexpected file: the sample data is samples/default.json.")
                )
            )
    if DEFAULT_SAMPLE not in files:
        return {}
    sample = _load_json(DEFAULT_SAMPLE, files[DEFAULT_SAMPLE], problems)
    if sample is None:
        return {}
    if not isinstance(sample, dict):
        problems.append(FileProblem(DEFAULT_SAMPLE, "", _("Must be a JSON object ({...}).")))
        return {}
    if schema is not None:
        validator = validator_for(schema)(schema)
        for error in sorted(validator.iter_errors(sample), key=lambda e: list(map(str, e.path))):
            where = ".".join(str(p) for p in error.absolute_path)
            problems.append(FileProblem(DEFAULT_SAMPLE, where, error.message))
    return sample


def _check_variants(
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
        reason = _type_problem(Block, k, value)
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


def _check_blocks(
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
        if ext != _block_ext(channel):
            problems.append(
                FileProblem(
                    name,
                    "",
                    _("A %(channel)s block is a .%(ext)s file.")
                    % {"channel": channel, "ext": _block_ext(channel)},
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


def communication_files_parse(files: Mapping[str, bytes]) -> ParsedCommunication:
    """Validate every file. Raises CommunicationFilesError listing all the problems."""
    problems: list[FileProblem] = []
    for name in sorted(files):
        if not _managed(name):
            problems.append(FileProblem(name, "", _("Unexpected file.")))
    before = len(problems)
    metadata_name, raw = _read_metadata(files, problems)
    metadata: dict[str, Any] = {}
    brand: dict[str, Any] = {}
    if len(problems) == before:
        metadata, brand = _check_metadata(metadata_name, raw, problems)
    schema = _check_schema(files, problems)
    sample = _check_sample(files, schema, problems)
    variants = _check_variants(files, problems)
    blocks = _check_blocks(files, problems)
    if problems:
        raise CommunicationFilesError(problems)
    assert schema is not None
    return ParsedCommunication(
        metadata=metadata,
        brand=brand,
        data_schema=schema,
        sample_data=sample,
        variants=variants,
        blocks=blocks,
    )


def _brand_for(parsed: ParsedCommunication, file: str) -> Brand:
    existing = Brand.objects.filter(name=parsed.brand["name"]).first()
    if existing is not None:
        return existing
    brand = Brand(**parsed.brand)
    try:
        brand.full_clean()
    except ValidationError as exc:
        raise CommunicationFilesError(
            [
                FileProblem(file, f"brand.{key}", message)
                for key, messages in exc.message_dict.items()
                for message in messages
            ]
        ) from exc
    brand.save()
    return brand


@transaction.atomic
def communication_import(*, files: Mapping[str, bytes], actor: User) -> TemplateVersion:
    """Create or update the communication the files describe and give it a new draft
    version with the files' sample data and variants (a published version is never
    changed). A brand unknown here is created from the file; a known one is used as it is.
    Raises CommunicationFilesError naming the file and field of every problem, and
    PermissionDenied when ``actor`` may not create drafts or create/change this
    communication."""
    parsed = communication_files_parse(files)
    exists = Communication.objects.filter(key=parsed.metadata["key"]).exists()
    needed = [
        "templates_store.add_templateversion",
        "templates_store.change_communication" if exists else "templates_store.add_communication",
    ]
    if not actor.has_perms(needed):
        raise PermissionDenied(
            _("Importing needs the permissions: %(perms)s.") % {"perms": ", ".join(needed)}
        )
    metadata_file = METADATA_YAML if METADATA_YAML in files else METADATA_JSON
    brand = _brand_for(parsed, metadata_file)
    fields = {k: v for k, v in parsed.metadata.items() if k != "key"}
    communication = (
        Communication.objects.select_for_update().filter(key=parsed.metadata["key"]).first()
    )
    try:
        if communication is None:
            communication = services.communication_create(
                key=parsed.metadata["key"],
                author=actor,
                brand=brand,
                data_schema=parsed.data_schema,
                **fields,
            )
            version = communication.versions.get()
        else:
            services.communication_update(
                communication=communication, brand=brand, data_schema=parsed.data_schema, **fields
            )
            version = services.version_create(communication=communication, author=actor)
            version.variants.all().delete()
    except ValidationError as exc:
        raise CommunicationFilesError(
            [
                FileProblem(metadata_file, key, message)
                for key, messages in exc.message_dict.items()
                for message in messages
            ]
        ) from exc
    version.sample_data = parsed.sample_data
    version.save(update_fields=["sample_data"])
    TemplateVariant.objects.bulk_create(
        TemplateVariant(version=version, channel=channel, locale=locale, **content)
        for (channel, locale), content in sorted(parsed.variants.items())
    )
    _import_blocks(parsed, brand=brand, actor=actor)
    ReviewEvent.objects.create(version=version, actor=actor, action=ReviewEvent.Action.IMPORTED)
    return version


def _import_blocks(parsed: ParsedCommunication, *, brand: Brand, actor: User) -> None:
    """A block the brand lacks is created (draft version 1); one whose current text (the
    published version, else the latest) differs gets a new draft version with the files'
    text. The block's name and kind stay as they are here."""
    for key, (metadata, bodies) in sorted(parsed.blocks.items()):
        block = Block.objects.filter(brand=brand, key=key).first()
        try:
            if block is None:
                block = shared_services.block_create(
                    brand=brand,
                    key=key,
                    name=metadata["name"],
                    kind=metadata.get("kind", Block.Kind.OTHER),
                    description=metadata.get("description", ""),
                    author=actor,
                )
                draft = block.versions.get()
            else:
                current = (
                    block.versions.filter(status=TemplateVersion.Status.PUBLISHED).first()
                    or block.versions.order_by("-number").first()
                )
                existing = (
                    {(c.channel, c.locale): c.body for c in current.contents.all()}
                    if current
                    else {}
                )
                if existing == bodies:
                    continue
                draft = shared_services.block_version_create(block=block, author=actor)
            for channel, locale in {(c.channel, c.locale) for c in draft.contents.all()} - set(
                bodies
            ):
                shared_services.block_content_save(
                    version=draft, channel=channel, locale=locale, body=""
                )
            for (channel, locale), body in sorted(bodies.items()):
                shared_services.block_content_save(
                    version=draft, channel=channel, locale=locale, body=body
                )
        except ValidationError as exc:
            raise CommunicationFilesError(
                [FileProblem(f"{BLOCKS_DIR}/{key}.yaml", "", m) for m in exc.messages]
            ) from exc
