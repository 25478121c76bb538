"""The template sandbox: Jinja2's immutable sandbox plus a budget per render.

Jinja2's ``ImmutableSandboxedEnvironment`` already refuses private attributes
(``__class__``, ``__globals__``, ...), methods that mutate lists, dicts and sets, and
the ``str.format`` / ``format_map`` escapes. On top of it:

- **Database objects stay out of reach.** On a model instance (the brand) a template may
  read its own plain fields only: no relation, manager, query set or method, so
  ``brand.communications.all()`` or ``....author.password`` fail, and nothing is saved.
- **A budget per render** (``render_budget``, ``render_within_budget``; the limits are
  settings, see ``RenderLimits``). Every operation that can make a value much bigger than
  its operands is *estimated before it runs* and refused when the result would be over a
  limit: ``*``, ``**``, ``+`` and ``%`` (``intercepted_binops``), string methods and
  filters that pad or repeat (``center``, ``ljust``, ``rjust``, ``zfill``, ``indent``,
  ``wordwrap``, ``expandtabs``, ``replace``, ``translate``, ``join``, ``batch``,
  ``slice``, ``sum``, ``lipsum``, ``int.to_bytes``), widths and precisions in ``%``
  formats, ``|format`` and ``str.format``, ``~`` concatenation, and the conversion of a
  list or dict to text (``{{ value }}``, ``|string``, ``|tojson`` ...: its size is
  measured first, so a list of lists sharing one big string cannot explode). Integers
  are bounded in digits, strings and collections in length, the output of each field
  (and each macro, ``{% set %}`` or ``{% filter %}`` block) in characters. Time: every
  iteration of every ``{% for %}`` loop and every macro call is counted, and the
  thread's CPU time is checked in these hooks against a deadline. A template over the
  budget stops with ``RenderBudgetExceeded`` (a ``SecurityError``) naming the limit;
  the renderer reports it as a ``RenderBudgetError``.
- **A CPU budget per operation** (``operation_budget``): a preview, lint, submission or
  test send renders every channel and language within one ``CCM_RENDER_MAX_CPU_SECONDS``
  in all (each render gets at most what is left); the web opens one per request.

Why hooks in the process rather than a subprocess with ``RLIMIT_CPU``/``RLIMIT_AS``:
a render is called hundreds of times per chunk and on every keystroke of the preview;
a process per render would cost more than the render, and a limit on the address space
of the web or worker process would be a limit on everything else it does. Because no
single operation is allowed to start on a result over the limits, no single step runs
long, and the hooks between steps are enough to enforce the deadline.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import math
import operator
import re
import time
from collections.abc import Callable, ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from dataclasses import dataclass
from functools import lru_cache, wraps
from itertools import chain
from typing import Any, TypeVar, cast

import jinja2
from django.conf import settings
from django.db import models
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.filters import make_attrgetter
from jinja2.runtime import BlockReference, LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace, generate_lorem_ipsum
from markupsafe import EscapeFormatter, Markup

MAX_RANGE = 10_000
# The CPU clock is read every few hooks: each step between two hooks is bounded by
# the size limits, so a few of them take milliseconds.
_CHECK_TIME_EVERY = 16


class RenderBudgetExceeded(SecurityError):
    """The template went over one of the render's limits; the message names it."""


@dataclass(frozen=True)
class RenderLimits:
    """What one render may cost (settings ``CCM_RENDER_*``, see ``render_limits``)."""

    max_output_chars: int = 2_000_000
    max_string_length: int = 1_000_000
    max_integer_digits: int = 100
    max_loop_iterations: int = 100_000
    max_cpu_seconds: float = 5.0
    max_html_depth: int = 64

    @property
    def max_integer_bits(self) -> int:
        return math.ceil(self.max_integer_digits / math.log10(2))


