"""The filters templates format values with: ``date``, ``money(currency)`` and
``number`` with Babel in the message's locale, and ``css`` for values inside style sheets."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import jinja2
from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.numbers import format_currency, format_decimal
from markupsafe import Markup

from rendering.sandbox.budget import RenderBudgetExceeded, render_limits


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


FILTERS: dict[str, Callable[..., Any]] = {
    "date": _filter_date,
    "money": _filter_money,
    "number": _filter_number,
    "css": _filter_css,
}
