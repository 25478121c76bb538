"""Which blocks a template inserts, and the lint of ``block(...)`` calls.

A block is inserted with ``{{ block("key") }}``: the key must be a quoted name, so that the
blocks a version uses are known before it renders (they are pinned at submission).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import jinja2
from django.utils.translation import gettext as _
from jinja2 import nodes

from rendering.environment import HTML_ENV, TEXT_ENV
from templates_store.models import TemplateVariant, TemplateVersion

TEMPLATE_FIELDS = (("subject", TEXT_ENV), ("body_html", HTML_ENV), ("body_text", TEXT_ENV))


@dataclass(frozen=True)
class BlockCall:
    field: str
    line: int
    key: str | None  # None: the key is not a quoted name


def _calls(source: str, env: jinja2.Environment) -> Iterator[tuple[int, str | None]]:
    try:
        tree = env.parse(source)
    except jinja2.TemplateSyntaxError:
        return  # reported by the render check with its line
    for call in tree.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name == "block":
            first = call.args[0] if call.args else None
            key = first.value if isinstance(first, nodes.Const) else None
            yield call.lineno, key if isinstance(key, str) else None


def variant_block_calls(variant: TemplateVariant) -> list[BlockCall]:
    calls = []
    for field_name, env in TEMPLATE_FIELDS:
        source = getattr(variant, field_name)
        if source and "block" in source:
            calls += [BlockCall(field_name, line, key) for line, key in _calls(source, env)]
    return calls


def block_keys_used(*, version: TemplateVersion) -> set[str]:
    """The keys of every block the version's content inserts."""
    return {
        call.key
        for variant in version.variants.all()
        for call in variant_block_calls(variant)
        if call.key is not None
    }


@dataclass(frozen=True)
class BlockIssue:
    field: str
    line: int
    message: str


def variant_block_issues(variant: TemplateVariant, *, available: set[str]) -> list[BlockIssue]:
    """Errors for ``block(...)`` calls whose key is not a quoted name or not among the
    ``available`` (published, or pinned) block keys."""
    issues = []
    for call in variant_block_calls(variant):
        if call.key is None:
            issues.append(
                BlockIssue(
                    call.field,
                    call.line,
                    _('block() takes the block\'s key as a quoted name, e.g. block("legal")'),
                )
            )
        elif call.key not in available:
            issues.append(
                BlockIssue(
                    call.field,
                    call.line,
                    _("unknown block %(key)r: the brand has no published block with this key")
                    % {"key": call.key},
                )
            )
    return issues
