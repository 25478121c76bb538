"""Text from HTML: the plain-text part of an email without a written one, and header
values folded to one line."""

from __future__ import annotations

import html as html_module
import re

from django.core.exceptions import SuspiciousOperation
from django.utils.html import strip_tags

from rendering.exceptions import RenderError

_WHITESPACE_RUN = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


# Elements whose content is not text: style sheets, scripts, the head.
_NOT_TEXT_START = re.compile(r"(?i)<(style|script|head)\b[^>]*>")


def _drop_not_text(html: str) -> str:
    """``html`` without its style, script and head elements. One pass: an element left
    open ends the search (none after it can be closed either)."""
    parts, position = [], 0
    while start := _NOT_TEXT_START.search(html, position):
        end = re.compile(rf"(?i)</{start.group(1)}\s*>").search(html, start.end())
        if end is None:
            break
        parts.append(html[position : start.start()])
        position = end.end()
    parts.append(html[position:])
    return "".join(parts)


# A link whose label is not its address: the text part shows the address after it.
# The label stops at the next link: a run of links never closed is read once, not once
# per link to the end of the text.
_LINK = re.compile(
    r"""(?is)<a\b[^>]*?\shref\s*=\s*(?:"(https?://[^"]*)"|'(https?://[^']*)')[^>]*>"""
    r"""([^<]*(?:<(?!/?a\b)[^<]*)*)</a\s*>"""
)


def _link_as_text(match: re.Match[str]) -> str:
    url = html_module.unescape(match.group(1) or match.group(2) or "")
    label = match.group(3)
    if html_module.unescape(strip_tags(label)).strip() == url:
        return label
    return f"{label} ({html_module.escape(url)})"


def html_to_text(html: str) -> str:
    """A readable plain-text alternative for an HTML body without a written one: no
    style sheets or scripts, and each http(s) link followed by its address."""
    text = _LINK.sub(_link_as_text, _drop_not_text(html))
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</h[1-6]>|</li>|</tr>", "\n", text)
    # Entities become the characters they stand for: the text part is text, not HTML.
    try:
        text = html_module.unescape(strip_tags(text))
    except SuspiciousOperation as exc:  # Django's own bound on tags within tags
        raise RenderError("the HTML has too many tags within tags to make a text part") from exc
    lines = [_WHITESPACE_RUN.sub(" ", line).strip() for line in text.splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def single_line(value: str) -> str:
    # A header never carries a line break, whatever the data holds.
    return " ".join(value.split())
