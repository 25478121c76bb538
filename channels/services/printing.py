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
from django.utils import timezone
from pypdf import PageObject, PdfReader, PdfWriter, Transformation

from ccm.spreadsheets import escape_formula
from channels.backends import print_backends
from channels.backends.printing.base import PrintJob
from channels.models import Batch, DeliveryEvent, Message, PrintFile
from compliance.models import ArchiveEntry
from compliance.services import artifact_read

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
    reader: PdfReader
    pages: int
    sheets: int
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


def _qr_page(text: str) -> PageObject:
    buffer = io.BytesIO()
    segno.make_qr(text, error="m").save(buffer, kind="pdf", scale=BARCODE_MODULE_PT, border=0)
    return PdfReader(io.BytesIO(buffer.getvalue())).pages[0]


def _stamp(page: PageObject, text: str) -> None:
    code = _qr_page(text)
    height = float(page.mediabox.height)
    x = float(page.mediabox.left) + BARCODE_LEFT_MM * MM
    y = float(page.mediabox.bottom) + height - BARCODE_TOP_MM * MM - float(code.mediabox.height)
    page.merge_transformed_page(code, Transformation().translate(x, y))


def _print_job(
    *, name: str, run: dict[str, Any], letters: list[_Letter], duplex: bool, barcode: str
) -> tuple[PrintJob, int]:
    """The merged PDF and manifests of one group; returns the job and its page count."""
    writer = PdfWriter()
    rows = []
    page_number = 1
    for sequence, letter in enumerate(letters, start=1):
        first_page = page_number
        for index, pdf_page in enumerate(letter.reader.pages):
            page = writer.add_page(pdf_page)
            is_front = not duplex or index % 2 == 0
            if barcode and is_front:
                sheet = index // 2 + 1 if duplex else index + 1
                _stamp(page, barcode_text(sequence=sequence, sheet=sheet, sheets=letter.sheets))
        blanks = 1 if duplex and letter.pages % 2 else 0
        if blanks:
            last = letter.reader.pages[-1].mediabox
            writer.add_blank_page(width=float(last.width), height=float(last.height))
        page_number += letter.pages + blanks
        message = letter.message
        rows.append(
            {
                "sequence": sequence,
                "message_id": message.pk,
                "customer": message.customer.external_id if message.customer else "",
                "recipient_name": message.recipient_name,
                "envelope": letter.envelope,
                "pages": letter.pages,
                "blank_pages": blanks,
                "sheets": letter.sheets,
                "first_page": first_page,
                "barcode": barcode_text(sequence=sequence, sheet=1, sheets=letter.sheets)
                if barcode
                else "",
                "sha256": letter.sha256,
            }
        )
    buffer = io.BytesIO()
    writer.write(buffer)

    csv_buffer = io.StringIO()
    csv_writer = csv.DictWriter(csv_buffer, fieldnames=MANIFEST_FIELDS)
    csv_writer.writeheader()
    # The vendor opens the manifest in a spreadsheet: no cell may run as a formula.
    csv_writer.writerows({k: escape_formula(v) for k, v in row.items()} for row in rows)
    manifest = {**run, "letters": rows}
    job = PrintJob(
        name=name,
        pdf=buffer.getvalue(),
        manifest_csv=csv_buffer.getvalue().encode("utf-8"),
        manifest_json=json.dumps(manifest, ensure_ascii=False, indent=2).encode(),
    )
    return job, page_number - 1


def print_files_build(*, batch: Batch | None) -> list[PrintFile]:
    """Collect every letter of ``batch`` awaiting print (with None: every real-time letter,
    which belongs to no batch) into print files, one per envelope and sheet count; hand
    each to the print backend and mark its letters sent. Returns the print files (none when
    no letter awaits print), each with ``message_ids`` set.

    Raises ``DeliveryError`` from the backend; the files handed over before stay recorded
    and their letters sent, the others still await print, so a second call finishes.
    Raises ImproperlyConfigured for an unknown ``CCM_PRINT_BARCODE``.
    """
    barcode = _barcode_setting()
    duplex = bool(getattr(settings, "CCM_PRINT_DUPLEX", False))
    messages = list(
        Message.objects.filter(batch=batch, status=Message.Status.AWAITING_PRINT)
        .select_related("customer", "version__communication")
        .order_by("id")
    )
    if not messages:
        return []
    entries = {
        e.message_id: e for e in ArchiveEntry.objects.filter(message__in=messages, is_test=False)
    }
    groups: dict[tuple[str, int], list[_Letter]] = {}
    for message in messages:
        entry = entries[message.pk]
        reader = PdfReader(io.BytesIO(artifact_read(entry=entry)))
        pages = len(reader.pages)
        envelope = message.version.communication.letter_envelope
        letter = _Letter(
            message=message,
            reader=reader,
            pages=pages,
            sheets=_sheets(pages, duplex=duplex),
            envelope=envelope,
            sha256=entry.artifact_sha256,
        )
        groups.setdefault((envelope, letter.sheets), []).append(letter)

    run_name = f"batch-{batch.pk}" if batch else "realtime"
    stamp = f"{timezone.now():%Y%m%dT%H%M%S}"
    backend = print_backends["default"]
    print_files = []
    for (envelope, sheets), letters in sorted(groups.items()):
        name = f"{run_name}/{stamp}-{run_name}-{envelope}-{sheets}sheet{'s' if sheets > 1 else ''}"
        run = {
            "batch": batch.pk if batch else None,
            "envelope": envelope,
            "sheets_per_letter": sheets,
            "duplex": duplex,
            "barcode": barcode or None,
        }
        job, page_count = _print_job(
            name=name, run=run, letters=letters, duplex=duplex, barcode=barcode
        )
        result = backend.submit(job)
        ids = [letter.message.pk for letter in letters]
        with transaction.atomic():
            print_file = PrintFile.objects.create(
                batch=batch,
                backend=backend.alias,
                pdf_name=result.pdf_name,
                manifest_name=result.manifest_name,
                letter_count=len(letters),
                page_count=page_count,
                envelope=envelope,
                sheets_per_letter=sheets,
                sheet_count=sheets * len(letters),
                duplex=duplex,
                sha256=hashlib.sha256(job.pdf).hexdigest(),
            )
            Message.objects.filter(id__in=ids).update(
                status=Message.Status.SENT, sent_at=timezone.now()
            )
            DeliveryEvent.objects.bulk_create(
                DeliveryEvent(
                    message=letter.message,
                    kind=DeliveryEvent.Kind.PRINTED,
                    detail={
                        "print_file": print_file.pk,
                        "pages": letter.pages,
                        "sheets": letter.sheets,
                    },
                )
                for letter in letters
            )
        print_file.message_ids = ids
        print_files.append(print_file)
    return print_files
