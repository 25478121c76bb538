"""Letters to PDF: WeasyPrint lays each rendered letter out through ``AssetFetcher``
(the platform's assets and ``data:`` URLs only) and writes letters in batches, cut into
one PDF/A-3b per letter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from ccm.vocabulary import Channel
from rendering.exceptions import RenderBudgetError, RenderError
from rendering.html import html_depth_check
from rendering.pdf_files import pdf_split
from rendering.sandbox.budget import render_limits
from rendering.types import Rendered

# PRINT: HTML TO PDF -------------------------------------------------------------------

ASSETS_DIR = Path(__file__).parent / "jinja" / "assets"
# Self-contained (fonts embedded, colour profile), for the archive.
PDF_VARIANT = "pdf/a-3b"


class AssetFetcher(URLFetcher):
    """Serves ``data:`` URLs and files under the platform's own assets folder, nothing else.

    No network, no other file: a template cannot make the renderer read /etc/passwd or
    call an internal address.
    """

    def __init__(self) -> None:
        super().__init__(timeout=5, allowed_protocols={"data", "file"}, allow_redirects=False)
        # What was refused, also where WeasyPrint only logs a failed fetch (an image
        # inside an SVG): render_pdf fails on any of it.
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> Any:
        scheme = url.split(":", 1)[0].lower()
        if scheme == "file":
            path = Path(unquote(urlsplit(url).path)).resolve()
            if not path.is_relative_to(ASSETS_DIR.resolve()):
                self.refused.append(f"not a platform asset: {url[:200]}")
                raise FatalURLFetchingError(self.refused[-1])
        elif scheme != "data":
            self.refused.append(f"external resources are not allowed: {url[:200]}")
            raise FatalURLFetchingError(self.refused[-1])
        return super().fetch(url, headers)


def _tree_depth_check(root: Any) -> None:
    """The depth of the parsed letter (the parser may open elements the tags do not
    show, such as a table's body), counted without recursion."""
    limit = render_limits().max_html_depth
    level = [root]
    for depth in range(1, limit + 2):
        level = [child for element in level for child in element]
        if not level:
            return
        if depth > limit:
            break
    raise RenderBudgetError(
        f"over the render budget: HTML nested more than {limit} elements deep",
        field="body_html",
    )


@dataclass
class _Letter:
    """One letter laid out, with the fetcher that records what it was refused."""

    index: int
    document: weasyprint.Document
    fetcher: AssetFetcher


def _letter_layout(index: int, rendered: Rendered, font_config: FontConfiguration) -> _Letter:
    """The laid-out pages of one letter. Raises RenderError when the letter refers to
    anything but the platform's own assets (a letter is never printed with a part
    missing)."""
    if rendered.channel != Channel.PRINT:
        raise RenderError(f"{rendered.channel} has no PDF")
    fetcher = AssetFetcher()
    # Before parsing: the parser is slow on deep nesting, the layout recurses on it.
    html_depth_check(rendered.html)
    html = weasyprint.HTML(
        string=rendered.html, base_url=ASSETS_DIR.as_uri() + "/", url_fetcher=fetcher
    )
    _tree_depth_check(html.etree_element)
    try:
        document = html.render(font_config=font_config, pdf_variant=PDF_VARIANT)
    except FatalURLFetchingError as exc:
        raise RenderError(str(exc), field="body_html") from exc
    except RecursionError as exc:
        raise RenderBudgetError(
            "over the render budget: the letter is nested too deeply to lay out",
            field="body_html",
        ) from exc
    if fetcher.refused:
        raise RenderError(fetcher.refused[0], field="body_html")
    return _Letter(index, document, fetcher)


@dataclass(frozen=True)
class LetterPdf:
    """A letter's PDF and its page count."""

    content: bytes
    pages: int


def _letters_write(letters: list[_Letter]) -> list[LetterPdf]:
    """One PDF of the letters' pages (with the first letter's metadata), cut into one
    file per letter. Raises RenderError when writing fetched anything refused."""
    pages = [page for letter in letters for page in letter.document.pages]
    try:
        pdf = letters[0].document.copy(pages).write_pdf(pdf_variant=PDF_VARIANT)
    except FatalURLFetchingError as exc:
        raise RenderError(str(exc), field="body_html") from exc
    for letter in letters:
        if letter.fetcher.refused:
            raise RenderError(letter.fetcher.refused[0], field="body_html")
    counts = [len(letter.document.pages) for letter in letters]
    parts = pdf_split(pdf, counts)
    return [LetterPdf(part, pages) for part, pages in zip(parts, counts, strict=True)]


def render_pdfs(letters: Sequence[Rendered]) -> list[LetterPdf | RenderError]:
    """The PDF/A-3b of each rendered letter (with its page count), every font embedded, or
    the RenderError that stopped it (see ``render_pdf``), in the order given.

    Each letter is laid out on its own ("page x of y" counts its own pages), but letters
    with the same document metadata (title, language) are written as one PDF, then cut
    into one file per letter: fonts are subset and embedded once for all of them, which
    is most of what writing a PDF costs. A letter's file then holds the glyphs of the
    characters its neighbours used too (shapes only, never their text). A letter with
    files attached (``<link rel="attachment">``) is written on its own.
    """
    if not letters:
        return []
    font_config = FontConfiguration()
    results: list[LetterPdf | RenderError] = []
    groups: dict[Any, list[_Letter]] = {}
    for index, rendered in enumerate(letters):
        try:
            letter = _letter_layout(index, rendered, font_config)
        except RenderError as exc:
            results.append(exc)
            continue
        results.append(LetterPdf(b"", 0))  # replaced once written
        metadata = letter.document.metadata
        key = index if metadata.attachments else (metadata.title, metadata.lang)
        groups.setdefault(key, []).append(letter)
    for group in groups.values():
        try:
            parts: list[LetterPdf | RenderError] = list(_letters_write(group))
        except RenderError as exc:
            # Which letter it was: each is written on its own.
            parts = [_written_alone(letter) for letter in group] if len(group) > 1 else [exc]
        for letter, part in zip(group, parts, strict=True):
            results[letter.index] = part
    return results


def _written_alone(letter: _Letter) -> LetterPdf | RenderError:
    try:
        return _letters_write([letter])[0]
    except RenderError as exc:
        return exc


def render_pdf(rendered: Rendered) -> bytes:
    """The PDF/A-3b of a rendered letter, every font embedded. Raises RenderError when the
    letter refers to anything but the platform's own assets (a letter is never printed
    with a part missing)."""
    (result,) = render_pdfs([rendered])
    if isinstance(result, RenderError):
        raise result
    return result.content
