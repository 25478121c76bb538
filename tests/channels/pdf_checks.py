"""Checks every PDF the print tests make: structure (qpdf --check), every font embedded
(pdffonts), and where text lies on the page (pdfplumber)."""

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

import pdfplumber

MM = 72 / 25.4


def qpdf_check(pdf: bytes) -> None:
    qpdf = shutil.which("qpdf")
    assert qpdf, "qpdf is missing: apt-get install qpdf"
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        Path(fh.name).write_bytes(pdf)
        result = subprocess.run([qpdf, "--check", fh.name], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors found" in result.stdout


def fonts(pdf: bytes) -> list[dict[str, str]]:
    """pdffonts' table: name, type, emb (yes/no) for every font of the PDF."""
    pdffonts = shutil.which("pdffonts")
    assert pdffonts, "pdffonts is missing: apt-get install poppler-utils"
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        Path(fh.name).write_bytes(pdf)
        output = subprocess.run(
            [pdffonts, fh.name], capture_output=True, text=True, check=True
        ).stdout
    lines = output.splitlines()
    header = lines[0]
    emb_at = header.index("emb")
    type_at = header.index("type")
    return [
        {
            "name": line[:type_at].strip(),
            "emb": line[emb_at : emb_at + 3].strip(),
        }
        for line in lines[2:]
        if line.strip()
    ]


def assert_fonts_embedded(pdf: bytes) -> list[str]:
    table = fonts(pdf)
    assert table, "no fonts"
    assert all(f["emb"] == "yes" for f in table), table
    return [f["name"] for f in table]


def assert_well_formed(pdf: bytes) -> None:
    qpdf_check(pdf)
    assert_fonts_embedded(pdf)


def text_box(pdf: bytes, text: str, page: int = 0) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) in mm of the first line containing ``text``."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for line in document.pages[page].extract_text_lines():
            if text in line["text"]:
                return (line["x0"] / MM, line["top"] / MM, line["x1"] / MM, line["bottom"] / MM)
    raise AssertionError(f"{text!r} is not on page {page + 1}")


def page_texts(pdf: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return [p.extract_text() or "" for p in document.pages]


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return [(round(p.width / MM, 1), round(p.height / MM, 1)) for p in document.pages]
