"""Rows of a JSON Lines file (one value per line) and of a JSON file (an array, decoded one
element at a time)."""

import codecs
import json
import re
from collections.abc import Iterator
from typing import IO, Any

from django.utils.translation import gettext as _

from ccm.input_checks import (
    contains_nul,
    json_depth,
    json_max_depth,
    json_too_deep_message,
    nul_refused_message,
    value_depth,
)
from channels.uploads.encodings import READ_SIZE, text_lines
from channels.uploads.formats import UploadError

# A JSON row larger than this is refused rather than read on until the end of the file.
MAX_JSON_ROW_CHARS = 1024 * 1024


def jsonl_rows(*, file: IO[bytes]) -> Iterator[Any]:
    """One JSON value per line (blank lines skipped). Raises UploadError naming the line."""
    for number, text in text_lines(file, "utf-8"):
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
        chunk = file.read(READ_SIZE)
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
