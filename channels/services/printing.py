"""Print production: the letters of a run become print files.

Letters awaiting print are grouped by envelope (their communication's
``letter_envelope``) and by sheet count, so that the inserting machine runs one setting
for a whole file. Each group becomes one merged PDF and a manifest (CSV and JSON:
sequence, customer, pages, sheets, envelope, sha256 of the letter...):

- printed on both sides (``CCM_PRINT_DUPLEX``), a letter with an odd page count is
  followed by a blank page, so that every letter starts on a sheet of its own;
- with ``CCM_PRINT_BARCODE = "qr"``, the front of every sheet carries a QR code in the
  left margin, ``<sequence:6>-<sheet:2>-<sheets:2>`` (``000012-01-02``: letter 12 of the
  file, sheet 1 of 2), which the inserter reads to collate and check each envelope.

A print file is built from the letters' archived PDFs, so what is printed is what was
archived (the manifest's sha256 is the archived letter's), and each letter stays in the
archive on its own. Print files go to the print backend (``PRINT_BACKENDS``), by default a
``STORAGES`` alias: a folder, or S3 or SFTP in production.
"""

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from typing import Any

import segno
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ccm.spreadsheets import escape_formula
from channels.backends import print_backends
from channels.backends.printing.base import PrintJob, PrintResult
from channels.models import Batch, Message, PrintFile
from channels.pipeline import transitions
from compliance.models import ArchiveEntry
from compliance.services import artifact_read
from rendering.pdf_files import PdfJoiner, pdf_page_count

MANIFEST_FIELDS = [
    "sequence",
    "message_id",
    "customer",
    "recipient_name",
    "envelope",
    "pages",
    "blank_pages",
    "sheets",
    "first_page",
    "barcode",
    "sha256",
]
BARCODES = ("", "qr")
MM = 72 / 25.4
# The QR code's place on the front of each sheet: in the left margin, clear of every
# envelope's window and of the body.
BARCODE_LEFT_MM = 4
BARCODE_TOP_MM = 120
BARCODE_MODULE_PT = 1.1


@dataclass(frozen=True)
class _Letter:
    message: Message
    pdf: bytes
    pages: int
    sheets: int
    # A blank back page after an odd page count when printed on both sides (0 or 1).
    blank_pages: int
    envelope: str
    sha256: str


def _sheets(pages: int, *, duplex: bool) -> int:
    return (pages + 1) // 2 if duplex else pages


def _barcode_setting() -> str:
    kind = str(getattr(settings, "CCM_PRINT_BARCODE", "") or "").lower()
    if kind not in BARCODES:
        raise ImproperlyConfigured(
            f"CCM_PRINT_BARCODE is {kind!r}; use one of: {', '.join(repr(b) for b in BARCODES)}"
        )
    return kind


def barcode_text(*, sequence: int, sheet: int, sheets: int) -> str:
    """What the inserter reads on a sheet: letter sequence in the file, sheet, sheets."""
    return f"{sequence:06d}-{sheet:02d}-{sheets:02d}"


def _qr_pdf(text: str) -> bytes:
    buffer = io.BytesIO()
    segno.make_qr(text, error="m").save(buffer, kind="pdf", scale=BARCODE_MODULE_PT, border=0)
    return buffer.getvalue()


def _print_pdf(letters: list[_Letter], *, duplex: bool, barcode: str) -> bytes:
    """The merged PDF of one print file: each letter's pages, a blank back page after a
    letter with an odd page count when printed on both sides, and the QR code on the
    front of each sheet when asked for."""
    joiner = PdfJoiner()
    try:
        for sequence, letter in enumerate(letters, start=1):
            pages = joiner.add(letter.pdf)
            for index, page in enumerate(pages):
                if barcode and (not duplex or index % 2 == 0):
                    sheet = index // 2 + 1 if duplex else index + 1
                    text = barcode_text(sequence=sequence, sheet=sheet, sheets=letter.sheets)
                    joiner.overlay(
                        page, _qr_pdf(text), left=BARCODE_LEFT_MM * MM, top=BARCODE_TOP_MM * MM
                    )
            if letter.blank_pages:
                joiner.add_blank(like=pages[-1])
        return joiner.bytes()
    finally:
        joiner.close()


def _print_job(
    *, name: str, run: dict[str, Any], letters: list[_Letter], duplex: bool, barcode: str
) -> tuple[PrintJob, int]:
    """The merged PDF and manifests of one print file; returns the job and its page count."""
    rows = []
    page_number = 1
    for sequence, letter in enumerate(letters, start=1):
        message = letter.message
        rows.append(
            {
                "sequence": sequence,
                "message_id": message.pk,
                "customer": message.customer.external_id if message.customer else "",
                "recipient_name": message.recipient_name,
                "envelope": letter.envelope,
                "pages": letter.pages,
                "blank_pages": letter.blank_pages,
                "sheets": letter.sheets,
                "first_page": page_number,
                "barcode": barcode_text(sequence=sequence, sheet=1, sheets=letter.sheets)
                if barcode
                else "",
                "sha256": letter.sha256,
            }
        )
        page_number += letter.pages + letter.blank_pages
    csv_buffer = io.StringIO()
    csv_writer = csv.DictWriter(csv_buffer, fieldnames=MANIFEST_FIELDS)
    csv_writer.writeheader()
    # The vendor opens the manifest in a spreadsheet: no cell may run as a formula.
    csv_writer.writerows({k: escape_formula(v) for k, v in row.items()} for row in rows)
    manifest = {**run, "letters": rows}
    job = PrintJob(
        name=name,
        pdf=_print_pdf(letters, duplex=duplex, barcode=barcode),
        manifest_csv=csv_buffer.getvalue().encode("utf-8"),
        manifest_json=json.dumps(manifest, ensure_ascii=False, indent=2).encode(),
    )
    return job, page_number - 1


