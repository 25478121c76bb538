"""The one rendering path: preview, test send, lint and the batch pipeline all call ``render``.

``render`` is pure: it reads the version's content but writes nothing and touches no
network. Templates run in Jinja2's immutable sandbox with StrictUndefined, so a field
missing from the data is an error, never a blank in a regulatory letter.
"""

from __future__ import annotations

import datetime as dt
import html as html_module
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from functools import lru_cache, wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import unquote, urlsplit

import css_inline
import jinja2
import weasyprint
from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.numbers import format_currency, format_decimal
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.utils.html import strip_tags
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from ccm.metrics import render_timed
from rendering.letter_formats import envelope_format
from rendering.pdf_files import pdf_split
from rendering.sandbox import (
    BudgetedSandbox,
    RenderBudgetExceeded,
    render_budget,
    render_limits,
    render_within_budget,
)
from rendering.sms_encoding import SmsInfo, sms_analyse

if TYPE_CHECKING:
    from templates_store.models import Brand, TemplateVersion

LAYOUTS_DIR = Path(__file__).parent / "jinja" / "layouts"


class RenderError(Exception):
    """The content cannot be rendered: syntax error, missing field, unknown variant.

    ``field`` names the template field (subject, body_html, body_text) and ``line`` the
    line in it, when known.
    """

    def __init__(self, message: str, *, field: str = "", line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.line = line

    def __str__(self) -> str:
        where = f"{self.field}" + (f", line {self.line}" if self.line else "")
        return f"{where}: {self.message}" if where else self.message


class RenderBudgetError(RenderError):
    """The render went over its budget (``rendering.sandbox``: output size, integer
    digits, text length, loop iterations, CPU time, HTML nesting); the message names the
    limit. Retrying cannot help: the same content and data go over it again."""


@dataclass(frozen=True)
class Recipient:
    name: str = ""
    address_lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rendered:
    """What a channel sends. Email: subject, html, text. SMS: text. Print: html (a letter).

    ``blocks`` names the block versions the content used, as (key, number), and
    ``theme_version`` the theme version (None: the brand's own colours); ``pinned`` says
    whether they are the versions pinned at submission or the latest published ones.
    """

    channel: str
    locale: str
    subject: str = ""
    html: str = ""
    text: str = ""
    sms: SmsInfo | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)
    blocks: tuple[tuple[str, int], ...] = ()
    theme_version: int | None = None
    pinned: bool = False


# SHARED CONTENT -------------------------------------------------------------------------


@dataclass(frozen=True)
class Theme:
    """A brand theme as templates see it (``theme.primary_color`` ...). ``logo`` is the
    logo's source for the channel being rendered: the https address in email, the embedded
    image in letters ("" when there is none)."""

    version: int | None
    primary_color: str
    accent_color: str
    text_color: str
    background_color: str
    font_family: str
    heading_font_family: str
    logo_url: str = ""
    logo_data: str = ""
    logo_alt: str = ""
    logo: str = ""


@dataclass(frozen=True)
class BlockSource:
    """One version of a block: its body per (channel, locale)."""

    key: str
    number: int
    bodies: Mapping[tuple[str, str], str]


@dataclass(frozen=True)
class SharedContent:
    """The blocks a render may insert (by key) and the theme it applies."""

    blocks: Mapping[str, BlockSource]
    theme: Theme
    pinned: bool = False


class BlockLookupError(LookupError):
    """A template asks for a block that is not there (unknown key, not pinned, or no
    content in the channel and locale being rendered)."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class RenderScope:
    """What a render knows besides the data; given to the template functions below."""

    channel: str
    locale: str
    version: TemplateVersion | None
    recipient: Recipient
    letter_date: dt.date


# Functions templates may call besides the data (survey links, for example), registered by
# other apps when they start: name -> factory that takes the render's scope and returns
# the function. What they return must depend on the scope only, so a re-render is identical.
TEMPLATE_FUNCTIONS: dict[str, Callable[[RenderScope], Any]] = {}


# FILTERS ------------------------------------------------------------------------------


def _as_date(value: Any) -> dt.date | dt.datetime:
    if isinstance(value, dt.date):
        return value
    try:
        return (
            dt.datetime.fromisoformat(str(value))
            if "T" in str(value)
            else dt.date.fromisoformat(str(value))
        )
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an ISO date") from exc


def _as_decimal(value: Any) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"{value!r:.50} is not a number") from exc
    # Formatted in full: 1e999999999 would be a billion zeros.
    digits = render_limits().max_integer_digits
    if number.is_finite() and number and abs(number.adjusted()) > digits:
        raise RenderBudgetExceeded(f"number too large or too small (over {digits} digits)")
    return number


@lru_cache(maxsize=64)
def _babel_locale(locale: str) -> Locale:
    """Parsed once: Babel's functions parse a locale given as a string on every call."""
    return Locale.parse(locale.replace("-", "_"))


