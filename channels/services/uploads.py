"""Recipient files uploaded in the web UI: parse them into batch rows, keep them between
the preview and the confirmation, and preview what the first rows will look like.

A file is CSV, JSON (an array of row objects) or JSON Lines. A CSV file is read as UTF-8
(with or without BOM); another encoding only when the sender declares it (``encoding``)
or when charset-normalizer finds CP932, as Japanese Excel writes it; any other file that
is not UTF-8 is refused naming the first bad byte. Rows are produced lazily, one at a
time, so a file of a million recipients is never held in memory; ``batch_create``
consumes them as a stream.
"""

import codecs
import csv
import datetime as dt
import json
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO, Any

import charset_normalizer
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

from ccm.input_checks import (
    contains_nul,
    json_depth,
    json_max_depth,
    json_too_deep_message,
    nul_refused_message,
    value_depth,
)
from channels.services.batches import available_channels, message_build, row_context
from channels.services.routing import RowError, data_validator
from rendering.render import Recipient, RenderError, render
from templates_store.models import TemplateVersion

CSV = "csv"
JSON = "json"
JSONL = "jsonl"
FORMATS = (CSV, JSON, JSONL)
_EXTENSIONS = {".csv": CSV, ".txt": CSV, ".json": JSON, ".jsonl": JSONL, ".ndjson": JSONL}

# Columns of a CSV file that describe the recipient; every other column is template data.
CONTACT_COLUMNS = ("customer_id", "name", "email", "phone", "address", "locale", "channel")
DATA_PREFIX = "data."

UPLOAD_DIR = "uploads"
_READ_SIZE = 64 * 1024
# A JSON row larger than this is refused rather than read on until the end of the file.
MAX_JSON_ROW_CHARS = 1024 * 1024


class UploadError(ValueError):
    """The file cannot be read as recipient rows. ``line`` is the 1-based line of the
    file where reading stopped, when known."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        text = _("line %(line)s: %(message)s") % {"line": line, "message": message}
        super().__init__(text if line else message)
        self.message = message
        self.line = line


def upload_format(*, filename: str) -> str:
    """The format of a file from its name (.csv, .json, .jsonl/.ndjson). Raises UploadError."""
    suffix = PurePosixPath(filename.lower()).suffix
    if suffix not in _EXTENSIONS:
        raise UploadError(
            _("cannot tell the format of %(name)r: name it .csv, .json or .jsonl")
            % {"name": filename}
        )
    return _EXTENSIONS[suffix]


# ENCODING -----------------------------------------------------------------------------


# Bytes of a file that is not UTF-8 that charset-normalizer looks at.
_DETECT_SIZE = 256 * 1024
# Encodings taken without a declaration, when charset-normalizer finds them.
_DETECTED = {"cp932", "shift_jis"}


@dataclass(frozen=True)
class _BadByte:
    """Where a file stops being UTF-8: 0-based byte offset, 1-based line and column."""

    offset: int
    line: int
    column: int
    value: int


def _first_bad_utf8(file: IO[bytes]) -> _BadByte | None:
    """The first byte that is not valid UTF-8, or None. Reads the file in chunks and
    rewinds it."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    file.seek(0)
    # Bytes read so far, newlines among them, and the offset where the current line starts.
    offset = lines = line_start = 0
    try:
        while True:
            chunk = file.read(_READ_SIZE)
            # The decoder keeps an unfinished character (no newline in it) between chunks.
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                # ``exc.object`` is the unfinished character followed by this chunk.
                begins = offset - pending
                before = exc.object[: exc.start]
                if (newline := before.rfind(b"\n")) >= 0:
                    lines += before.count(b"\n")
                    line_start = begins + newline + 1
                bad = begins + exc.start
                return _BadByte(bad, lines + 1, bad - line_start + 1, exc.object[exc.start])
            if not chunk:
                return None
            if (newline := chunk.rfind(b"\n")) >= 0:
                lines += chunk.count(b"\n")
                line_start = offset + newline + 1
            offset += len(chunk)
    finally:
        file.seek(0)


def _detected(file: IO[bytes]) -> str | None:
    """``cp932`` when charset-normalizer finds the start of the file to be CP932 text with
    no mess (its chaos measure under 0.1) and the text looks Japanese (``_looks_japanese``),
    else None. Short Japanese samples often have
    an 8-bit code page as their best guess, so CP932 being a clean candidate is enough;
    Latin-1 or Windows-1252 text is refused by the library's mess detection."""
    sample = file.read(_DETECT_SIZE)
    file.seek(0)
    if len(sample) == _DETECT_SIZE and b"\n" in sample:
        # Whole lines only: a character cut in two would look like another encoding.
        sample = sample[: sample.rfind(b"\n") + 1]
    for match in charset_normalizer.from_bytes(sample):
        if match.chaos < 0.1 and _DETECTED & set(match.could_be_from_charset):
            return "cp932" if _looks_japanese(sample) else None
    return None


