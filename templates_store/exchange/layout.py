"""The layout of a communication's files: their names, the fields each file carries, and
the problem type every step of an import reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from ccm.vocabulary import Channel
from templates_store.models import Block, Brand, Communication

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


def plain_fields(model: type[models.Model], *, skip: set[str]) -> tuple[str, ...]:
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
METADATA_FIELDS = plain_fields(Communication, skip=set())
BRAND_FIELDS = plain_fields(Brand, skip=set())
BLOCK_FIELDS = plain_fields(Block, skip={"key"})
# A zip holding more than this is refused before it is unpacked.
MAX_FILES = 500
MAX_TOTAL_BYTES = 20 * 1024 * 1024


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


def is_layout_path(path: str) -> bool:
    """Whether ``path`` is one of the layout's files (what an export writes and owns)."""
    return path in (METADATA_YAML, METADATA_JSON, SCHEMA_FILE) or path.startswith(
        (f"{SAMPLES_DIR}/", f"{VARIANTS_DIR}/", f"{BLOCKS_DIR}/")
    )


def block_extension(channel: str) -> str:
    """The extension of a block's text file on ``channel`` (SMS text is .txt)."""
    return "txt" if channel == Channel.SMS else "html"


def type_problem(model: type[models.Model], name: str, value: Any) -> str:
    """Why ``value`` cannot go in the field ``name`` ("" when it can)."""
    model_field = model._meta.get_field(name)
    if value is None:
        return "" if model_field.null else _("This field cannot be empty.")
    if isinstance(model_field, models.IntegerField):
        ok = isinstance(value, int) and not isinstance(value, bool)
        return "" if ok else _("Must be a whole number.")
    return "" if isinstance(value, str) else _("Must be text.")
