"""``BudgetedSandbox``: Jinja2's immutable sandbox with database objects read-only to
their plain fields, and loops, buffers, concatenation, operators, calls and formats kept
within the render's budget."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache, wraps
from typing import Any

import jinja2
from django.db import models
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import BlockReference, LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from rendering.sandbox.budget import CURRENT_BUDGET, current_limits, output_too_long, tick
from rendering.sandbox.estimates import (
    budgeted_filter,
    budgeted_lipsum,
    budgeted_range,
    method_estimate,
)
from rendering.sandbox.sizes import (
    BudgetedEscapeFormatter,
    BudgetedFormatter,
    check_percent,
    check_power,
    check_product,
    check_result,
    check_weight,
)

# LOOPS, BUFFERS, CONCATENATION ----------------------------------------------------------


class _CountedIterable:
    """What a ``{% for %}`` loop iterates: each item counts against the budget."""

    def __init__(self, items: Iterable[Any]) -> None:
        self._items = items

    def __len__(self) -> int:
        return len(self._items)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Any]:
        budget = CURRENT_BUDGET.get()
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
        self.limit = current_limits().max_output_chars

    def _add(self, count: int) -> None:
        self.size += count
        if self.size > self.limit:
            raise output_too_long(current_limits())

    def append(self, item: str) -> None:
        self._add(len(item))
        super().append(item)

    def extend(self, items: Iterable[str]) -> None:
        items = list(items)
        self._add(sum(len(item) for item in items))
        super().extend(items)


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
    limit = current_limits().max_output_chars
    collected = []
    size = 0
    for part in parts:
        size += len(part)
        if size > limit:
            raise output_too_long(current_limits())
        collected.append(part)
    return "".join(collected)


def _budget_parts(parts: tuple[Any, ...]) -> tuple[Any, ...]:
    tick()
    check_weight(parts, "a joined text (~)")
    return parts


def _finalize(value: Any) -> Any:
    """Every ``{{ value }}``: a list or dict is measured before it is turned into text."""
    if not isinstance(value, str | int | float):
        check_weight(value, "a value written out")
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
        self.globals["range"] = budgeted_range
        self.globals["lipsum"] = budgeted_lipsum
        self.budget_buffer = _OutputBuffer
        self.budget_parts = _budget_parts
        self.budget_loop = _CountedIterable
        self.filters.update({name: budgeted_filter(name, f) for name, f in self.filters.items()})

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
        self.filters.update({name: budgeted_filter(name, f) for name, f in filters.items()})

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
            BudgetedEscapeFormatter(self, escape=f_self.escape)
            if isinstance(f_self, Markup)
            else BudgetedFormatter(self)
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
        tick()
        limits = current_limits()
        if op == "*":
            check_product(left, right, limits)
            return check_result(operator.mul(left, right))
        if op == "**":
            check_power(left, right, limits)
            return check_result(operator.pow(left, right))
        if op == "+":
            if isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
                check_weight((left, right))
            return check_result(operator.add(left, right))
        if op == "%":
            if isinstance(left, str):
                check_percent(left, right)
            return check_result(operator.mod(left, right))
        return super().call_binop(context, op, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if (budget := CURRENT_BUDGET.get()) is not None:
            budget.tick()
        if isinstance(__obj, Macro | BlockReference):
            # Their output is counted as it is written.
            if budget is not None:
                budget.count_iteration()
            return super().call(__context, __obj, *args, **kwargs)
        if isinstance(__obj, LoopContext) and args:
            # A recursive loop's next level: counted like any loop.
            args = (_CountedIterable(args[0]), *args[1:])
        method_estimate(__obj, args, kwargs)
        return check_result(super().call(__context, __obj, *args, **kwargs))