# Japanese text in CP932 is mostly kana, punctuation and common (JIS level 1) kanji, whose
# lead bytes are 0x81 to 0x9F. Latin-1 and Windows-1252 letters (0xC0 to 0xFF) read as
# CP932 give half-width katakana, rare (level 2) kanji or private-use characters.
_COMMON_LEAD = range(0x81, 0xA0)
_MIN_COMMON = 2


def _looks_japanese(sample: bytes) -> bool:
    """Strong evidence that ``sample`` is CP932 Japanese text: it decodes, holds no
    private-use character, at least two double-byte characters of kana or common kanji,
    which are most of its double-byte characters and outnumber its half-width katakana."""
    try:
        text = sample.decode("cp932")
    except UnicodeDecodeError:
        return False
    common = rare = half_width = 0
    for char in text:
        if char.isascii():
            continue
        if "\ue000" <= char <= "\uf8ff":
            return False
        if "\uff61" <= char <= "\uff9f":
            half_width += 1
            continue
        if char.encode("cp932")[0] in _COMMON_LEAD:
            common += 1
        else:
            rare += 1
    return common >= _MIN_COMMON and common > rare and common > half_width


def _declared(encoding: str) -> str:
    try:
        name = codecs.lookup(encoding).name
    except LookupError as exc:
        raise UploadError(
            _("unknown encoding %(encoding)r (give a name such as utf-8 or cp932)")
            % {"encoding": encoding}
        ) from exc
    return "utf-8-sig" if name in ("utf-8", "utf-8-sig") else name


def csv_encoding(*, file: IO[bytes], declared: str | None = None) -> str:
    """The encoding of a CSV file: the ``declared`` one when given; else ``utf-8-sig``
    when the whole file is UTF-8 (with or without BOM); else ``cp932`` when
    charset-normalizer finds the encoding Japanese Excel saves CSV in. Any other file is
    refused (UploadError naming the first byte that is not UTF-8): guessing would fill
    letters with garbled names. Reads the file once, in chunks, and rewinds it."""
    if declared:
        return _declared(declared)
    bad = _first_bad_utf8(file)
    if bad is None:
        return "utf-8-sig"
    detected = _detected(file)
    if detected:
        return detected
    raise UploadError(
        _(
            "the file is not UTF-8: byte 0x%(byte)02X at offset %(offset)s (column "
            "%(column)s) is not valid UTF-8; save it as UTF-8 or declare its encoding "
            "(encoding=..., or charset= in the Content-Type)"
        )
        % {"byte": bad.value, "offset": bad.offset, "column": bad.column},
        line=bad.line,
    )


def declared_encoding(*, content_type: str | None, parameter: str | None = None) -> str | None:
    """The encoding a sender declares: an ``encoding`` parameter, else the ``charset=`` of
    the Content-Type; None when neither is given."""
    if parameter and parameter.strip():
        return parameter.strip()
    for part in (content_type or "").split(";")[1:]:
        key, _sep, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip().strip('"'):
            return value.strip().strip('"')
    return None


def _text_lines(file: IO[bytes], encoding: str) -> Iterator[tuple[int, str]]:
    """(line number, decoded line with its newline) for each line of a binary file.

    Splitting on the newline byte is safe for UTF-8 and CP932: neither uses 0x0A inside a
    multi-byte character.
    """
    label = "UTF-8" if encoding.startswith("utf-8") else encoding.upper()
    for number, raw in enumerate(file, start=1):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise UploadError(
                _("bytes that are not valid %(encoding)s at column %(column)s")
                % {"encoding": label, "column": exc.start + 1},
                line=number,
            ) from exc
        if number == 1:
            text = text.removeprefix("\ufeff")
        yield number, text


# CSV ----------------------------------------------------------------------------------

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
    lines = _text_lines(file, csv_encoding(file=file, declared=encoding))
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


# JSON ---------------------------------------------------------------------------------


def jsonl_rows(*, file: IO[bytes]) -> Iterator[Any]:
    """One JSON value per line (blank lines skipped). Raises UploadError naming the line."""
    for number, text in _text_lines(file, "utf-8"):
        if not text.strip():
            continue
        if json_depth(text) > json_max_depth():
            raise UploadError(json_too_deep_message(), line=number)
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UploadError(
                _("not valid JSON: %(error)s (column %(column)s)")
                % {"error": exc.msg, "column": exc.colno},
                line=number,
            ) from exc
        if contains_nul(row):
            raise UploadError(nul_refused_message(), line=number)
        yield row


