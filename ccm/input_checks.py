"""Checks on what comes in from outside, before it reaches code that would fail on it
with a 500 or spend minutes on it.

- Text with NUL characters (U+0000): PostgreSQL stores no NUL in text or jsonb; let
  through, such a value fails the request with a database error instead of a clear 400.
- JSON nested deeper than ``CCM_MAX_JSON_DEPTH``: Python's decoder and every recursive
  walk over the value (validation, NUL check, serialisation) would end in a
  RecursionError. The depth is measured on the text, without recursion, before parsing.
- YAML: the safe loader only, no aliases (``*name``: a few hundred bytes of aliases
  expand to billions of nodes), a size and a nesting limit.
"""

import itertools
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_to_bytes

import yaml
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _


def contains_nul(value: Any) -> bool:
    """True when a string anywhere in ``value`` (keys included) holds U+0000.

    Walks the value with a stack, not recursion, so any depth is safe."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


# JSON ---------------------------------------------------------------------------------

# A JSON string (escapes included); its content cannot open or close anything.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = bytes(byte for byte in range(256) if byte not in b"[]{}")
# +1 for an opening bracket, -1 for a closing one, indexed by byte value.
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


def json_max_depth() -> int:
    return int(settings.CCM_MAX_JSON_DEPTH)


def json_depth(text: str | bytes) -> int:
    """How deeply arrays and objects nest in JSON text (0 for a scalar), measured without
    recursion and without parsing: strings are skipped, brackets counted. Text that is
    not valid JSON gives a number too; the parser reports what is wrong with it."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    brackets = _JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKET)
    if not brackets:
        return 0
    return max(0, max(itertools.accumulate(map(_STEP.__getitem__, brackets))))


def value_depth(value: Any) -> int:
    """How deeply lists and dicts nest in a parsed value (0 for a scalar), with a stack."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def json_too_deep_message(limit: int | None = None) -> str:
    return _("JSON nested deeper than %(limit)s levels is not accepted.") % {
        "limit": json_max_depth() if limit is None else limit
    }


# YAML ---------------------------------------------------------------------------------

# A YAML document (communication.yaml, blocks/<key>.yaml) holds a few fields.
YAML_MAX_BYTES = 256 * 1024
YAML_MAX_DEPTH = 20


class _LimitedSafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader (plain data only, no Python objects) that refuses aliases
    and nesting deeper than ``YAML_MAX_DEPTH``. The pure-Python composer is used because
    its ``compose_node`` can be overridden; these documents are small."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                _("YAML aliases (*%(alias)s) are not accepted; write the value out")
                % {"alias": event.anchor},
                event.start_mark,
            )
        self._depth += 1
        try:
            if self._depth > YAML_MAX_DEPTH:
                event = self.peek_event()
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    _("YAML nested deeper than %(limit)s levels is not accepted")
                    % {"limit": YAML_MAX_DEPTH},
                    event.start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def yaml_load_limited(content: bytes) -> Any:
    """The value of a YAML document of at most ``YAML_MAX_BYTES``, read with the safe
    loader, refusing aliases and deep nesting. Raises ``yaml.YAMLError`` (with a
    ``problem`` and, when known, a ``problem_mark``) or ``UnicodeDecodeError``."""
    if len(content) > YAML_MAX_BYTES:
        raise yaml.YAMLError(
            _("the document is %(size)s bytes; at most %(limit)s are accepted")
            % {"size": len(content), "limit": YAML_MAX_BYTES}
        )
    loader = _LimitedSafeLoader(content.decode("utf-8"))
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def nul_refused_message() -> str:
    return _("NUL characters (U+0000) are not accepted in text.")


class RefuseNulMiddleware:
    """400 for a request whose path or query string holds a NUL character."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or b"\x00" in unquote_to_bytes(raw):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": nul_refused_message()}, status=400)
            return HttpResponseBadRequest(nul_refused_message())
        return self.get_response(request)
