"""Parsing: every file checked before anything is written, each problem named by file and
field. This module reads the description (communication.yaml or .json), the data schema
and the sample data; ``parsing_templates`` reads the variants and blocks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from jsonschema.exceptions import SchemaError
from jsonschema.validators import validator_for

from ccm.input_checks import (
    json_depth,
    json_max_depth,
    json_too_deep_message,
    yaml_load_limited,
)
from templates_store.exchange.layout import (
    BRAND_FIELDS,
    DEFAULT_SAMPLE,
    FORMAT,
    METADATA_FIELDS,
    METADATA_JSON,
    METADATA_YAML,
    SAMPLES_DIR,
    SCHEMA_FILE,
    CommunicationFilesError,
    FileProblem,
    is_layout_path,
    type_problem,
)
from templates_store.exchange.parsing_templates import check_blocks, check_variants
from templates_store.models import Brand, Communication


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


def communication_files_parse(files: Mapping[str, bytes]) -> ParsedCommunication:
    """Validate every file. Raises CommunicationFilesError listing all the problems."""
    problems: list[FileProblem] = []
    for name in sorted(files):
        if not is_layout_path(name):
            problems.append(FileProblem(name, "", _("Unexpected file.")))
    before = len(problems)
    metadata_name, raw = _read_metadata(files, problems)
    metadata: dict[str, Any] = {}
    brand: dict[str, Any] = {}
    if len(problems) == before:
        metadata, brand = _check_metadata(metadata_name, raw, problems)
    schema = _check_schema(files, problems)
    sample = _check_sample(files, schema, problems)
    variants = check_variants(files, problems)
    blocks = check_blocks(files, problems)
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
        reason = type_problem(Communication, key, value)
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
            reason = type_problem(Brand, key, value)
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
