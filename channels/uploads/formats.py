"""The file formats of recipient rows, told from a file's name, and the error of a file
that cannot be read."""

from pathlib import PurePosixPath

from django.utils.translation import gettext as _

CSV = "csv"
JSON = "json"
JSONL = "jsonl"
FORMATS = (CSV, JSON, JSONL)
EXTENSIONS = {".csv": CSV, ".txt": CSV, ".json": JSON, ".jsonl": JSONL, ".ndjson": JSONL}


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
    if suffix not in EXTENSIONS:
        raise UploadError(
            _("cannot tell the format of %(name)r: name it .csv, .json or .jsonl")
            % {"name": filename}
        )
    return EXTENSIONS[suffix]
