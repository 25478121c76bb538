"""The Jinja environments every template renders in (HTML and text, both the budgeted
sandbox), the platform's layouts, the compiled-template cache, ``render_field`` (one
template field rendered, its errors as ``RenderError``), and the registry of functions
other apps give templates."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from django.conf import settings
from jinja2.sandbox import ImmutableSandboxedEnvironment

from rendering.exceptions import RenderBudgetError, RenderError
from rendering.filters import FILTERS
from rendering.sandbox.budget import RenderBudgetExceeded, render_within_budget
from rendering.sandbox.environment import BudgetedSandbox
from rendering.types import RenderScope

LAYOUTS_DIR = Path(__file__).parent / "jinja" / "layouts"


# Functions templates may call besides the data (survey links, for example), registered by
# other apps when they start: name -> factory that takes the render's scope and returns
# the function. What they return must depend on the scope only, so a re-render is identical.
TEMPLATE_FUNCTIONS: dict[str, Callable[[RenderScope], Any]] = {}


def _make_environment(*, autoescape: bool) -> ImmutableSandboxedEnvironment:
    # The immutable sandbox with a budget per render (rendering/sandbox/).
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
    env.add_filters(FILTERS)
    return env


# One environment per kind of output: HTML (email body, letter) escapes, text does not.
HTML_ENV = _make_environment(autoescape=True)
TEXT_ENV = _make_environment(autoescape=False)


@lru_cache(maxsize=4096)
def _compile(env_kind: str, source: str) -> jinja2.Template:
    env = HTML_ENV if env_kind == "html" else TEXT_ENV
    return env.from_string(source)


def render_field(env_kind: str, field_name: str, source: str, context: Mapping[str, Any]) -> str:
    """``source`` (the template field ``field_name``) rendered with ``context`` in the
    ``"html"`` or ``"text"`` environment, within the current render's budget. Raises
    RenderError naming the field and line (RenderBudgetError over the budget)."""
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


def layout(name: str) -> jinja2.Template:
    return HTML_ENV.get_template(name)
