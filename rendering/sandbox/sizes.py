"""Sizes of values and of what an operation makes of them, measured or estimated before
it runs: texts, collections and integers within the render's limits, ``%`` and
``str.format`` widths, products and powers."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import ItemsView, KeysView, Mapping, ValuesView
from typing import Any

from jinja2.sandbox import SandboxedFormatter
from jinja2.utils import Namespace
from markupsafe import EscapeFormatter

from rendering.sandbox.budget import RenderBudgetExceeded, RenderLimits, current_limits, tick

# SIZES ---------------------------------------------------------------------------------


def weight(value: Any, limit: int) -> int:
    """The size of ``value`` as text, roughly (characters of strings, items of
    collections, digits of numbers), counted without recursion and given up once over
    ``limit``: a list holding itself a thousand times over costs ``limit`` steps, not
    its (exponential) size."""
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str | bytes | bytearray):
            total += len(item)
        elif isinstance(item, list | tuple | set | frozenset):
            total += len(item) + 2
            if total <= limit:
                stack.extend(item)
        elif isinstance(item, Mapping):
            total += 2 * len(item) + 2
            if total <= limit:
                stack.extend(item.keys())
                stack.extend(item.values())
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 1
        elif isinstance(item, KeysView | ValuesView | ItemsView):
            total += len(item) + 2
            if total <= limit:
                stack.extend(item)
        elif isinstance(item, Namespace):
            # Written out as its attributes.
            attributes = object.__getattribute__(item, "_Namespace__attrs")
            total += 2 * len(attributes) + 2
            stack.append(attributes)
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            total += 2
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))
        else:
            total += 1
        if total > limit:
            return total
    return total


def too_long(what: str, limits: RenderLimits) -> RenderBudgetExceeded:
    return RenderBudgetExceeded(f"{what} over {limits.max_string_length} characters")


def check_size(estimate: int, what: str = "a text or list") -> None:
    limits = current_limits()
    if estimate > limits.max_string_length:
        raise too_long(what, limits)


def check_weight(value: Any, what: str = "a text or list") -> None:
    limits = current_limits()
    if weight(value, limits.max_string_length) > limits.max_string_length:
        raise too_long(what, limits)


def check_result(value: Any) -> Any:
    """A value just made: integers within their digits, texts and lists within their
    length (shallow: what made it was estimated before)."""
    limits = current_limits()
    if isinstance(value, int) and value.bit_length() > limits.max_integer_bits:
        raise integer_too_large(limits)
    if (
        isinstance(value, str | bytes | list | tuple | dict)
        and len(value) > limits.max_string_length
    ):
        raise too_long("a text or list", limits)
    return value


def integer_too_large(limits: RenderLimits) -> RenderBudgetExceeded:
    return RenderBudgetExceeded(f"integer too large (over {limits.max_integer_digits} digits)")


def as_int(value: Any) -> int | None:
    return value if isinstance(value, int) else None


# FORMATS --------------------------------------------------------------------------------

_DIGITS = re.compile(r"\d+")
_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.)", re.DOTALL)


def _number_size(text: str) -> int:
    # A run of digits as a size; ten or more digits is over any limit.
    return int(text) if len(text) < 10 else 10**10


def _spec_size(spec: str) -> int:
    """Characters a format spec (``>20``, ``.3f``, ``0999999999d``) may produce besides
    the value itself: its width and precision, added (every digit run counts)."""
    return sum(_number_size(d) for d in _DIGITS.findall(spec))


def check_percent(template: str, args: Any) -> None:
    """``template % args`` estimated: widths and precisions (``*`` takes the largest
    integer among the arguments) plus the size of the arguments as text."""
    limits = current_limits()
    star = max((abs(a) for a in _as_tuple(args) if isinstance(a, int)), default=0)
    estimate = len(template)
    for width, precision, _ in _PERCENT.findall(template):
        for number in (width, precision):
            estimate += star if number == "*" else _number_size(number) if number else 0
    estimate += weight(args, limits.max_string_length)
    if estimate > limits.max_string_length:
        raise too_long("a formatted text", limits)


def _as_tuple(args: Any) -> tuple[Any, ...]:
    if isinstance(args, tuple):
        return args
    if isinstance(args, Mapping):
        return tuple(args.values())
    return (args,)


class _FormatSizes:
    """Counts what one ``str.format`` call produces, field by field, before each."""

    produced: int = 0

    def vformat(self, format_string: str, args: Any, kwargs: Any) -> str:
        self.produced = len(format_string)
        return super().vformat(format_string, args, kwargs)  # type: ignore[misc]

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion is not None:
            check_weight(value, "a formatted text")
        return super().convert_field(value, conversion)  # type: ignore[misc]

    def format_field(self, value: Any, format_spec: str) -> Any:
        limits = current_limits()
        self.produced += _spec_size(format_spec) + weight(value, limits.max_string_length)
        if self.produced > limits.max_string_length:
            raise too_long("a formatted text", limits)
        tick()
        return super().format_field(value, format_spec)  # type: ignore[misc]


class BudgetedFormatter(_FormatSizes, SandboxedFormatter):
    pass


class BudgetedEscapeFormatter(_FormatSizes, SandboxedFormatter, EscapeFormatter):
    pass


# PRODUCTS AND POWERS -------------------------------------------------------------------


def check_product(left: Any, right: Any, limits: RenderLimits) -> None:
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > limits.max_integer_bits + 1:
            raise integer_too_large(limits)
        return
    for sized, times in ((left, right), (right, left)):
        if not isinstance(sized, str | bytes | list | tuple) or not isinstance(times, int):
            continue
        if times > 0 and weight(sized, limits.max_string_length) * times > limits.max_string_length:
            raise too_long("a repetition", limits)


def check_power(left: Any, right: Any, limits: RenderLimits) -> None:
    # At least (bits - 1) * right bits: refused before anything is computed.
    if (
        isinstance(left, int)
        and isinstance(right, int)
        and right > 0
        and (left.bit_length() - 1) * right > limits.max_integer_bits
    ):
        raise integer_too_large(limits)