# A run formats the same values again and again (a due date, an amount in the subject,
# the HTML and the text): each text is kept, per value, format and locale.
_FORMATTED_KEPT = 4096


@jinja2.pass_context
def _filter_date(ctx: jinja2.runtime.Context, value: Any, format: str = "long") -> str:
    parsed = _as_date(value)
    locale = ctx.get("locale", "en")
    if isinstance(parsed, dt.datetime):
        # Not kept: the same instant in two time zones is one key, but reads differently.
        return babel_format_datetime(parsed, format=format, locale=_babel_locale(locale))
    return _date_text(parsed, format, locale)


@lru_cache(maxsize=_FORMATTED_KEPT)
def _date_text(value: dt.date, format: str, locale: str) -> str:
    return babel_format_date(value, format=format, locale=_babel_locale(locale))


@jinja2.pass_context
def _filter_money(ctx: jinja2.runtime.Context, value: Any, currency: str) -> str:
    return _money_text(str(_as_decimal(value)), currency, ctx.get("locale", "en"))


@lru_cache(maxsize=_FORMATTED_KEPT)
def _money_text(number: str, currency: str, locale: str) -> str:
    return format_currency(Decimal(number), currency, locale=_babel_locale(locale))


@jinja2.pass_context
def _filter_number(ctx: jinja2.runtime.Context, value: Any) -> str:
    return _number_text(str(_as_decimal(value)), ctx.get("locale", "en"))


@lru_cache(maxsize=_FORMATTED_KEPT)
def _number_text(number: str, locale: str) -> str:
    return format_decimal(Decimal(number), locale=_babel_locale(locale))


_CSS_UNSAFE = re.compile(r"[<>{};\\]|/\*|\*/")


def _filter_css(value: Any) -> Markup:
    """A value placed inside a style sheet or style attribute: no way out of the declaration."""
    return Markup(_CSS_UNSAFE.sub("", str(value)))  # noqa: S704


