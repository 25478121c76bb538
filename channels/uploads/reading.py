"""The recipient rows of a file in any of the formats."""

from collections.abc import Iterator, Mapping
from typing import IO, Any

from django.utils.translation import gettext as _

from channels.uploads.csv_rows import csv_rows
from channels.uploads.formats import CSV, FORMATS, JSON, JSONL, UploadError
from channels.uploads.json_rows import json_rows, jsonl_rows


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