_DECODER = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\r\n]*")


def json_rows(*, file: IO[bytes]) -> Iterator[Any]:
    """The elements of a JSON array, decoded one at a time from a buffer that never holds
    more than the element being read plus one read chunk. Raises UploadError naming the
    line of the first character that is not valid."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    buffer = ""
    position = 0
    # Lines of the file wholly consumed before ``buffer`` starts.
    consumed_lines = 0
    at_end = False
    state = "start"

    def line_at(index: int) -> int:
        return consumed_lines + buffer.count("\n", 0, index) + 1

    def fill() -> bool:
        nonlocal buffer, position, consumed_lines, at_end
        if at_end:
            return False
        chunk = file.read(_READ_SIZE)
        try:
            text = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            raise UploadError(
                _("bytes that are not valid UTF-8"), line=line_at(len(buffer))
            ) from exc
        consumed_lines += buffer.count("\n", 0, position)
        buffer = buffer[position:] + text
        position = 0
        at_end = not chunk
        return True

    def skip_whitespace() -> bool:
        """Move past whitespace; False at the end of the file."""
        nonlocal position
        while True:
            position = _WHITESPACE.match(buffer, position).end()  # type: ignore[union-attr]
            if position < len(buffer):
                return True
            if not fill():
                return False

    while True:
        if not skip_whitespace():
            if state == "done":
                return
            raise UploadError(
                _("the file ends before the JSON array is closed"), line=line_at(position)
            )
        char = buffer[position]
        if state == "start":
            if char != "[":
                raise UploadError(
                    _("a JSON file must hold an array of rows: [{...}, {...}]"),
                    line=line_at(position),
                )
            position += 1
            state = "first"
        elif state == "done":
            raise UploadError(
                _("unexpected content after the end of the array"), line=line_at(position)
            )
        elif char == "]" and state in ("first", "after"):
            position += 1
            state = "done"
        elif state == "after":
            if char != ",":
                raise UploadError(_("expected ',' or ']' after a row"), line=line_at(position))
            position += 1
            state = "value"
        else:
            while True:
                try:
                    value, end = _DECODER.raw_decode(buffer, position)
                except RecursionError as exc:
                    raise UploadError(json_too_deep_message(), line=line_at(position)) from exc
                except json.JSONDecodeError as exc:
                    # The value may simply continue past what has been read so far.
                    if len(buffer) - position < MAX_JSON_ROW_CHARS and fill():
                        continue
                    raise UploadError(
                        _("not valid JSON: %(error)s") % {"error": exc.msg}, line=line_at(exc.pos)
                    ) from exc
                # A number at the very end of the buffer may have more digits to come.
                if end == len(buffer) and not at_end and isinstance(value, int | float):
                    fill()
                    continue
                break
            if value_depth(value) > json_max_depth():
                raise UploadError(json_too_deep_message(), line=line_at(position))
            if contains_nul(value):
                raise UploadError(nul_refused_message(), line=line_at(position))
            position = end
            state = "after"
            yield value


def upload_rows(
    *,
    file: IO[bytes],
    format: str,
    schema: Mapping[str, Any] | None = None,
    encoding: str | None = None,
) -> Iterator[Any]:
    """The recipient rows of an uploaded file, lazily, as ``batch_create`` accepts them.

    ``file`` is a binary file positioned anywhere (it is rewound); ``encoding`` is the
    CSV encoding the sender declared (JSON is always UTF-8). Raises UploadError, naming
    the line, when the file is malformed; rows already produced stay valid.
    """
    file.seek(0)
    if format == CSV:
        return csv_rows(file=file, schema=schema, encoding=encoding)
    if format == JSON:
        return json_rows(file=file)
    if format == JSONL:
        return jsonl_rows(file=file)
    raise UploadError(
        _("unknown format %(format)r (one of %(formats)s)")
        % {"format": format, "formats": ", ".join(FORMATS)}
    )


# STORAGE BETWEEN PREVIEW AND CONFIRMATION ---------------------------------------------

# Files left behind by previews that were never confirmed are removed after this long.
UPLOAD_MAX_AGE = dt.timedelta(days=1)


def upload_store(*, file: File, filename: str) -> str:
    """Keep an uploaded file in the default storage under ``uploads/``, with a random name
    (the client's file name is never used as a path). Returns the storage name."""
    suffix = PurePosixPath(filename.lower()).suffix
    suffix = suffix if suffix in _EXTENSIONS else ""
    return default_storage.save(f"{UPLOAD_DIR}/{uuid.uuid4().hex}{suffix}", file)


def upload_open(*, name: str) -> IO[bytes]:
    """Open a stored upload for reading. Raises ValueError for a name outside ``uploads/``."""
    if not name.startswith(f"{UPLOAD_DIR}/") or ".." in name:
        raise ValueError(f"not an upload: {name!r}")
    return default_storage.open(name, "rb")


def upload_delete(*, name: str) -> None:
    if name.startswith(f"{UPLOAD_DIR}/") and ".." not in name:
        default_storage.delete(name)


def uploads_purge_stale(*, max_age: dt.timedelta = UPLOAD_MAX_AGE) -> int:
    """Delete stored uploads older than ``max_age``; returns how many were deleted."""
    try:
        _, files = default_storage.listdir(UPLOAD_DIR)
    except FileNotFoundError:
        return 0
    cutoff = timezone.now() - max_age
    deleted = 0
    for filename in files:
        name = f"{UPLOAD_DIR}/{filename}"
        try:
            if default_storage.get_modified_time(name) < cutoff:
                default_storage.delete(name)
                deleted += 1
        except FileNotFoundError:
            continue
    return deleted


# PREVIEW ------------------------------------------------------------------------------

PREVIEW_ROWS = 3
# Rows whose data is checked before confirmation; the rest are checked by batch_create.
PREVIEW_CHECK_ROWS = 50_000
PREVIEW_MAX_ERRORS = 200


@dataclass(frozen=True)
class RowPreview:
    """One of the first rows, as it would go out (or why it would not)."""

    row: int
    recipient: str = ""
    recipient_name: str = ""
    channel: str = ""
    locale: str = ""
    # Email subject, SMS text or letter title.
    summary: str = ""
    sms_segments: int | None = None
    sms_encoding: str = ""
    suppressed: str = ""
    error: str = ""


@dataclass
class UploadPreview:
    version: TemplateVersion
    rows: list[RowPreview] = field(default_factory=list)
    # {"row", "field", "reason"} for rows whose data does not match the schema.
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    checked: int = 0
    total: int = 0
    # A malformed file: nothing can be submitted.
    file_error: str = ""

    @property
    def fully_checked(self) -> bool:
        return self.checked == self.total

    @property
    def can_submit(self) -> bool:
        return not self.file_error and self.total > 0


def _row_preview(version: TemplateVersion, number: int, row: Any) -> RowPreview:
    available = available_channels(version)
    try:
        context = row_context(rows=[row], communication=version.communication)
        message = message_build(
            version=version, row=row, context=context, available=available, number=number
        )
    except RowError as exc:
        return RowPreview(row=number, error=f"{exc.field}: {exc.reason}")
    suppressed = message.last_error if message.status == "suppressed" else ""
    base: dict[str, Any] = {
        "row": number,
        "recipient": message.recipient,
        "recipient_name": message.recipient_name,
        "channel": message.channel,
        "locale": message.locale,
        "suppressed": suppressed,
    }
    recipient = Recipient(
        name=message.recipient_name, address_lines=tuple(message.recipient.splitlines())
    )
    try:
        rendered = render(
            version, message.channel, message.locale, message.data, recipient=recipient
        )
    except RenderError as exc:
        return RowPreview(**base, error=str(exc))
    if rendered.sms is not None:
        return RowPreview(
            **base,
            summary=rendered.text,
            sms_segments=rendered.sms.segments,
            sms_encoding=rendered.sms.encoding,
        )
    return RowPreview(**base, summary=rendered.subject)


def upload_preview(
    *, version: TemplateVersion, rows: Iterable[Any], check_rows: int = PREVIEW_CHECK_ROWS
) -> UploadPreview:
    """Read the rows once: render the first few with ``version`` (channel chosen as the
    batch would choose it), check the data of up to ``check_rows`` rows against the
    communication's schema, and count them all. A malformed file is reported in
    ``file_error``, not raised. Reads only."""
    preview = UploadPreview(version=version)
    validator = data_validator(version.communication.data_schema)
    try:
        for number, row in enumerate(rows, start=1):
            preview.total = number
            if number <= PREVIEW_ROWS:
                preview.rows.append(_row_preview(version, number, row))
            if number > check_rows:
                continue
            preview.checked = number
            try:
                if not isinstance(row, Mapping):
                    raise RowError("row", "must be an object")
                validator.validate(row.get("data", {}))
            except RowError as exc:
                preview.error_count += 1
                if len(preview.errors) < PREVIEW_MAX_ERRORS:
                    preview.errors.append({"row": number, "field": exc.field, "reason": exc.reason})
    except UploadError as exc:
        preview.file_error = str(exc)
    return preview
