"""Letters: page sizes, the address in the envelope's window, page x of y, PDF/A-3b,
fonts embedded, Japanese glyphs."""

import io

import pytest
from pypdf import PdfReader

from rendering.exceptions import RenderError
from rendering.letter_formats import ENVELOPES
from rendering.pdf import render_pdf, render_pdfs
from rendering.render import render
from rendering.types import Recipient
from templates_store.models.communications import LetterEnvelope
from tests.channels.pdf_checks import (
    assert_fonts_embedded,
    assert_well_formed,
    page_sizes,
    page_texts,
    text_box,
)
from tests.factories.templates_store import SAMPLE, CommunicationFactory, published_version

pytestmark = pytest.mark.django_db

LONG_BODY = "<p>Dear {{ first_name }}, please pay {{ amount }} by {{ due_date }}.</p>" + (
    "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
    "incididunt ut labore et dolore magna aliqua.</p>" * 40
)
ADDRESSES = {
    "en": Recipient(
        name="Alex Example",
        address_lines=("Flat 4", "22 Long Street", "Leeds LS2 9JT", "UNITED KINGDOM"),
    ),
    "ja": Recipient(name="山田 太郎 様", address_lines=("〒100-0001", "東京都千代田区千代田1-1")),
}


def _letter(envelope: str, locale: str = "en", body: str = LONG_BODY) -> bytes:
    communication = CommunicationFactory(letter_envelope=envelope)
    content = {("print", locale): {"subject": "Reminder", "body_html": body}}
    version = published_version(communication=communication, content=content)
    rendered = render(version, "print", locale, SAMPLE, recipient=ADDRESSES[locale])
    return render_pdf(rendered)


def _inside(box, window, tolerance=0.5) -> bool:
    left, top, right, bottom = box
    return (
        left >= window.left - tolerance
        and right <= window.right + tolerance
        and top >= window.top - tolerance
        and bottom <= window.bottom + tolerance
    )


class LetterLayoutTests:
    @pytest.mark.parametrize(
        ("envelope", "size"),
        [
            (LetterEnvelope.DIN_DL, (210.0, 297.0)),
            (LetterEnvelope.DIN_C5, (210.0, 297.0)),
            (LetterEnvelope.US_10, (215.9, 279.4)),
        ],
    )
    def test_the_sender_line_and_address_lie_in_the_window(self, envelope, size):
        pdf = _letter(envelope)
        assert_well_formed(pdf)
        assert set(page_sizes(pdf)) == {size}
        window = ENVELOPES[envelope].window
        for text in (
            "Acme Energy · 1 Power Lane",
            "Alex Example",
            "22 Long Street",
            "UNITED KINGDOM",
        ):
            assert _inside(text_box(pdf, text), window), (text, text_box(pdf, text), window)
        # The sender line is above the address.
        assert text_box(pdf, "1 Power Lane")[3] <= text_box(pdf, "Alex Example")[1]
        # The body starts below the window.
        assert text_box(pdf, "Dear Alex")[1] > window.bottom

    def test_a_japanese_letter_in_a_naga3_window_envelope(self):
        pdf = _letter(
            LetterEnvelope.JP_NAGA3, "ja", body="<p>{{ first_name }} 様、お支払いのお願いです。</p>"
        )
        assert_well_formed(pdf)
        window = ENVELOPES["jp_naga3"].window
        for text in ("〒100-0001", "東京都千代田区千代田1-1", "山田 太郎 様"):
            assert _inside(text_box(pdf, text), window)
        assert "お支払いのお願いです" in page_texts(pdf)[0]
        names = assert_fonts_embedded(pdf)
        assert any("CJK" in name for name in names), names

    def test_pages_are_numbered_x_of_y_in_the_letters_language(self):
        pdf = _letter(LetterEnvelope.DIN_DL)
        texts = page_texts(pdf)
        assert len(texts) >= 2
        for number, text in enumerate(texts, start=1):
            assert f"Page {number} of {len(texts)}" in text
        japanese = _letter(LetterEnvelope.JP_NAGA3, "ja", body="<p>本文</p>")
        assert "1 / 1 ページ" in page_texts(japanese)[0]


class PdfATests:
    def test_letters_are_pdf_a_3b_with_an_output_intent(self):
        pdf = _letter(LetterEnvelope.DIN_DL, body="<p>Short.</p>")
        reader = PdfReader(io.BytesIO(pdf))
        assert pdf.startswith(b"%PDF-1.7")
        xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
        assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
        (intent,) = reader.trailer["/Root"]["/OutputIntents"]
        assert intent.get_object()["/S"] == "/GTS_PDFA1"
        assert_well_formed(pdf)


def _rendered(locale: str, name: str, body: str = LONG_BODY):
    communication = CommunicationFactory(letter_envelope=LetterEnvelope.DIN_DL)
    content = {("print", locale): {"subject": "Reminder", "body_html": body}}
    version = published_version(communication=communication, content=content)
    recipient = Recipient(name=name, address_lines=ADDRESSES[locale].address_lines)
    return render(version, "print", locale, SAMPLE, recipient=recipient)


class WrittenTogetherTests:
    """render_pdfs writes letters as one PDF and cuts it: each letter's file must be that
    letter alone, as render_pdf would make it, and a complete PDF/A."""

    def test_each_letter_gets_its_own_pages_and_only_its_own_text(self):
        letters = [
            _rendered("en", "Ada Long", body=LONG_BODY),
            _rendered("ja", "山田 花子", body="<p>お支払いのお願い</p>"),
            _rendered("en", "Bea Short", body="<p>Short.</p>"),
            _rendered("ja", "佐藤 一郎", body="<p>ご案内</p>" * 3),
        ]
        written = render_pdfs(letters)
        pdfs = [letter.content for letter in written]
        assert [len(PdfReader(io.BytesIO(pdf)).pages) for pdf in pdfs] == [
            len(PdfReader(io.BytesIO(render_pdf(rendered))).pages) for rendered in letters
        ]
        assert [letter.pages for letter in written] == [
            len(PdfReader(io.BytesIO(pdf)).pages) for pdf in pdfs
        ]
        names = ["Ada Long", "山田 花子", "Bea Short", "佐藤 一郎"]
        for pdf, name in zip(pdfs, names, strict=True):
            text = "".join(page_texts(pdf)).replace(" ", "")
            assert name.replace(" ", "") in text
            assert all(other.replace(" ", "") not in text for other in names if other != name)
            assert_well_formed(pdf)
            root = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
            assert 'pdfaid:part="3"' in root["/Metadata"].get_object().get_data().decode()
            assert root["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"

    def test_a_letter_that_cannot_be_rendered_fails_alone(self):
        good = _rendered("en", "Ada Long", body="<p>Fine.</p>")
        bad = _rendered("en", "Bea Bad", body='<img src="file:///etc/passwd">')
        first, second, third = render_pdfs([good, bad, good])
        assert isinstance(second, RenderError)
        assert not isinstance(first, RenderError) and not isinstance(third, RenderError)
        first, third = first.content, third.content
        assert "not a platform asset" in str(second)
        assert_well_formed(first)
        assert_well_formed(third)
        assert "Ada Long" in page_texts(first)[0] and "Ada Long" in page_texts(third)[0]
