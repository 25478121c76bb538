"""Cutting and joining PDF files (with pikepdf, on qpdf): letters out of one written
document, letters into a print file.

Both keep what makes a letter a PDF/A: the document's XMP metadata, output intent (the
colour profile) and information dictionary go with every part.
"""

import hashlib
import io
from collections.abc import Sequence

import pikepdf

# What a PDF/A keeps in its catalog besides the pages.
_CATALOG_KEYS = ("/Metadata", "/OutputIntents", "/Lang", "/MarkInfo")


def _copy_document_keys(source: pikepdf.Pdf, target: pikepdf.Pdf) -> None:
    for key in _CATALOG_KEYS:
        if key in source.Root:
            target.Root[key] = target.copy_foreign(source.make_indirect(source.Root[key]))
    if "/Info" in source.trailer:
        target.trailer.Info = target.copy_foreign(source.make_indirect(source.trailer.Info))


def pdf_bytes(document: pikepdf.Pdf, *, version: str = "") -> bytes:
    buffer = io.BytesIO()
    document.save(buffer, min_version=version or document.pdf_version)
    return buffer.getvalue()


def pdf_split(pdf: bytes, page_counts: Sequence[int]) -> list[bytes]:
    """``pdf`` cut into consecutive documents of ``page_counts`` pages each (a single
    count gives ``pdf`` itself). Raises ValueError when the counts do not add up to the
    document's pages."""
    if len(page_counts) == 1:
        return [pdf]
    with pikepdf.open(io.BytesIO(pdf)) as source:
        if sum(page_counts) != len(source.pages):
            raise ValueError(f"{sum(page_counts)} pages asked for, the PDF has {len(source.pages)}")
        parts, start = [], 0
        for count in page_counts:
            with pikepdf.new() as part:
                part.pages.extend(source.pages[start : start + count])
                _copy_document_keys(source, part)
                parts.append(pdf_bytes(part, version=source.pdf_version))
            start += count
        return parts


def pdf_page_count(pdf: bytes) -> int:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return len(document.pages)


# The kinds of page resources that letters written together share (their fonts, the logo).
_SHARED_RESOURCES = ("/Font", "/XObject", "/ExtGState", "/ColorSpace", "/Pattern", "/Shading")


def _content_digest(obj: object, memo: dict[tuple[int, int], bytes]) -> bytes:
    """A digest of a PDF object by content (dictionary entries, array items, stream bytes,
    the objects it refers to), not by object number."""
    if isinstance(obj, pikepdf.Object) and obj.is_indirect:
        key = obj.objgen
        if key not in memo:
            memo[key] = b""  # a reference cycle digests as empty
            memo[key] = _direct_digest(obj, memo)
        return memo[key]
    return _direct_digest(obj, memo)


def _direct_digest(obj: object, memo: dict[tuple[int, int], bytes]) -> bytes:
    digest = hashlib.sha256()
    if isinstance(obj, pikepdf.Stream):
        digest.update(b"stream")
        digest.update(obj.read_raw_bytes())
        obj = obj.stream_dict
    if isinstance(obj, pikepdf.Dictionary):
        for name in sorted(obj.keys()):
            digest.update(name.encode())
            digest.update(_content_digest(obj[name], memo))
    elif isinstance(obj, pikepdf.Array):
        for item in obj:
            digest.update(_content_digest(item, memo))
    else:
        digest.update(repr(obj).encode())
    return digest.digest()


class PdfJoiner:
    """A PDF made of the pages of other PDFs, added in order, with blank pages and
    overlays (a barcode) where asked. The sources stay open until ``close``, so that
    ``bytes()`` can copy their pages' content.

    Resources with the same content (the fonts and logo of letters written in one chunk)
    are kept once: a later page refers to the first copy, and the others are not written."""

    def __init__(self) -> None:
        self.document = pikepdf.new()
        self._sources: list[pikepdf.Pdf] = []
        self._resources: dict[bytes, pikepdf.Object] = {}
        self._digests: dict[tuple[int, int], bytes] = {}
        self.page_count = 0

    def _share_resources(self, page: pikepdf.Page) -> None:
        resources = page.obj.get("/Resources")
        if resources is None:
            return
        for kind in _SHARED_RESOURCES:
            entries = resources.get(kind)
            if not isinstance(entries, pikepdf.Dictionary):
                continue
            for name in list(entries.keys()):
                resource = entries[name]
                if not resource.is_indirect:
                    continue
                first = self._resources.setdefault(
                    _content_digest(resource, self._digests), resource
                )
                if first.objgen != resource.objgen:
                    entries[name] = first

    def add(self, pdf: bytes) -> list[pikepdf.Page]:
        """Append every page of ``pdf``; returns the pages as added to this document."""
        source = pikepdf.open(io.BytesIO(pdf))
        self._sources.append(source)
        if self.page_count == 0:
            _copy_document_keys(source, self.document)
        self.document.pages.extend(source.pages)
        added = list(self.document.pages[self.page_count :])
        for page in added:
            self._share_resources(page)
        self.page_count += len(added)
        return added

    def add_blank(self, *, like: pikepdf.Page) -> None:
        box = like.mediabox
        self.document.add_blank_page(page_size=(float(box[2] - box[0]), float(box[3] - box[1])))
        self.page_count += 1

    def overlay(self, page: pikepdf.Page, pdf: bytes, *, left: float, top: float) -> None:
        """Draw the first page of ``pdf`` on ``page``, its top-left corner ``left`` and
        ``top`` points from the page's top-left corner."""
        source = pikepdf.open(io.BytesIO(pdf))
        self._sources.append(source)
        stamp = source.pages[0]
        width = float(stamp.mediabox[2] - stamp.mediabox[0])
        height = float(stamp.mediabox[3] - stamp.mediabox[1])
        box = page.mediabox
        x = float(box[0]) + left
        y = float(box[3]) - top - height
        page.add_overlay(stamp, pikepdf.Rectangle(x, y, x + width, y + height))

    def bytes(self) -> bytes:
        return pdf_bytes(self.document)

    def close(self) -> None:
        for source in self._sources:
            source.close()
        self.document.close()