def _pages_record(letters: QuerySet[Message]) -> None:
    """Record the page count of letters rendered before it was recorded at rendering."""
    entries = ArchiveEntry.objects.filter(message__in=letters.filter(pages=0), is_test=False).only(
        "message_id", "artifact_name"
    )
    for entry in entries.iterator(chunk_size=500):
        if entry.message_id is not None:  # always, for a letter's entry
            pages = pdf_page_count(artifact_read(entry=entry))
            Message.objects.filter(pk=entry.message_id).update(pages=pages)


def _groups(letters: QuerySet[Message], *, duplex: bool) -> dict[tuple[str, int], list[int]]:
    """The page counts of the letters awaiting print, by envelope and sheet count."""
    groups: dict[tuple[str, int], list[int]] = {}
    counts = letters.values_list("version__communication__letter_envelope", "pages").distinct()
    for envelope, pages in counts:
        groups.setdefault((envelope, _sheets(pages, duplex=duplex)), []).append(pages)
    return groups


def _letters_load(ids: list[int], *, duplex: bool) -> list[_Letter]:
    messages = Message.objects.filter(id__in=ids).select_related(
        "customer", "version__communication"
    )
    entries = {
        e.message_id: e for e in ArchiveEntry.objects.filter(message_id__in=ids, is_test=False)
    }
    letters = []
    for message in sorted(messages, key=lambda m: m.pk):
        entry = entries[message.pk]
        letters.append(
            _Letter(
                message=message,
                pdf=artifact_read(entry=entry),
                pages=message.pages,
                sheets=_sheets(message.pages, duplex=duplex),
                blank_pages=1 if duplex and message.pages % 2 else 0,
                envelope=message.version.communication.letter_envelope,
                sha256=entry.artifact_sha256,
            )
        )
    return letters


def print_files_build(*, batch: Batch | None) -> list[PrintFile]:
    """Collect every letter of ``batch`` awaiting print (with None: every real-time letter,
    which belongs to no batch) into print files, one per envelope and sheet count, of at
    most ``CCM_PRINT_FILE_LETTERS`` letters each; hand each to the print backend and mark
    its letters sent. Returns the print files (none when no letter awaits print), each
    with ``message_ids`` set. Only one print file's letters are held in memory at a time.

    Raises ``DeliveryError`` from the backend; the files handed over before stay recorded
    and their letters sent, the others still await print, so a second call finishes.
    Raises ImproperlyConfigured for an unknown ``CCM_PRINT_BARCODE``.
    """
    barcode = _barcode_setting()
    duplex = bool(getattr(settings, "CCM_PRINT_DUPLEX", False))
    per_file = settings.CCM_PRINT_FILE_LETTERS
    waiting = Message.objects.filter(batch=batch, status=Message.Status.AWAITING_PRINT)
    _pages_record(waiting)
    run_name = f"batch-{batch.pk}" if batch else "realtime"
    stamp = f"{timezone.now():%Y%m%dT%H%M%S}"
    backend = print_backends["default"]
    print_files = []
    for (envelope, sheets), page_counts in sorted(_groups(waiting, duplex=duplex).items()):
        ids = list(
            waiting.filter(version__communication__letter_envelope=envelope, pages__in=page_counts)
            .order_by("id")
            .values_list("id", flat=True)
        )
        name = f"{run_name}/{stamp}-{run_name}-{envelope}-{sheets}sheet{'s' if sheets > 1 else ''}"
        parts = [ids[start : start + per_file] for start in range(0, len(ids), per_file)]
        for number, part_ids in enumerate(parts, start=1):
            letters = _letters_load(part_ids, duplex=duplex)
            run = {
                "batch": batch.pk if batch else None,
                "envelope": envelope,
                "sheets_per_letter": sheets,
                "duplex": duplex,
                "barcode": barcode or None,
            }
            job, page_count = _print_job(
                name=f"{name}-part{number}" if len(parts) > 1 else name,
                run=run,
                letters=letters,
                duplex=duplex,
                barcode=barcode,
            )
            result = backend.submit(job)
            print_files.append(
                _print_file_record(
                    batch=batch,
                    backend=backend.alias,
                    job=job,
                    result=result,
                    letters=letters,
                    page_count=page_count,
                    duplex=duplex,
                )
            )
    return print_files


def _print_file_record(
    *,
    batch: Batch | None,
    backend: str,
    job: PrintJob,
    result: PrintResult,
    letters: list[_Letter],
    page_count: int,
    duplex: bool,
) -> PrintFile:
    """Record a print file handed to the backend, and its letters as sent."""
    first = letters[0]
    ids = [letter.message.pk for letter in letters]
    with transaction.atomic():
        print_file = PrintFile.objects.create(
            batch=batch,
            backend=backend,
            pdf_name=result.pdf_name,
            manifest_name=result.manifest_name,
            letter_count=len(letters),
            page_count=page_count,
            envelope=first.envelope,
            sheets_per_letter=first.sheets,
            sheet_count=sum(letter.sheets for letter in letters),
            duplex=duplex,
            sha256=hashlib.sha256(job.pdf).hexdigest(),
        )
        transitions.messages_printed(
            print_file=print_file,
            letters=[(letter.message, letter.pages, letter.sheets) for letter in letters],
        )
    print_file.message_ids = ids
    return print_file
