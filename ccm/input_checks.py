"""Text with NUL characters (U+0000) is refused where it comes in.

PostgreSQL stores no NUL in text or jsonb: let through, such a value fails the request
with a database error (500) instead of a clear 400 naming the problem.
"""

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _


def contains_nul(value: Any) -> bool:
    """True when a string anywhere in ``value`` (keys included) holds U+0000."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(item) for item in value)
    return False


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