def render_limits() -> RenderLimits:
    """The budget from settings (read at each render, so a change applies at once)."""
    return RenderLimits(
        max_output_chars=settings.CCM_RENDER_MAX_OUTPUT_CHARS,
        max_string_length=settings.CCM_RENDER_MAX_STRING_LENGTH,
        max_integer_digits=settings.CCM_RENDER_MAX_INTEGER_DIGITS,
        max_loop_iterations=settings.CCM_RENDER_MAX_LOOP_ITERATIONS,
        max_cpu_seconds=settings.CCM_RENDER_MAX_CPU_SECONDS,
        max_html_depth=settings.CCM_RENDER_MAX_HTML_DEPTH,
    )


@dataclass
class _Operation:
    """The CPU time left to all the renders of one operation (``operation_budget``)."""

    max_cpu_seconds: float
    spent: float = 0.0


@dataclass
class _Budget:
    limits: RenderLimits
    deadline: float
    iterations: int = 0
    hooks: int = 0
    # The deadline is the operation's (what is left of it), not the render's own.
    operation: _Operation | None = None

    def tick(self) -> None:
        self.hooks += 1
        if self.hooks % _CHECK_TIME_EVERY == 0:
            self.check_time()

    def check_time(self) -> None:
        if time.thread_time() > self.deadline:
            if self.operation is not None:
                raise RenderBudgetExceeded(
                    f"the templates rendered together (every channel and language) used "
                    f"more than {self.operation.max_cpu_seconds:g} seconds of CPU"
                )
            raise RenderBudgetExceeded(
                f"the template used more than {self.limits.max_cpu_seconds:g} seconds of CPU"
            )

    def count_iteration(self) -> None:
        self.iterations += 1
        if self.iterations > self.limits.max_loop_iterations:
            raise RenderBudgetExceeded(
                f"loops and macro calls ran more than {self.limits.max_loop_iterations} times"
            )
        self.tick()


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "ccm_render_budget", default=None
)
_operation: contextvars.ContextVar[_Operation | None] = contextvars.ContextVar(
    "ccm_render_operation", default=None
)


def _limits() -> RenderLimits:
    budget = _budget.get()
    return budget.limits if budget is not None else render_limits()


def _tick() -> None:
    # Called by every hook: Budget.tick inlined.
    if (budget := _budget.get()) is not None:
        budget.hooks += 1
        if budget.hooks % _CHECK_TIME_EVERY == 0:
            budget.check_time()


@contextlib.contextmanager
def render_budget() -> Iterator[RenderLimits]:
    """One budget for everything rendered inside (the fields and blocks of one render).
    Nested uses share the outer budget."""
    if (budget := _budget.get()) is not None:
        yield budget.limits
        return
    limits = render_limits()
    start = time.thread_time()
    seconds = limits.max_cpu_seconds
    operation = _operation.get()
    shared = None
    if operation is not None and operation.max_cpu_seconds - operation.spent < seconds:
        seconds = operation.max_cpu_seconds - operation.spent
        shared = operation
    token = _budget.set(_Budget(limits, start + seconds, operation=shared))
    try:
        yield limits
    finally:
        _budget.reset(token)
        if operation is not None:
            # Measured in this thread, so renders in other threads add up correctly.
            operation.spent += time.thread_time() - start


@contextlib.contextmanager
def operation_budget() -> Iterator[None]:
    """One CPU budget (``CCM_RENDER_MAX_CPU_SECONDS``) for every render inside: a preview,
    lint, submission or test send, over all the channels and languages it renders (the
    web opens one per request, ``channels.middleware.RenderBudgetMiddleware``). Each
    render keeps its own limits (loops, sizes, its own CPU time) and gets at most what
    the operation has left. Nested uses share the outer budget. The pipeline opens none:
    each message has the budget of one render."""
    if _operation.get() is not None:
        yield
        return
    token = _operation.set(_Operation(render_limits().max_cpu_seconds))
    try:
        yield
    finally:
        _operation.reset(token)


