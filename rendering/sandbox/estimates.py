"""Methods and filters that can grow their input: the size of their result is
estimated from their arguments before they run, and what they yield is kept within the
render's limits."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import wraps
from itertools import chain
from typing import Any

import jinja2
from jinja2.filters import make_attrgetter
from jinja2.utils import generate_lorem_ipsum

from rendering.sandbox.budget import MAX_RANGE, RenderBudgetExceeded, current_limits, tick
from rendering.sandbox.sizes import (
    as_int,
    check_percent,
    check_result,
    check_size,
    check_weight,
    too_long,
    weight,
)

# METHODS AND FILTERS THAT GROW THEIR INPUT ----------------------------------------------


def _padded(value: Any, width: Any, *_: Any) -> int:
    return max(len(value), as_int(width) or 0)


def _expandtabs(value: Any, tabsize: Any = 8) -> int:
    return len(value) + value.count("\t") * max(as_int(tabsize) or 0, 0)


def _replaced(value: Any, old: Any, new: Any, count: Any = -1) -> int:
    if not isinstance(old, str | bytes) or not isinstance(new, str | bytes):
        return len(value)
    times = value.count(old) if old else len(value) + 1
    if isinstance(count, int) and count >= 0:
        times = min(times, count)
    return len(value) + times * max(len(new) - len(old), 0)


def _translated(value: Any, table: Any, *_: Any) -> int:
    if not isinstance(table, Mapping):
        return len(value)
    longest = max((len(v) for v in table.values() if isinstance(v, str | bytes)), default=1)
    return len(value) * max(longest, 1)


def _joined(separator: Any, items: Any) -> int:
    if not isinstance(items, list | tuple | set | frozenset | dict | str):
        return len(separator)  # an iterator: its items are checked as they come
    limit = current_limits().max_string_length
    return weight(items, limit) + len(separator) * max(len(items) - 1, 0)


def _to_bytes(value: Any, length: Any = 1, *_: Any, **__: Any) -> int:
    return as_int(length) or 0


# (type, method name) -> the size of the result, estimated from the arguments.
_METHOD_SIZES: dict[str, Callable[..., int]] = {
    "center": _padded,
    "ljust": _padded,
    "rjust": _padded,
    "zfill": _padded,
    "expandtabs": _expandtabs,
    "replace": _replaced,
    "translate": _translated,
    "join": _joined,
}


def method_estimate(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """A method of a text or an integer that can grow it, estimated before the call."""
    owner = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", "")
    if isinstance(owner, str | bytes | bytearray) and name in _METHOD_SIZES:
        try:
            estimate = _METHOD_SIZES[name](owner, *args, **kwargs)
        except TypeError:
            return  # the call itself will say what is wrong with its arguments
        check_size(estimate)
    elif isinstance(owner, int) and name == "to_bytes":
        check_size(_to_bytes(owner, *args, **kwargs), "bytes")


def _filter_indent(s: Any, width: Any = 4, *_: Any, **__: Any) -> int:
    text = s if isinstance(s, str) else ""
    pad = len(width) if isinstance(width, str) else (as_int(width) or 0)
    return len(text) + (text.count("\n") + 1) * max(pad, 0)


def _filter_wordwrap(
    s: Any, width: Any = 79, break_long_words: Any = True, wrapstring: Any = None, **__: Any
) -> int:
    text = s if isinstance(s, str) else ""
    wrap = len(wrapstring) if isinstance(wrapstring, str) else 1
    lines = min(len(text), len(text) // max(as_int(width) or 1, 1) + text.count(" ") + 1)
    return len(text) + lines * wrap


def _filter_center(value: Any, width: Any = 80) -> int:
    return max(len(value) if isinstance(value, str) else 0, as_int(width) or 0)


def _filter_batch(value: Any, linecount: Any, fill_with: Any = None) -> int:
    return (as_int(linecount) or 0) if fill_with is not None else 0


def _filter_slice(value: Any, slices: Any, fill_with: Any = None) -> int:
    return as_int(slices) or 0


def _filter_replace(s: Any, old: Any, new: Any, count: Any = None) -> int:
    return _replaced(s if isinstance(s, str) else "", old, new, -1 if count is None else count)


def _filter_join(value: Any, d: Any = "", attribute: Any = None) -> int:
    return _joined(d if isinstance(d, str) else "", value)


def _filter_format(value: Any, *args: Any, **kwargs: Any) -> int:
    if isinstance(value, str):
        check_percent(value, kwargs or args)
    return 0


# Filters whose result can be much bigger than their input: name -> the size of the
# result, estimated from the filter's own arguments (same names as the filter's).
_FILTER_SIZES: dict[str, Callable[..., int]] = {
    "indent": _filter_indent,
    "wordwrap": _filter_wordwrap,
    "center": _filter_center,
    "batch": _filter_batch,
    "slice": _filter_slice,
    "replace": _filter_replace,
    "join": _filter_join,
    "format": _filter_format,
}
# Filters that yield items one by one: what they yield in all is kept within the limit,
# so that a list made of them (|list, |join, |sort ...) cannot grow past it.
_FILTERS_YIELDING = frozenset(
    {"map", "select", "reject", "selectattr", "rejectattr", "batch", "slice"}
)
# Filters that turn a whole value into text or copy it: its size is measured first.
_FILTERS_OF_WHOLE_VALUES = frozenset(
    {
        *("string", "pprint", "tojson", "xmlattr", "urlencode", "escape", "e"),
        *("forceescape", "safe", "list", "unique", "sort", "dictsort", "reverse"),
        *("striptags", "urlize", "title", "upper", "lower", "capitalize", "trim"),
    }
)


def _sequence_sum(
    environment: jinja2.Environment, iterable: Any, attribute: Any = None, start: Any = 0
) -> Any:
    """``|sum`` from a list or tuple, joined in one pass (Python's ``sum`` copies the
    growing list once per item)."""
    items = list(iterable)
    if attribute is not None:
        items = list(map(make_attrgetter(environment, attribute), items))
    check_weight([start, items], "a sum of lists")
    joined = list(chain(start, *items))
    return tuple(joined) if isinstance(start, tuple) else joined


def budgeted_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    estimate = _FILTER_SIZES.get(name)
    # pass_context / pass_eval_context / pass_environment: the filter's value comes second.
    passes_first = getattr(function, "jinja_pass_arg", None) is not None

    @wraps(function)
    def budgeted(*args: Any, **kwargs: Any) -> Any:
        tick()
        values = args[1:] if passes_first else args
        if estimate is not None:
            try:
                size = estimate(*values, **kwargs)
            except TypeError:
                size = 0  # the filter itself will say what is wrong with its arguments
            check_size(size)
        elif name == "sum" and passes_first:
            start = kwargs.get("start", values[2] if len(values) > 2 else 0)
            if isinstance(start, list | tuple):
                return check_result(_sequence_sum(args[0], *values, **kwargs))
        elif name in _FILTERS_OF_WHOLE_VALUES and values:
            check_weight(values[0])
        result = function(*args, **kwargs)
        if name in _FILTERS_YIELDING:
            return _bounded_items(result)
        return check_result(result)

    return budgeted


def _bounded_items(items: Iterable[Any]) -> Iterator[Any]:
    limit = current_limits().max_string_length
    total = 0
    for item in items:
        total += weight(item, limit)
        if total > limit:
            raise too_long("a sequence", current_limits())
        tick()
        yield item


def budgeted_lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    # Words of about eight characters, ``max`` words to a paragraph.
    check_size(int(n) * int(max) * 8, "lorem ipsum")
    return generate_lorem_ipsum(n=n, html=html, min=min, max=max)


def budgeted_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise RenderBudgetExceeded(f"range() of {len(numbers)} items; at most {MAX_RANGE}")
    return numbers
