"""Errors in content being typed, with field and line, for the editor to show inline.

Two sources: the render error of the preview (``rendering.render`` stops at the first
one) and a reading of each field's template that finds every syntax error, variable the
data schema does not define (nested paths too) and block that does not exist. Reads only.
"""

from collections.abc import Iterator, Mapping, Set
from dataclasses import asdict, dataclass
from typing import Any

import jinja2
from django.utils.translation import gettext as _
from jinja2 import meta, nodes

from rendering.environment import HTML_ENV, TEMPLATE_FUNCTIONS, TEXT_ENV
from rendering.exceptions import BlockLookupError, RenderError
from templates_store.lint import BUILTIN_NAMES

SYNTAX = "syntax"
UNDEFINED = "undefined"
UNKNOWN_BLOCK = "unknown_block"
RENDER = "render"

# The template fields of a channel and the environment each is parsed with.
FIELD_ENVIRONMENTS: dict[str, jinja2.Environment] = {
    "subject": TEXT_ENV,
    "body_html": HTML_ENV,
    "body_text": TEXT_ENV,
}


@dataclass(frozen=True)
class Diagnostic:
    """One problem: ``field`` is empty and ``line`` None when it belongs to no field."""

    channel: str
    field: str
    line: int | None
    kind: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _render_kind(exc: RenderError) -> str:
    cause = exc.__cause__
    if isinstance(cause, jinja2.TemplateSyntaxError):
        return SYNTAX
    if isinstance(cause, jinja2.UndefinedError):
        return UNDEFINED
    if isinstance(cause, BlockLookupError):
        return UNKNOWN_BLOCK
    return RENDER


def _not_in_schema(path: str) -> str:
    return _("%(name)r is not a field of the data schema") % {"name": path}


def _first_line(ast: nodes.Template, name: str) -> int | None:
    lines = [n.lineno for n in ast.find_all(nodes.Name) if n.name == name and n.ctx == "load"]
    return min(lines) if lines else None


def _attribute_paths(ast: nodes.Template) -> Iterator[tuple[list[str], int]]:
    """``a.b.c`` chains read from a name (not method calls), with their line."""
    called = {id(call.node) for call in ast.find_all(nodes.Call)}
    inner = {id(g.node) for g in ast.find_all(nodes.Getattr)}
    for getattr_node in ast.find_all(nodes.Getattr):
        if id(getattr_node) in inner:
            continue  # only the outermost of a chain
        path: list[str] = []
        node: nodes.Node = getattr_node
        method = id(getattr_node) in called
        while isinstance(node, nodes.Getattr):
            path.insert(0, node.attr)
            node = node.node
        if not isinstance(node, nodes.Name) or node.ctx != "load":
            continue
        if method:
            path = path[:-1]  # customer.items() reads customer only
        if path:
            yield [node.name, *path], getattr_node.lineno


def _unknown_attribute(path: list[str], schema: Mapping[str, Any]) -> str | None:
    """The first prefix of ``path`` the schema says cannot exist, as ``a.b``; None if all
    may (an object without declared properties accepts any)."""
    node: Any = schema
    for depth, part in enumerate(path):
        properties = node.get("properties") if isinstance(node, Mapping) else None
        if not isinstance(properties, Mapping):
            return None
        if part not in properties:
            return ".".join(path[: depth + 1])
        node = properties[part]
    return None


def _block_calls(ast: nodes.Template) -> Iterator[tuple[str, int]]:
    for call in ast.find_all(nodes.Call):
        if (
            isinstance(call.node, nodes.Name)
            and call.node.name == "block"
            and call.args
            and isinstance(call.args[0], nodes.Const)
            and isinstance(call.args[0].value, str)
        ):
            yield call.args[0].value, call.lineno


def field_diagnostics(
    *,
    channel: str,
    field: str,
    source: str,
    schema: Mapping[str, Any],
    blocks: Set[str] | None = None,
) -> list[Diagnostic]:
    """Every problem found by reading one field's template (without rendering it).
    ``blocks`` are the keys a template may insert (None: not checked)."""
    if not source.strip():
        return []
    env = FIELD_ENVIRONMENTS[field]
    try:
        ast = env.parse(source)
    except jinja2.TemplateSyntaxError as exc:
        return [Diagnostic(channel, field, exc.lineno, SYNTAX, exc.message or "syntax error")]
    found: list[Diagnostic] = []
    properties = schema.get("properties") if isinstance(schema, Mapping) else None
    if isinstance(properties, Mapping):
        allowed = set(properties) | BUILTIN_NAMES | set(TEMPLATE_FUNCTIONS)
        undeclared = meta.find_undeclared_variables(ast)
        for name in sorted(undeclared - allowed):
            found.append(
                Diagnostic(channel, field, _first_line(ast, name), UNDEFINED, _not_in_schema(name))
            )
        assigned = {n.name for n in ast.find_all(nodes.Name) if n.ctx != "load"}
        reported: set[str] = set()
        for path, line in _attribute_paths(ast):
            if path[0] not in properties or path[0] in assigned:
                continue
            unknown = _unknown_attribute(path, schema)
            if unknown and unknown not in reported:
                reported.add(unknown)
                found.append(Diagnostic(channel, field, line, UNDEFINED, _not_in_schema(unknown)))
    if blocks is not None:
        for key, line in _block_calls(ast):
            if key not in blocks:
                message = _("unknown block %(key)r") % {"key": key}
                found.append(Diagnostic(channel, field, line, UNKNOWN_BLOCK, message))
    return sorted(found, key=lambda d: (d.line or 0, d.message))


def content_diagnostics(
    *,
    channel: str,
    fields: Mapping[str, str],
    schema: Mapping[str, Any],
    blocks: Set[str] | None = None,
    render_error: RenderError | None = None,
) -> list[Diagnostic]:
    """The problems of one channel's content: ``fields`` maps field names (subject,
    body_html, body_text) to their source; ``blocks`` are the block keys it may insert
    (None: not checked); ``render_error`` is the preview's, if any."""
    found: list[Diagnostic] = []
    for field, source in fields.items():
        if field in FIELD_ENVIRONMENTS:
            found += field_diagnostics(
                channel=channel, field=field, source=source, schema=schema, blocks=blocks
            )
    if render_error is not None:
        rendered = Diagnostic(
            channel,
            render_error.field,
            render_error.line,
            _render_kind(render_error),
            render_error.message,
        )
        # A syntax error is found by both; keep one.
        where = (rendered.field, rendered.line)
        if not any(d.kind == SYNTAX == rendered.kind and (d.field, d.line) == where for d in found):
            found.append(rendered)
    return found
