"""Print files: grouped by envelope and sheet count, manifests, duplex blanks, QR codes
per sheet, stored through a storage alias; each letter still archived on its own."""

import csv
import io
import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from channels.backends.printing import locmem as print_locmem
from channels.backends.printing.storage import PrintBackend as StoragePrintBackend
from channels.models import DeliveryEvent, Message, PrintFile
from channels.pipeline.send import messages_send
from channels.services import printing
from compliance.models import ArchiveEntry
from compliance.services import artifact_read
from templates_store.models.communications import LetterEnvelope
from tests.channels.pdf_checks import assert_well_formed, fonts, page_texts
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import SAMPLE, CommunicationFactory, published_version

pytestmark = pytest.mark.django_db

PARAGRAPH = (
    "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
    "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam.</p>"
)
# Paragraphs that make a letter of 1, 2 and 3 pages.
PARAGRAPHS = {1: 1, 2: 20, 3: 36}
BODY = "{% for _ in range(paragraphs) %}" + PARAGRAPH + "{% endfor %}"


def _letters(envelope: str, page_counts: list[int]) -> list[Message]:
    communication = CommunicationFactory(letter_envelope=envelope)
    version = published_version(
        communication=communication,
        content={("print", "en"): {"subject": "Letter", "body_html": BODY}},
    )
    messages = [
        Message.objects.create(
            version=version,
            customer=CustomerFactory(),
            channel="print",
            locale="en",
            recipient_name="Alex Example",
            recipient="22 Long Street\nLeeds LS2 9JT",
            data={**SAMPLE, "paragraphs": PARAGRAPHS[pages]},
        )
        for pages in page_counts
    ]
    messages_send(message_ids=[m.pk for m in messages])
    for message in messages:
        message.refresh_from_db()
        assert message.status == Message.Status.AWAITING_PRINT, message.last_error
    return messages


def _pages(message: Message) -> int:
    entry = ArchiveEntry.objects.get(message=message)
    return len(PdfReader(io.BytesIO(artifact_read(entry=entry))).pages)


@pytest.fixture
def letters():
    din = _letters(LetterEnvelope.DIN_DL, [1, 2, 3, 1])
    us = _letters(LetterEnvelope.US_10, [1])
    assert [_pages(m) for m in din + us] == [1, 2, 3, 1, 1]
    return din, us


def _manifest(job) -> tuple[list[dict[str, str]], dict]:
    rows = list(csv.DictReader(io.StringIO(job.manifest_csv.decode())))
    return rows, json.loads(job.manifest_json)


