"""Rows of a CSV file: contact columns become row keys, the other columns the row's
template data, typed by the communication's schema."""

import csv
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

from ccm.input_checks import nul_refused_message
from channels.uploads.encodings import csv_encoding, text_lines
from channels.uploads.formats import UploadError

# Columns of a CSV file that describe the recipient; every other column is template data.
CONTACT_COLUMNS = ("customer_id", "name", "email", "phone", "address", "locale", "channel")
DATA_PREFIX = "data."

_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _schema_types(schema: Mapping[str, Any], path: tuple[str, ...]) -> set[str]:
    node: Any = schema
    for part in path:
        properties = node.get("properties") if isinstance(node, Mapping) else None
        if not isinstance(properties, Mapping) or part not in properties:
            return set()
        node = properties[part]
    kind = node.get("type") if isinstance(node, Mapping) else None
    if isinstance(kind, str):
        return {kind}
    return {k for k in kind if isinstance(k, str)} if isinstance(kind, list) else set()


def _converter(types: set[str]) -> Any:
    """How a CSV cell becomes a JSON value for a data field of these schema types.

    Only numbers, integers and booleans are converted; a cell that does not look like one
    stays a string so that schema validation reports the row, the field and the reason.
    An empty cell of a numeric field means "no value" and is left out.
    """
    if "integer" in types or "number" in types:
        allow_float = "number" in types

        def to_number(cell: str) -> Any:
            value = cell.strip()
            if not value:
                return _OMIT
            if _INTEGER.fullmatch(value):
                return int(value)
            if allow_float and _NUMBER.fullmatch(value):
                return float(value)
            return cell

        return to_number
    if "boolean" in types:

        def to_boolean(cell: str) -> Any:
            value = cell.strip().lower()
            return {"true": True, "false": False}.get(value, cell)

        return to_boolean
    return None


_OMIT = object()


@dataclass(frozen=True)
class _Column:
    index: int
    # ("contact", key) or ("data", path) where path is the nested data field.
    kind: str
    path: tuple[str, ...]
    convert: Any


def _csv_columns(header: list[str], schema: Mapping[str, Any], line: int) -> list[_Column]:
    """The columns the header names, checked in time linear in its width."""
    limit = settings.CCM_UPLOAD_MAX_COLUMNS
    if len(header) > limit:
        raise UploadError(
            _("the header names %(count)s columns; at most %(limit)s are accepted")
            % {"count": len(header), "limit": limit},
            line=line,
        )
    names = [name.strip() for name in header]
    seen: set[str] = set()
    columns = []
    data_paths: dict[tuple[str, ...], None] = {}
    for index, name in enumerate(names):
        if not name:
            raise UploadError(
                _("column %(number)s of the header has no name") % {"number": index + 1}, line=line
            )
        if name in seen:
            raise UploadError(
                _("column %(name)r appears twice in the header") % {"name": name}, line=line
            )
        seen.add(name)
        if name in CONTACT_COLUMNS:
            columns.append(_Column(index, "contact", (name,), None))
            continue
        field_name = name.removeprefix(DATA_PREFIX)
        path = tuple(field_name.split("."))
        if not all(path):
            raise UploadError(_("column %(name)r is not a field name") % {"name": name}, line=line)
        data_paths[path] = None
        columns.append(_Column(index, "data", path, _converter(_schema_types(schema, path))))
    # "data.a" and "data.a.b" cannot both be given: "a" would be a value and an object.
    # Each path's own prefixes are looked up, so the check is linear in the header.
    for other in data_paths:
        for size in range(1, len(other)):
            path = other[:size]
            if path in data_paths:
                raise UploadError(
                    _("columns %(first)r and %(second)r both set %(field)r")
                    % {"first": ".".join(path), "second": ".".join(other), "field": path[-1]},
                    line=line,
                )
    return columns


def _put(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = data
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value


def csv_rows(
    *, file: IO[bytes], schema: Mapping[str, Any] | None = None, encoding: str | None = None
) -> Iterator[dict[str, Any]]:
    """Rows of a CSV file whose first line names the columns. Raises UploadError.

    Contact columns (``customer_id``, ``name``, ``email``, ``phone``, ``address``,
    ``locale``, ``channel``) become row keys; ``data.<field>`` columns, and any other
    column, become ``row["data"][field]`` (``data.account.number`` nests). Cells are
    strings except where ``schema`` types the field as a number, integer or boolean.
    Blank lines are skipped. ``encoding`` is the one the sender declared (see
    ``csv_encoding``). A NUL character in a cell is refused naming its line and column.
    """
    schema = schema or {}
    lines = text_lines(file, csv_encoding(file=file, declared=encoding))
    current = {"line": 0}

    def numbered() -> Iterator[str]:
        for number, text in lines:
            current["line"] = number
            yield text

    reader = csv.reader(numbered(), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise UploadError(_("the file is empty"))
        columns = _csv_columns(header, schema, current["line"])
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(columns):
                raise UploadError(
                    _("%(cells)s cells but the header names %(columns)s columns")
                    % {"cells": len(cells), "columns": len(columns)},
                    line=current["line"],
                )
            if any("\x00" in cell for cell in cells):
                index = next(i for i, cell in enumerate(cells) if "\x00" in cell)
                raise UploadError(
                    _("column %(column)r: %(reason)s")
                    % {"column": header[index].strip(), "reason": nul_refused_message()},
                    line=current["line"],
                )
            row: dict[str, Any] = {}
            data: dict[str, Any] = {}
            for column, cell in zip(columns, cells, strict=False):
                if column.kind == "contact":
                    if cell.strip():
                        row[column.path[0]] = cell.strip()
                    continue
                value = column.convert(cell) if column.convert else cell
                if value is not _OMIT:
                    _put(data, column.path, value)
            row["data"] = data
            yield row
    except csv.Error as exc:
        raise UploadError(
            _("not valid CSV: %(error)s") % {"error": exc}, line=current["line"]
        ) from exc