_F = TypeVar("_F", bound=Callable[..., Any])


def with_operation_budget(function: _F) -> _F:
    """``function`` runs within one ``operation_budget`` (the caller's, when it has one)."""

    @wraps(function)
    def budgeted(*args: Any, **kwargs: Any) -> Any:
        with operation_budget():
            return function(*args, **kwargs)

    return cast(_F, budgeted)


# SIZES ---------------------------------------------------------------------------------


def _weight(value: Any, limit: int) -> int:
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


def _too_long(what: str, limits: RenderLimits) -> RenderBudgetExceeded:
    return RenderBudgetExceeded(f"{what} over {limits.max_string_length} characters")


def _check_size(estimate: int, what: str = "a text or list") -> None:
    limits = _limits()
    if estimate > limits.max_string_length:
        raise _too_long(what, limits)


def _check_weight(value: Any, what: str = "a text or list") -> None:
    limits = _limits()
    if _weight(value, limits.max_string_length) > limits.max_string_length:
        raise _too_long(what, limits)


def _check_result(value: Any) -> Any:
    """A value just made: integers within their digits, texts and lists within their
    length (shallow: what made it was estimated before)."""
    limits = _limits()
    if isinstance(value, int) and value.bit_length() > limits.max_integer_bits:
        raise _integer_too_large(limits)
    if (
        isinstance(value, str | bytes | list | tuple | dict)
        and len(value) > limits.max_string_length
    ):
        raise _too_long("a text or list", limits)
    return value


def _integer_too_large(limits: RenderLimits) -> RenderBudgetExceeded:
    return RenderBudgetExceeded(f"integer too large (over {limits.max_integer_digits} digits)")


def _as_int(value: Any) -> int | None:
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


def _check_percent(template: str, args: Any) -> None:
    """``template % args`` estimated: widths and precisions (``*`` takes the largest
    integer among the arguments) plus the size of the arguments as text."""
    limits = _limits()
    star = max((abs(a) for a in _as_tuple(args) if isinstance(a, int)), default=0)
    estimate = len(template)
    for width, precision, _ in _PERCENT.findall(template):
        for number in (width, precision):
            estimate += star if number == "*" else _number_size(number) if number else 0
    estimate += _weight(args, limits.max_string_length)
    if estimate > limits.max_string_length:
        raise _too_long("a formatted text", limits)


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
            _check_weight(value, "a formatted text")
        return super().convert_field(value, conversion)  # type: ignore[misc]

    def format_field(self, value: Any, format_spec: str) -> Any:
        limits = _limits()
        self.produced += _spec_size(format_spec) + _weight(value, limits.max_string_length)
        if self.produced > limits.max_string_length:
            raise _too_long("a formatted text", limits)
        _tick()
        return super().format_field(value, format_spec)  # type: ignore[misc]


class _BudgetedFormatter(_FormatSizes, jinja2.sandbox.SandboxedFormatter):
    pass


class _BudgetedEscapeFormatter(_FormatSizes, jinja2.sandbox.SandboxedFormatter, EscapeFormatter):
    pass


# METHODS AND FILTERS THAT GROW THEIR INPUT ----------------------------------------------


def _padded(value: Any, width: Any, *_: Any) -> int:
    return max(len(value), _as_int(width) or 0)


def _expandtabs(value: Any, tabsize: Any = 8) -> int:
    return len(value) + value.count("\t") * max(_as_int(tabsize) or 0, 0)


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
    limit = _limits().max_string_length
    return _weight(items, limit) + len(separator) * max(len(items) - 1, 0)


def _to_bytes(value: Any, length: Any = 1, *_: Any, **__: Any) -> int:
    return _as_int(length) or 0


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


