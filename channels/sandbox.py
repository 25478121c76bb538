"""The template sandbox: Jinja2's immutable sandbox plus a budget per render.

Jinja2's ``ImmutableSandboxedEnvironment`` already refuses private attributes
(``__class__``, ``__globals__``, ...), methods that mutate lists, dicts and sets, and
the ``str.format`` / ``format_map`` escapes. On top of it:

- **Database objects stay out of reach.** On a model instance (the brand) a template may
  read its own plain fields only: no relation, manager, query set or method, so
  ``brand.communications.all()`` or ``....author.password`` fail, and nothing is saved.
- **A budget per render** (``render_within_budget``): a wall-clock deadline, a total of
  loop iterations over ``range()``, and a size of output, checked as the template runs;
  ``*`` and ``**`` refuse results that would exceed the output size. A runaway or
  hostile template (deep loops, huge ranges, ``"x" * 10**9``, ``9 ** (9 ** 9)``) stops with
  ``RenderBudgetExceeded`` (a ``SecurityError``), which the renderer reports as a
  ``RenderError``. The Celery soft time limit remains the last line behind it.
"""

from __future__ import annotations

import contextvars
import math
import operator
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jinja2
from django.db import models
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

# What one template field may cost. A two-page letter with a long table renders in
# milliseconds and a few hundred kilobytes; these are far above that.
TIME_LIMIT_SECONDS = 5.0
MAX_LOOP_ITERATIONS = 100_000
MAX_OUTPUT_CHARS = 2_000_000
MAX_RANGE = 10_000
_CHECK_EVERY = 256


class RenderBudgetExceeded(SecurityError):
    """The template used more time, loop iterations or output than one render may."""


@dataclass
class _Budget:
    deadline: float
    iterations: int = 0
    output: int = 0

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise RenderBudgetExceeded(
                f"the template ran longer than {TIME_LIMIT_SECONDS:g} seconds"
            )

    def count_iterations(self, n: int) -> None:
        self.iterations += n
        if self.iterations > MAX_LOOP_ITERATIONS:
            raise RenderBudgetExceeded(
                f"the template's loops ran more than {MAX_LOOP_ITERATIONS} times"
            )
        self.check_time()


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "ccm_render_budget", default=None
)


def _current() -> _Budget | None:
    return _budget.get()


def _budgeted_range(*args: int) -> _CheckedIterator:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise RenderBudgetExceeded(f"range() of {len(numbers)} items; at most {MAX_RANGE}")
    budget = _current()
    if budget is not None:
        budget.count_iterations(len(numbers))
    return _CheckedIterator(numbers)


class _CheckedIterator:
    """Iterates, checking the deadline every few items (a loop body may be slow)."""

    def __init__(self, items: range) -> None:
        self._items = items
        self._length = len(items)

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[int]:
        for position, item in enumerate(self._items):
            if position % _CHECK_EVERY == 0 and (budget := _current()) is not None:
                budget.check_time()
            yield item


def _sized(value: Any) -> int | None:
    return len(value) if isinstance(value, str | bytes | list | tuple) else None


@lru_cache(maxsize=64)
def _plain_fields(model: type[models.Model]) -> frozenset[str]:
    """What a template may read on an instance of ``model``: its plain fields and pk."""
    fields = model._meta.concrete_fields
    return frozenset({f.attname for f in fields if not f.is_relation} | {"pk"})


class BudgetedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with database objects read-only to their plain fields and
    the operators and ``range`` that can blow up time or memory kept within a budget."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals["range"] = _budgeted_range

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(value, models.Manager | models.QuerySet):
            return False
        if isinstance(obj, models.Model) and attr not in _plain_fields(type(obj)):
            return False
        return super().is_safe_attribute(obj, attr, value)

    def call_binop(self, context: jinja2.runtime.Context, op: str, left: Any, right: Any) -> Any:
        if op == "*":
            for sized, times in ((left, right), (right, left)):
                length = _sized(sized)
                if (
                    length is not None
                    and isinstance(times, int)
                    and length * times > MAX_OUTPUT_CHARS
                ):
                    raise RenderBudgetExceeded(
                        f"a repetition of {length * times} items; at most {MAX_OUTPUT_CHARS}"
                    )
            return operator.mul(left, right)
        if op == "**":
            if isinstance(left, int | float) and isinstance(right, int | float):
                magnitude = abs(right) * math.log10(abs(left)) if abs(left) > 1 else 0
                if magnitude > 1000:
                    raise RenderBudgetExceeded("a power with more than 1000 digits")
            return operator.pow(left, right)
        return super().call_binop(context, op, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if (budget := _current()) is not None:
            budget.check_time()
        return super().call(__context, __obj, *args, **kwargs)


def render_within_budget(template: jinja2.Template, context: Mapping[str, Any]) -> str:
    """Render ``template`` with ``context`` within the budget of one render.

    Raises RenderBudgetExceeded (a jinja2 SecurityError) when the template runs out of
    time, loop iterations or output size, or recurses too deep.
    """
    budget = _Budget(deadline=time.monotonic() + TIME_LIMIT_SECONDS)
    token = _budget.set(budget)
    parts: list[str] = []
    try:
        for chunk in template.generate(context):
            budget.output += len(chunk)
            if budget.output > MAX_OUTPUT_CHARS:
                raise RenderBudgetExceeded(f"the output is over {MAX_OUTPUT_CHARS} characters")
            budget.check_time()
            parts.append(chunk)
    except RecursionError as exc:
        raise RenderBudgetExceeded("the template calls itself too deeply") from exc
    finally:
        _budget.reset(token)
    return "".join(parts)