def _make_environment(*, autoescape: bool) -> ImmutableSandboxedEnvironment:
    # The immutable sandbox with a budget per render (rendering/sandbox.py).
    env = BudgetedSandbox(
        undefined=jinja2.StrictUndefined,
        autoescape=autoescape,
        loader=jinja2.FileSystemLoader(LAYOUTS_DIR),
        # The layouts are files of the platform: looked at again for changes while
        # developing only (otherwise every render reads their modification times).
        auto_reload=settings.DEBUG,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.add_filters(
        {"date": _filter_date, "money": _filter_money, "number": _filter_number, "css": _filter_css}
    )
    return env


# One environment per kind of output: HTML (email body, letter) escapes, text does not.
HTML_ENV = _make_environment(autoescape=True)
TEXT_ENV = _make_environment(autoescape=False)


@lru_cache(maxsize=4096)
def _compile(env_kind: str, source: str) -> jinja2.Template:
    env = HTML_ENV if env_kind == "html" else TEXT_ENV
    return env.from_string(source)


def _render_field(env_kind: str, field_name: str, source: str, context: Mapping[str, Any]) -> str:
    try:
        return render_within_budget(_compile(env_kind, source), context)
    except RenderBudgetExceeded as exc:
        raise RenderBudgetError(
            f"over the render budget: {exc}", field=field_name, line=_error_line(exc)
        ) from exc
    except MemoryError as exc:
        # A limit the estimates missed: the render's memory is freed with this frame.
        raise RenderBudgetError("over the render budget: out of memory", field=field_name) from exc
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(exc.message or "syntax error", field=field_name, line=exc.lineno) from exc
    except jinja2.UndefinedError as exc:
        raise RenderError(
            exc.message or "undefined variable", field=field_name, line=_error_line(exc)
        ) from exc
    except jinja2.exceptions.SecurityError as exc:
        raise RenderError(f"not allowed: {exc}", field=field_name, line=_error_line(exc)) from exc
    except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
        raise RenderError(str(exc), field=field_name, line=_error_line(exc)) from exc


def _error_line(exc: BaseException) -> int | None:
    """The template line of a runtime error: Jinja rewrites the traceback so that its
    frames point at "<template>" with template line numbers."""
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _layout(name: str) -> jinja2.Template:
    return HTML_ENV.get_template(name)


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


def _css_inline(html: str) -> str:
    if not _STYLE_SHEET.search(html):
        return html  # no style sheet: nothing to inline, the HTML goes as rendered
    try:
        return _INLINER.inline(html)
    except (css_inline.InlineError, ValueError) as exc:
        raise RenderError(f"CSS cannot be inlined: {exc}", field="body_html") from exc


def _single_line(value: str) -> str:
    # A header never carries a line break, whatever the data holds.
    return " ".join(value.split())


class _BlockInserter:
    """``block("key")`` in templates: renders the block's body for the channel and locale
    (with ``theme``, ``brand`` and ``locale``) and records which block versions were used."""

    def __init__(
        self, *, shared: SharedContent, channel: str, locale: str, brand: Brand, theme: Theme
    ) -> None:
        self.shared = shared
        self.channel = channel
        self.locale = locale
        self.brand = _BrandValues.of(brand)
        self.theme = theme
        self.used: dict[str, int] = {}

    def _render(self, env_kind: str, source: BlockSource, body: str) -> str:
        return _block_render(env_kind, source.key, body, self.locale, self.brand, self.theme)

    def _as_text(self, source: BlockSource, body: str) -> str:
        return _block_render_as_text(source.key, body, self.locale, self.brand, self.theme)

    def _body(self, key: Any, channel: str) -> tuple[BlockSource, str]:
        source = self.shared.blocks.get(key) if isinstance(key, str) else None
        if source is None:
            if self.shared.pinned:
                raise BlockLookupError(
                    f"block {key!r} is not among the blocks pinned at submission"
                )
            raise BlockLookupError(f"unknown block {key!r}: no published block has this key")
        body = source.bodies.get((channel, self.locale))
        if body is None:
            raise BlockLookupError(
                f"block {key!r} (version {source.number}) has no {channel} content"
                f" in {self.locale!r}"
            )
        self.used[source.key] = source.number
        return source, body

    def html(self, key: Any) -> Markup:
        source, body = self._body(key, self.channel)
        return Markup(self._render("html", source, body))  # noqa: S704

    def text(self, key: Any) -> str:
        if self.channel == "email":
            # The text part of an email: the block's email HTML as text.
            source, body = self._body(key, "email")
            return self._as_text(source, body)
        source, body = self._body(key, self.channel)
        if self.channel == "sms":
            return self._render("text", source, body).strip()
        return self._as_text(source, body)


@dataclass(frozen=True)
class _BrandValues:
    """A brand as a cache key: equal when every plain field is; carries the instance."""

    values: tuple[Any, ...]
    brand: Brand = field(compare=False, hash=False)

    @classmethod
    def of(cls, brand: Brand) -> _BrandValues:
        return cls(tuple(f.value_to_string(brand) for f in brand._meta.concrete_fields), brand)


@lru_cache(maxsize=1024)
def _block_render(
    env_kind: str, key: str, body: str, locale: str, brand: _BrandValues, theme: Theme
) -> str:
    """A block's body rendered. Blocks see only ``locale``, ``brand`` and ``theme``, never
    the recipient's data, so a block renders the same for every message of a run: once
    per process and per brand, theme, locale and body."""
    context = {"locale": locale, "brand": brand.brand, "theme": theme}
    return _render_field(env_kind, f"block {key}", body, context)


@lru_cache(maxsize=1024)
def _block_render_as_text(
    key: str, body: str, locale: str, brand: _BrandValues, theme: Theme
) -> str:
    """A block's HTML body as text (the text part of an email), cached as the HTML is."""
    return html_to_text(_block_render("html", key, body, locale, brand, theme))


def _shared_for_brand(brand: Brand) -> SharedContent:
    from templates_store.shared_selectors import shared_content_latest

    return shared_content_latest(brand=brand)


def _shared_for_version(version: TemplateVersion) -> SharedContent:
    from templates_store.shared_selectors import shared_content_for_version

    return shared_content_for_version(version=version)


# "Page x of y" in the letter's language, as a CSS content value.
_PAGE_LABELS = {
    "en": '"Page " counter(page) " of " counter(pages)',
    "de": '"Seite " counter(page) " von " counter(pages)',
    "fr": '"Page " counter(page) " sur " counter(pages)',
    "ja": 'counter(page) " / " counter(pages) " ページ"',
}


def _page_label(locale: str) -> str:
    return _PAGE_LABELS.get(locale.split("-")[0].split("_")[0], _PAGE_LABELS["en"])


# THE RENDER FUNCTIONS -----------------------------------------------------------------

_F = TypeVar("_F", bound=Callable[..., Any])


def _within_one_budget(function: _F) -> _F:
    """Every field and block of one render shares one budget (CPU time, loop
    iterations); each field has its own output limit."""

    @wraps(function)
    def budgeted(*args: Any, **kwargs: Any) -> Any:
        with render_budget():
            return function(*args, **kwargs)

    return cast(_F, budgeted)


@_within_one_budget
def render_content(
    *,
    channel: str,
    locale: str,
    brand: Brand,
    subject: str,
    body_html: str,
    body_text: str,
    data: Mapping[str, Any],
    recipient: Recipient | None = None,
    letter_date: dt.date | None = None,
    version: TemplateVersion | None = None,
    shared: SharedContent | None = None,
    envelope: str = "",
) -> Rendered:
    """Render one channel's content with ``data``, within the render budget
    (``rendering.sandbox``). Raises RenderError (RenderBudgetError over the budget).

    ``recipient`` fills a letter's address window; ``letter_date`` is the date printed
    on it (the message's date in the pipeline, so that a re-render is identical).
    ``shared`` gives the blocks and theme (by default the brand's latest published ones).
    ``envelope`` (a ``rendering.letter_formats`` key) sets a letter's page and window.
    """
    if channel not in ("email", "sms", "print"):
        raise RenderError(f"unknown channel {channel!r}")
    shared = shared or _shared_for_brand(brand)
    theme = replace(
        shared.theme,
        logo=shared.theme.logo_url if channel == "email" else shared.theme.logo_data,
    )
    scope = RenderScope(
        channel, locale, version, recipient or Recipient(), letter_date or dt.date.today()
    )
    functions = {name: factory(scope) for name, factory in TEMPLATE_FUNCTIONS.items()}
    base = {**functions, **data, "locale": locale, "brand": brand, "theme": theme}
    blocks = _BlockInserter(shared=shared, channel=channel, locale=locale, brand=brand, theme=theme)
    context = {**base, "block": blocks.text}
    html_context = {**base, "block": blocks.html}
    layout_context = {"brand": brand, "theme": theme, "locale": locale}

    def result(**fields: Any) -> Rendered:
        return Rendered(
            channel=channel,
            locale=locale,
            blocks=tuple(sorted(blocks.used.items())),
            theme_version=theme.version,
            pinned=shared.pinned,
            **fields,
        )

    if channel == "email":
        rendered_subject = _single_line(_render_field("text", "subject", subject, context))
        body = _render_field("html", "body_html", body_html, html_context)
        # The designer's part; the layout around it adds a few levels of its own.
        html_depth_check(body)
        html = _css_inline(
            _layout("email.html").render(
                subject=rendered_subject,
                body=Markup(body),  # noqa: S704 - rendered by the autoescaping sandbox
                **layout_context,
            )
        )
        text = (
            _render_field("text", "body_text", body_text, context).strip()
            if body_text.strip()
            else html_to_text(body)
        )
        return result(subject=rendered_subject, html=html, text=text)
    if channel == "sms":
        text = _render_field("text", "body_text", body_text, context).strip()
        info = sms_analyse(text)
        warnings: tuple[str, ...] = ()
        if info.non_gsm_characters and locale == "en":
            chars = " ".join(info.non_gsm_characters)
            warnings = (f"These characters force UCS-2 (70 characters a segment): {chars}",)
        return result(text=text, sms=info, warnings=warnings)
    body = _render_field("html", "body_html", body_html, html_context)
    html_depth_check(body)
    recipient = recipient or Recipient()
    fmt = envelope_format(envelope)
    html = _layout("letter.html").render(
        body=Markup(body),  # noqa: S704
        recipient=recipient,
        fmt=fmt,
        window=fmt.relative(fmt.window),
        # Six address lines fit any window at this size.
        address_size=9.5 if fmt.window.height < 40 else 10,
        page_label=_page_label(locale),
        letter_date=babel_format_date(letter_date or dt.date.today(), format="long", locale=locale),
        **layout_context,
    )
    return result(subject=_single_line(subject), html=html)


@render_timed
def render(
    version: TemplateVersion,
    channel: str,
    locale: str,
    data: Mapping[str, Any],
    *,
    recipient: Recipient | None = None,
    letter_date: dt.date | None = None,
) -> Rendered:
    """Render ``version`` for ``channel`` in ``locale`` with ``data``. Raises RenderError.

    Reads the version's variants (prefetch them for batches) and its shared content: the
    block and theme versions pinned at submission, or for a draft the latest published
    ones. Writes nothing.
    """
    variant = next(
        (v for v in version.variants.all() if v.channel == channel and v.locale == locale), None
    )
    if variant is None:
        raise RenderError(f"version {version.number} has no {channel} content in {locale!r}")
    return render_content(
        channel=channel,
        locale=locale,
        brand=version.communication.brand,
        subject=variant.subject,
        body_html=variant.body_html,
        body_text=variant.body_text,
        data=data,
        recipient=recipient,
        letter_date=letter_date,
        version=version,
        shared=_shared_for_version(version),
        envelope=version.communication.letter_envelope,
    )


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
    if rendered.channel != "print":
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