def _method_estimate(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """A method of a text or an integer that can grow it, estimated before the call."""
    owner = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", "")
    if isinstance(owner, str | bytes | bytearray) and name in _METHOD_SIZES:
        try:
            estimate = _METHOD_SIZES[name](owner, *args, **kwargs)
        except TypeError:
            return  # the call itself will say what is wrong with its arguments
        _check_size(estimate)
    elif isinstance(owner, int) and name == "to_bytes":
        _check_size(_to_bytes(owner, *args, **kwargs), "bytes")


def _filter_indent(s: Any, width: Any = 4, *_: Any, **__: Any) -> int:
    text = s if isinstance(s, str) else ""
    pad = len(width) if isinstance(width, str) else (_as_int(width) or 0)
    return len(text) + (text.count("\n") + 1) * max(pad, 0)


def _filter_wordwrap(
    s: Any, width: Any = 79, break_long_words: Any = True, wrapstring: Any = None, **__: Any
) -> int:
    text = s if isinstance(s, str) else ""
    wrap = len(wrapstring) if isinstance(wrapstring, str) else 1
    lines = min(len(text), len(text) // max(_as_int(width) or 1, 1) + text.count(" ") + 1)
    return len(text) + lines * wrap


def _filter_center(value: Any, width: Any = 80) -> int:
    return max(len(value) if isinstance(value, str) else 0, _as_int(width) or 0)


def _filter_batch(value: Any, linecount: Any, fill_with: Any = None) -> int:
    return (_as_int(linecount) or 0) if fill_with is not None else 0


def _filter_slice(value: Any, slices: Any, fill_with: Any = None) -> int:
    return _as_int(slices) or 0


def _filter_replace(s: Any, old: Any, new: Any, count: Any = None) -> int:
    return _replaced(s if isinstance(s, str) else "", old, new, -1 if count is None else count)


def _filter_join(value: Any, d: Any = "", attribute: Any = None) -> int:
    return _joined(d if isinstance(d, str) else "", value)


def _filter_format(value: Any, *args: Any, **kwargs: Any) -> int:
    if isinstance(value, str):
        _check_percent(value, kwargs or args)
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
    _check_weight([start, items], "a sum of lists")
    joined = list(chain(start, *items))
    return tuple(joined) if isinstance(start, tuple) else joined


def _budgeted_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    estimate = _FILTER_SIZES.get(name)
    # pass_context / pass_eval_context / pass_environment: the filter's value comes second.
    passes_first = getattr(function, "jinja_pass_arg", None) is not None

    @wraps(function)
    def budgeted(*args: Any, **kwargs: Any) -> Any:
        _tick()
        values = args[1:] if passes_first else args
        if estimate is not None:
            try:
                size = estimate(*values, **kwargs)
            except TypeError:
                size = 0  # the filter itself will say what is wrong with its arguments
            _check_size(size)
        elif name == "sum" and passes_first:
            start = kwargs.get("start", values[2] if len(values) > 2 else 0)
            if isinstance(start, list | tuple):
                return _check_result(_sequence_sum(args[0], *values, **kwargs))
        elif name in _FILTERS_OF_WHOLE_VALUES and values:
            _check_weight(values[0])
        result = function(*args, **kwargs)
        if name in _FILTERS_YIELDING:
            return _bounded_items(result)
        return _check_result(result)

    return budgeted


def _bounded_items(items: Iterable[Any]) -> Iterator[Any]:
    limit = _limits().max_string_length
    total = 0
    for item in items:
        total += _weight(item, limit)
        if total > limit:
            raise _too_long("a sequence", _limits())
        _tick()
        yield item


def _budgeted_lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    # Words of about eight characters, ``max`` words to a paragraph.
    _check_size(int(n) * int(max) * 8, "lorem ipsum")
    return generate_lorem_ipsum(n=n, html=html, min=min, max=max)


def _budgeted_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise RenderBudgetExceeded(f"range() of {len(numbers)} items; at most {MAX_RANGE}")
    return numbers


# LOOPS, BUFFERS, CONCATENATION ----------------------------------------------------------


class _CountedIterable:
    """What a ``{% for %}`` loop iterates: each item counts against the budget."""

    def __init__(self, items: Iterable[Any]) -> None:
        self._items = items

    def __len__(self) -> int:
        return len(self._items)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Any]:
        budget = _budget.get()
        for item in self._items:
            if budget is not None:
                budget.count_iteration()
            yield item


class _OutputBuffer(list[str]):
    """The output of a macro, ``{% set %}`` block, ``{% filter %}`` block or recursive
    loop, kept within the output limit as it grows."""

    def __init__(self) -> None:
        super().__init__()
        self.size = 0
        self.limit = _limits().max_output_chars

    def _add(self, count: int) -> None:
        self.size += count
        if self.size > self.limit:
            raise _output_too_long(_limits())

    def append(self, item: str) -> None:
        self._add(len(item))
        super().append(item)

    def extend(self, items: Iterable[str]) -> None:
        items = list(items)
        self._add(sum(len(item) for item in items))
        super().extend(items)


def _output_too_long(limits: RenderLimits) -> RenderBudgetExceeded:
    return RenderBudgetExceeded(f"output over {limits.max_output_chars} characters")


class _BudgetedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with buffers that count and ``~`` that measures first."""

    def buffer(self, frame: Frame) -> None:
        frame.buffer = self.temporary_identifier()
        self.writeline(f"{frame.buffer} = environment.budget_buffer()")

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            func_name = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            func_name = "markup_join"
        else:
            func_name = "str_join"
        self.write(f"{func_name}(environment.budget_parts((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write(")))")


def _budgeted_concat(parts: Iterable[str]) -> str:
    """Jinja's ``concat`` (block references, macro and block output, layouts), kept
    within the output limit as it reads its parts."""
    if isinstance(parts, _OutputBuffer):
        return "".join(parts)  # counted as it grew
    limit = _limits().max_output_chars
    collected = []
    size = 0
    for part in parts:
        size += len(part)
        if size > limit:
            raise _output_too_long(_limits())
        collected.append(part)
    return "".join(collected)


def _budget_parts(parts: tuple[Any, ...]) -> tuple[Any, ...]:
    _tick()
    _check_weight(parts, "a joined text (~)")
    return parts


def _finalize(value: Any) -> Any:
    """Every ``{{ value }}``: a list or dict is measured before it is turned into text."""
    if not isinstance(value, str | int | float):
        _check_weight(value, "a value written out")
    return value


# THE ENVIRONMENT ------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _plain_fields(model: type[models.Model]) -> frozenset[str]:
    """What a template may read on an instance of ``model``: its plain fields and pk."""
    fields = model._meta.concrete_fields
    return frozenset({f.attname for f in fields if not f.is_relation} | {"pk"})


class BudgetedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with database objects read-only to their plain fields and
    every operation that can blow up time or memory kept within the render's budget."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _BudgetedCodeGenerator
    concat = staticmethod(_budgeted_concat)

    def __init__(self, **options: Any) -> None:
        options.setdefault("finalize", _finalize)
        super().__init__(**options)
        self.globals["range"] = _budgeted_range
        self.globals["lipsum"] = _budgeted_lipsum
        self.budget_buffer = _OutputBuffer
        self.budget_parts = _budget_parts
        self.budget_loop = _CountedIterable
        self.filters.update({name: _budgeted_filter(name, f) for name, f in self.filters.items()})

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        # Every loop's iterable is counted: {% for x in y %} iterates budget_loop(y).
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Call(
                nodes.EnvironmentAttribute("budget_loop"), [loop.iter], [], None, None
            )
        return tree

    def add_filters(self, filters: Mapping[str, Callable[..., Any]]) -> None:
        """Filters added after start, kept within the budget like the built-in ones."""
        self.filters.update({name: _budgeted_filter(name, f) for name, f in filters.items()})

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(value, models.Manager | models.QuerySet):
            return False
        if isinstance(obj, models.Model) and attr not in _plain_fields(type(obj)):
            return False
        return super().is_safe_attribute(obj, attr, value)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        f_self: str = value.__self__
        formatter: jinja2.sandbox.SandboxedFormatter = (
            _BudgetedEscapeFormatter(self, escape=f_self.escape)
            if isinstance(f_self, Markup)
            else _BudgetedFormatter(self)
        )
        is_format_map = value.__name__ == "format_map"
        str_type = type(f_self)

        @wraps(value)
        def budgeted(*args: Any, **kwargs: Any) -> str:
            if is_format_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                kwargs, args = args[0], ()
            return str_type(formatter.vformat(f_self, args, kwargs))

        return budgeted

    def call_binop(self, context: jinja2.runtime.Context, op: str, left: Any, right: Any) -> Any:
        _tick()
        limits = _limits()
        if op == "*":
            _check_product(left, right, limits)
            return _check_result(operator.mul(left, right))
        if op == "**":
            _check_power(left, right, limits)
            return _check_result(operator.pow(left, right))
        if op == "+":
            if isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
                _check_weight((left, right))
            return _check_result(operator.add(left, right))
        if op == "%":
            if isinstance(left, str):
                _check_percent(left, right)
            return _check_result(operator.mod(left, right))
        return super().call_binop(context, op, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if (budget := _budget.get()) is not None:
            budget.tick()
        if isinstance(__obj, Macro | BlockReference):
            # Their output is counted as it is written.
            if budget is not None:
                budget.count_iteration()
            return super().call(__context, __obj, *args, **kwargs)
        if isinstance(__obj, LoopContext) and args:
            # A recursive loop's next level: counted like any loop.
            args = (_CountedIterable(args[0]), *args[1:])
        _method_estimate(__obj, args, kwargs)
        return _check_result(super().call(__context, __obj, *args, **kwargs))


def _check_product(left: Any, right: Any, limits: RenderLimits) -> None:
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > limits.max_integer_bits + 1:
            raise _integer_too_large(limits)
        return
    for sized, times in ((left, right), (right, left)):
        if not isinstance(sized, str | bytes | list | tuple) or not isinstance(times, int):
            continue
        if (
            times > 0
            and _weight(sized, limits.max_string_length) * times > limits.max_string_length
        ):
            raise _too_long("a repetition", limits)


def _check_power(left: Any, right: Any, limits: RenderLimits) -> None:
    # At least (bits - 1) * right bits: refused before anything is computed.
    if (
        isinstance(left, int)
        and isinstance(right, int)
        and right > 0
        and (left.bit_length() - 1) * right > limits.max_integer_bits
    ):
        raise _integer_too_large(limits)


def render_within_budget(template: jinja2.Template, context: Mapping[str, Any]) -> str:
    """Render ``template`` with ``context`` within the budget of the current render
    (``render_budget``; a budget of its own when there is none).

    Raises RenderBudgetExceeded (a jinja2 SecurityError) naming the limit the template
    went over, also when it recursed too deep.
    """
    with render_budget() as limits:
        parts: list[str] = []
        output = 0
        if (budget := _budget.get()) is not None:
            budget.check_time()  # nothing left of the operation's time: refused at once
        try:
            for chunk in template.generate(context):
                output += len(chunk)
                if output > limits.max_output_chars:
                    raise _output_too_long(limits)
                _tick()
                parts.append(chunk)
        except RecursionError as exc:
            raise RenderBudgetExceeded("the template calls itself too deeply") from exc
        return "".join(parts)


__all__ = [
    "BudgetedSandbox",
    "RenderBudgetExceeded",
    "RenderLimits",
    "operation_budget",
    "render_budget",
    "render_limits",
    "render_within_budget",
    "with_operation_budget",
]
