"""Print production: a batch's letters become one merged PDF plus a manifest."""

import csv
import hashlib
import io
import json

from django.db import transaction
from django.utils import timezone
from pypdf import PdfReader, PdfWriter

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
    "pages",
    "first_page",
    "sha256",
]


def print_files_build(*, batch: Batch | None) -> PrintFile | None:
    """Merge the archived PDF of every letter of ``batch`` awaiting print (with None: every
    real-time letter, which belongs to no batch) into one print file, hand it to the print
    backend, and mark those letters sent. Returns the PrintFile, or None when there are
    no letters."""
    letters = list(
        Message.objects.filter(batch=batch, status=Message.Status.AWAITING_PRINT)
        .select_related("customer")
        .order_by("id")
    )
    if not letters:
        return None
    entries = {
        e.message_id: e for e in ArchiveEntry.objects.filter(message__in=letters, is_test=False)
    }
    writer = PdfWriter()
    rows = []
    page = 1
    for sequence, letter in enumerate(letters, start=1):
        entry = entries[letter.pk]
        reader = PdfReader(io.BytesIO(artifact_read(entry=entry)))
        for pdf_page in reader.pages:
            writer.add_page(pdf_page)
        rows.append(
            {
                "sequence": sequence,
                "message_id": letter.pk,
                "customer": letter.customer.external_id if letter.customer else "",
                "recipient_name": letter.recipient_name,
                "pages": len(reader.pages),
                "first_page": page,
                "sha256": entry.artifact_sha256,
            }
        )
        page += len(reader.pages)
    buffer = io.BytesIO()
    writer.write(buffer)
    pdf = buffer.getvalue()

    csv_buffer = io.StringIO()
    csv_writer = csv.DictWriter(csv_buffer, fieldnames=MANIFEST_FIELDS)
    csv_writer.writeheader()
    # The vendor opens the manifest in a spreadsheet: no cell may run as a formula.
    csv_writer.writerows({k: escape_formula(v) for k, v in row.items()} for row in rows)
    run = f"batch-{batch.pk}" if batch else "realtime"
    name = f"{run}/{timezone.now():%Y%m%dT%H%M%S}-{run}"
    job = PrintJob(
        name=name,
        pdf=pdf,
        manifest_csv=csv_buffer.getvalue().encode("utf-8"),
        manifest_json=json.dumps(
            {"batch": batch.pk if batch else None, "letters": rows}, ensure_ascii=False, indent=2
        ).encode(),
    )
    backend = print_backends["default"]
    result = backend.submit(job)
    with transaction.atomic():
        print_file = PrintFile.objects.create(
            batch=batch,
            backend=backend.alias,
            pdf_name=result.pdf_name,
            manifest_name=result.manifest_name,
            letter_count=len(letters),
            page_count=page - 1,
            sha256=hashlib.sha256(pdf).hexdigest(),
        )
        Message.objects.filter(id__in=[m.pk for m in letters]).update(
            status=Message.Status.SENT, sent_at=timezone.now()
        )
        DeliveryEvent.objects.bulk_create(
            DeliveryEvent(
                message=m,
                kind=DeliveryEvent.Kind.PRINTED,
                detail={"print_file": print_file.pk, "pages": row["pages"]},
            )
            for m, row in zip(letters, rows, strict=True)
        )
    print_file.message_ids = [m.pk for m in letters]
    return print_file
