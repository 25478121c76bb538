"""What the first rows of a file will look like, and which rows have bad data, before the
file is confirmed. Reads only."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ccm.vocabulary import MessageStatus
from channels.services.batches import available_channels, message_build, row_context
from channels.services.routing import RowError, data_validator
from channels.uploads.formats import UploadError
from rendering.exceptions import RenderError
from rendering.render import render
from rendering.types import Recipient
from templates_store.models import TemplateVersion

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
    suppressed = message.last_error if message.status == MessageStatus.SUPPRESSED else ""
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
