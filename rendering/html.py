"""HTML checks and email HTML: how deep elements nest (read from the tags, before any
parser or inliner recurses on them) and style sheets inlined into style attributes."""

from __future__ import annotations

import re

import css_inline

from rendering.exceptions import RenderBudgetError, RenderError
from rendering.sandbox.budget import render_limits

# HTML NESTING ----------------------------------------------------------------------------

_TAG_OR_COMMENT = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)[^>]*?(/?)>|<!--")
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
    | {"source", "track", "wbr", "basefont", "frame", "keygen"}
)
_RAW_TEXT = frozenset(
    {"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"}
)
# A start tag closes these when one of them is the innermost open element (HTML's
# implied end tags): <li> after <li>, <td> after <td> ...
_CLOSES = {
    "a": {"a"},
    "p": {"p"},
    "li": {"li"},
    "dt": {"dt", "dd"},
    "dd": {"dt", "dd"},
    "td": {"td", "th"},
    "th": {"td", "th"},
    "tr": {"td", "th", "tr"},
    "thead": {"td", "th", "tr", "thead", "tbody", "tfoot"},
    "tbody": {"td", "th", "tr", "thead", "tbody", "tfoot"},
    "tfoot": {"td", "th", "tr", "thead", "tbody", "tfoot"},
    "option": {"option"},
    "optgroup": {"option", "optgroup"},
}


def html_too_deep(html: str, limit: int) -> bool:
    """Whether the elements of ``html`` nest more than ``limit`` deep, read from its tags
    without parsing (and without recursion). Void elements do not nest, and
    ``<x/>`` closes itself only inside SVG or MathML, as in HTML; an end tag closes
    the elements opened inside its element, as a parser does."""
    if html.count("<") <= limit:
        return False  # fewer tags than levels, whatever they are
    stack: list[str] = []
    foreign = position = 0
    while match := _TAG_OR_COMMENT.search(html, position):
        position = match.end()
        if match.group(0) == "<!--":
            end = html.find("-->", position)
            position = len(html) if end < 0 else end + 3
            continue
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        if closing:
            if name in stack:
                while (popped := stack.pop()) != name:
                    foreign -= popped in ("svg", "math")
                foreign -= name in ("svg", "math")
            continue
        if name in _VOID or (self_closing and foreign):
            continue
        closes = _CLOSES.get(name, ())
        while stack and stack[-1] in closes:
            stack.pop()
        if name in _RAW_TEXT:
            # Its content is text up to its end tag, whatever it looks like.
            raw_end = re.compile(rf"(?i)</{name}\s*>").search(html, position)
            position = len(html) if raw_end is None else raw_end.end()
            continue
        stack.append(name)
        foreign += name in ("svg", "math")
        if len(stack) > limit:
            return True
    return False


def html_depth_check(html: str, field: str = "body_html") -> None:
    """Raises RenderBudgetError when the elements of ``html`` nest deeper than the
    budget allows (the letter renderer recurses once per level, the CSS inliner too)."""
    limit = render_limits().max_html_depth
    if html_too_deep(html, limit):
        raise RenderBudgetError(
            f"over the render budget: HTML nested more than {limit} elements deep",
            field=field,
        )


# Mail clients drop <style> blocks: rules become style attributes. Media queries stay in
# a <style> in the head (clients that know them apply them). Nothing is fetched.
_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False, keep_at_rules=True)
_STYLE_SHEET = re.compile(r"<(?:style|link)\b", re.IGNORECASE)


def inline_css(html: str) -> str:
    if not _STYLE_SHEET.search(html):
        return html  # no style sheet: nothing to inline, the HTML goes as rendered
    try:
        return _INLINER.inline(html)
    except (css_inline.InlineError, ValueError) as exc:
        raise RenderError(f"CSS cannot be inlined: {exc}", field="body_html") from exc