class DuplexPrintFilesTests:
    @pytest.fixture(autouse=True)
    def _duplex(self, settings):
        settings.CCM_PRINT_DUPLEX = True
        settings.CCM_PRINT_BARCODE = ""

    def test_letters_are_grouped_by_envelope_and_sheet_count(self, letters):
        din, us = letters
        files = printing.print_files_build(batch=None)
        assert [(f.envelope, f.sheets_per_letter, f.letter_count) for f in files] == [
            ("din_dl", 1, 3),  # 1, 2 and 1 pages: one sheet each, printed on both sides
            ("din_dl", 2, 1),  # 3 pages: two sheets
            ("us_10", 1, 1),
        ]
        assert files[0].message_ids == [din[0].pk, din[1].pk, din[3].pk]
        assert files[1].message_ids == [din[2].pk]
        assert files[2].message_ids == [us[0].pk]
        assert all(f.duplex for f in files)
        assert [f.sheet_count for f in files] == [3, 2, 1]
        assert PrintFile.objects.count() == 3 and len(print_locmem.outbox) == 3
        assert set(Message.objects.values_list("status", flat=True)) == {"sent"}
        assert DeliveryEvent.objects.filter(kind="printed").count() == 5

    def test_a_letter_with_an_odd_page_count_gets_a_blank_back_page(self, letters):
        printing.print_files_build(batch=None)
        one_sheet = print_locmem.outbox[0]
        pdf = one_sheet.pdf
        assert_well_formed(pdf)
        texts = page_texts(pdf)
        # 1 page + blank, 2 pages, 1 page + blank: every letter starts on a new sheet.
        assert len(texts) == 6
        assert [bool(t.strip()) for t in texts] == [True, False, True, True, True, False]
        rows, _ = _manifest(one_sheet)
        assert [(r["pages"], r["blank_pages"], r["first_page"]) for r in rows] == [
            ("1", "1", "1"),
            ("2", "0", "3"),
            ("1", "1", "5"),
        ]
        three_pages = print_locmem.outbox[1]
        assert len(PdfReader(io.BytesIO(three_pages.pdf)).pages) == 4
        assert PrintFile.objects.get(envelope="din_dl", sheets_per_letter=2).page_count == 4

    def test_the_manifest_names_every_letter_with_the_hash_of_its_archived_pdf(self, letters):
        din, _ = letters
        printing.print_files_build(batch=None)
        rows, manifest = _manifest(print_locmem.outbox[0])
        assert list(rows[0]) == [
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
        expected = [din[0], din[1], din[3]]
        for sequence, (row, message) in enumerate(zip(rows, expected, strict=True), start=1):
            entry = ArchiveEntry.objects.get(message=message)
            assert row["sequence"] == str(sequence)
            assert row["message_id"] == str(message.pk)
            assert row["customer"] == message.customer.external_id
            assert (row["envelope"], row["sheets"]) == ("din_dl", "1")
            assert row["sha256"] == entry.artifact_sha256
        assert manifest["envelope"] == "din_dl" and manifest["sheets_per_letter"] == 1
        assert manifest["duplex"] is True
        assert [r["sha256"] for r in manifest["letters"]] == [r["sha256"] for r in rows]
        assert manifest["letters"][0]["pages"] == 1  # numbers stay numbers in JSON

    def test_each_letter_stays_archived_on_its_own(self, letters):
        din, us = letters
        printing.print_files_build(batch=None)
        for message in din + us:
            entry = ArchiveEntry.objects.get(message=message)
            pdf = artifact_read(entry=entry)
            assert_well_formed(pdf)
            root = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
            assert 'pdfaid:part="3"' in root["/Metadata"].get_object().get_data().decode()


class SimplexPrintFilesTests:
    def test_without_duplex_a_sheet_is_a_page_and_no_blank_is_added(self, settings):
        settings.CCM_PRINT_DUPLEX = False
        settings.CCM_PRINT_BARCODE = ""
        _letters(LetterEnvelope.DIN_C5, [1, 2, 1])
        files = printing.print_files_build(batch=None)
        assert [(f.envelope, f.sheets_per_letter, f.letter_count, f.page_count) for f in files] == [
            ("din_c5", 1, 2, 2),
            ("din_c5", 2, 1, 2),
        ]
        rows, _ = _manifest(print_locmem.outbox[0])
        assert [r["blank_pages"] for r in rows] == ["0", "0"]


class BarcodeTests:
    def test_every_sheet_front_carries_a_qr_code_the_inserter_can_read(self, settings):
        zxingcpp = pytest.importorskip("zxingcpp")
        pdfium = pytest.importorskip("pypdfium2")
        settings.CCM_PRINT_DUPLEX = True
        settings.CCM_PRINT_BARCODE = "qr"
        _letters(LetterEnvelope.DIN_DL, [3, 3])
        (print_file,) = printing.print_files_build(batch=None)
        assert print_file.page_count == 8
        job = print_locmem.outbox[0]
        assert_well_formed(job.pdf)
        document = pdfium.PdfDocument(job.pdf)
        found = []
        for index in range(len(document)):
            image = document[index].render(scale=200 / 72).to_pil()
            found.append([r.text for r in zxingcpp.read_barcodes(image)])
        # Letter 1: sheets 1-2 (pages 1-4), letter 2: sheets 1-2 (pages 5-8); backs carry none.
        assert found == [
            ["000001-01-02"],
            [],
            ["000001-02-02"],
            [],
            ["000002-01-02"],
            [],
            ["000002-02-02"],
            [],
        ]
        rows, manifest = _manifest(job)
        assert [r["barcode"] for r in rows] == ["000001-01-02", "000002-01-02"]
        assert manifest["barcode"] == "qr"

    def test_an_unknown_barcode_kind_names_the_setting(self, settings):
        settings.CCM_PRINT_BARCODE = "pdf417"
        from django.core.exceptions import ImproperlyConfigured

        with pytest.raises(ImproperlyConfigured, match="CCM_PRINT_BARCODE is 'pdf417'"):
            printing.print_files_build(batch=None)


class StorageTests:
    def test_print_files_and_manifests_go_to_the_storage_alias(self, settings, monkeypatch):
        settings.CCM_PRINT_DUPLEX = False
        settings.CCM_PRINT_BARCODE = ""
        backend = StoragePrintBackend(alias="default", storage="print")
        monkeypatch.setattr(printing, "print_backends", {"default": backend})
        _letters(LetterEnvelope.US_10, [1])
        (print_file,) = printing.print_files_build(batch=None)
        root = Path(settings.STORAGES["print"]["OPTIONS"]["location"])
        pdf = (root / print_file.pdf_name).read_bytes()
        assert_well_formed(pdf)
        assert print_file.pdf_name.endswith("-us_10-1sheet.pdf")
        assert (root / print_file.manifest_name).read_text().startswith("sequence,")
        json_name = print_file.manifest_name.replace(".manifest.csv", ".manifest.json")
        assert json.loads((root / json_name).read_text())["envelope"] == "us_10"


class LargeRunTests:
    @pytest.fixture(autouse=True)
    def _simplex(self, settings):
        settings.CCM_PRINT_DUPLEX = False
        settings.CCM_PRINT_BARCODE = ""

    def test_each_letter_records_its_page_count_when_rendered(self):
        messages = _letters(LetterEnvelope.DIN_DL, [1, 3, 2])
        assert [m.pages for m in messages] == [1, 3, 2]

    def test_a_group_larger_than_a_print_file_is_cut_into_parts(self, settings):
        settings.CCM_PRINT_FILE_LETTERS = 2
        messages = _letters(LetterEnvelope.DIN_DL, [1, 1, 1, 1, 1])
        files = printing.print_files_build(batch=None)
        assert [f.message_ids for f in files] == [
            [messages[0].pk, messages[1].pk],
            [messages[2].pk, messages[3].pk],
            [messages[4].pk],
        ]
        names = [job.name for job in print_locmem.outbox]
        assert [name.rsplit("-", 1)[1] for name in names] == ["part1", "part2", "part3"]
        for job in print_locmem.outbox:
            rows, _ = _manifest(job)
            assert [r["sequence"] for r in rows] == [str(n) for n in range(1, len(rows) + 1)]
        assert set(Message.objects.values_list("status", flat=True)) == {"sent"}

    def test_letters_rendered_without_a_page_count_are_counted_from_the_archive(self):
        messages = _letters(LetterEnvelope.DIN_DL, [2, 1])
        Message.objects.filter(pk__in=[m.pk for m in messages]).update(pages=0)
        files = printing.print_files_build(batch=None)
        assert [(f.sheets_per_letter, f.message_ids) for f in files] == [
            (1, [messages[1].pk]),
            (2, [messages[0].pk]),
        ]
        assert list(Message.objects.order_by("id").values_list("pages", flat=True)) == [2, 1]

    def test_letters_written_together_share_their_fonts_in_the_print_file(self):
        messages = _letters(LetterEnvelope.DIN_DL, [1, 1, 1, 1])
        printing.print_files_build(batch=None)
        (job,) = print_locmem.outbox
        assert_well_formed(job.pdf)
        one_letter = artifact_read(entry=ArchiveEntry.objects.get(message=messages[0]))
        # Four letters, each embedding the same font subsets: the print file keeps one copy.
        assert len(fonts(job.pdf)) == len(fonts(one_letter))
        assert len(job.pdf) < 2 * len(one_letter)
        assert len(page_texts(job.pdf)) == 4
