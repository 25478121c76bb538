"""The budget of a render and of an operation: the limits, the CPU deadline, and the
hooks that count loop iterations and check the time (see ``rendering.sandbox``)."""

from __future__ import annotations

import contextlib
import contextvars
import math
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

import jinja2
from django.conf import settings
from jinja2.exceptions import SecurityError

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


CURRENT_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "ccm_render_budget", default=None
)
_operation: contextvars.ContextVar[_Operation | None] = contextvars.ContextVar(
    "ccm_render_operation", default=None
)


def current_limits() -> RenderLimits:
    budget = CURRENT_BUDGET.get()
    return budget.limits if budget is not None else render_limits()


def tick() -> None:
    # Called by every hook: Budget.tick inlined.
    if (budget := CURRENT_BUDGET.get()) is not None:
        budget.hooks += 1
        if budget.hooks % _CHECK_TIME_EVERY == 0:
            budget.check_time()


@contextlib.contextmanager
def render_budget() -> Iterator[RenderLimits]:
    """One budget for everything rendered inside (the fields and blocks of one render).
    Nested uses share the outer budget."""
    if (budget := CURRENT_BUDGET.get()) is not None:
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
    token = CURRENT_BUDGET.set(_Budget(limits, start + seconds, operation=shared))
    try:
        yield limits
    finally:
        CURRENT_BUDGET.reset(token)
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


def output_too_long(limits: RenderLimits) -> RenderBudgetExceeded:
    return RenderBudgetExceeded(f"output over {limits.max_output_chars} characters")


def render_within_budget(template: jinja2.Template, context: Mapping[str, Any]) -> str:
    """Render ``template`` with ``context`` within the budget of the current render
    (``render_budget``; a budget of its own when there is none).

    Raises RenderBudgetExceeded (a jinja2 SecurityError) naming the limit the template
    went over, also when it recursed too deep.
    """
    with render_budget() as limits:
        parts: list[str] = []
        output = 0
        if (budget := CURRENT_BUDGET.get()) is not None:
            budget.check_time()  # nothing left of the operation's time: refused at once
        try:
            for chunk in template.generate(context):
                output += len(chunk)
                if output > limits.max_output_chars:
                    raise output_too_long(limits)
                tick()
                parts.append(chunk)
        except RecursionError as exc:
            raise RenderBudgetExceeded("the template calls itself too deeply") from exc
        return "".join(parts)
