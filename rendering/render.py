"""The one rendering path: preview, test send, lint and the batch pipeline all call ``render``.

``render`` is pure: it reads the version's content but writes nothing and touches no
network. Templates run in Jinja2's immutable sandbox with StrictUndefined, so a field
missing from the data is an error, never a blank in a regulatory letter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import wraps
from typing import Any, TypeVar, cast

from babel.dates import format_date as babel_format_date
from markupsafe import Markup

from ccm.metrics import render_timed
from ccm.vocabulary import Channel
from rendering.blocks import BlockInserter, SharedContent, shared_for_brand, shared_for_version
from rendering.environment import TEMPLATE_FUNCTIONS, layout, render_field
from rendering.exceptions import RenderError
from rendering.html import html_depth_check, inline_css
from rendering.letter_formats import envelope_format
from rendering.sandbox.budget import render_budget
from rendering.sms_encoding import sms_analyse
from rendering.sources import BrandSource, VersionSource
from rendering.text import html_to_text, single_line
from rendering.types import Recipient, Rendered, RenderScope

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
    brand: BrandSource,
    subject: str,
    body_html: str,
    body_text: str,
    data: Mapping[str, Any],
    recipient: Recipient | None = None,
    letter_date: dt.date | None = None,
    version: VersionSource | None = None,
    shared: SharedContent | None = None,
    envelope: str = "",
) -> Rendered:
    """Render one channel's content with ``data``, within the render budget
    (``rendering.sandbox.budget``). Raises RenderError (RenderBudgetError over the budget).

    ``recipient`` fills a letter's address window; ``letter_date`` is the date printed
    on it (the message's date in the pipeline, so that a re-render is identical).
    ``shared`` gives the blocks and theme (by default the brand's latest published ones).
    ``envelope`` (a ``rendering.letter_formats`` key) sets a letter's page and window.
    """
    if channel not in Channel.values:
        raise RenderError(f"unknown channel {channel!r}")
    shared = shared or shared_for_brand(brand)
    theme = replace(
        shared.theme,
        logo=shared.theme.logo_url if channel == Channel.EMAIL else shared.theme.logo_data,
    )
    scope = RenderScope(
        channel, locale, version, recipient or Recipient(), letter_date or dt.date.today()
    )
    functions = {name: factory(scope) for name, factory in TEMPLATE_FUNCTIONS.items()}
    base = {**functions, **data, "locale": locale, "brand": brand, "theme": theme}
    blocks = BlockInserter(shared=shared, channel=channel, locale=locale, brand=brand, theme=theme)
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

    if channel == Channel.EMAIL:
        rendered_subject = single_line(render_field("text", "subject", subject, context))
        body = render_field("html", "body_html", body_html, html_context)
        # The designer's part; the layout around it adds a few levels of its own.
        html_depth_check(body)
        html = inline_css(
            layout("email.html").render(
                subject=rendered_subject,
                body=Markup(body),  # noqa: S704 - rendered by the autoescaping sandbox
                **layout_context,
            )
        )
        text = (
            render_field("text", "body_text", body_text, context).strip()
            if body_text.strip()
            else html_to_text(body)
        )
        return result(subject=rendered_subject, html=html, text=text)
    if channel == Channel.SMS:
        text = render_field("text", "body_text", body_text, context).strip()
        info = sms_analyse(text)
        warnings: tuple[str, ...] = ()
        if info.non_gsm_characters and locale == "en":
            chars = " ".join(info.non_gsm_characters)
            warnings = (f"These characters force UCS-2 (70 characters a segment): {chars}",)
        return result(text=text, sms=info, warnings=warnings)
    body = render_field("html", "body_html", body_html, html_context)
    html_depth_check(body)
    recipient = recipient or Recipient()
    fmt = envelope_format(envelope)
    html = layout("letter.html").render(
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
    return result(subject=single_line(subject), html=html)


@render_timed
def render(
    version: VersionSource,
    channel: str,
    locale: str,
    data: Mapping[str, Any],
    *,
    recipient: Recipient | None = None,
    letter_date: dt.date | None = None,
) -> Rendered:
    """Render ``version`` for ``channel`` in ``locale`` with ``data``. Raises RenderError.

    Reads the version's variants (prefetch them for batches) and its shared content,
    through the studio's ``SharedContentLookup`` (``rendering.blocks``): the block and
    theme versions pinned at submission, or for a draft the latest published ones.
    Writes nothing.
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
        shared=shared_for_version(version),
        envelope=version.communication.letter_envelope,
    )
