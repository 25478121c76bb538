"""What a web request may spend on rendering templates.

- **One render budget per request** (``rendering.sandbox.budget.operation_budget``): a preview,
  lint, submission or test send shares ``CCM_RENDER_MAX_CPU_SECONDS`` of CPU over every
  channel and language it renders, instead of that much per render.
- **Per person, a limit on the requests that render** (previews and lints, the pages in
  ``RENDERING_VIEWS``): at most ``CCM_RENDER_CONCURRENT_PER_USER`` at the same time and
  ``CCM_RENDER_RATE_LIMIT`` in a period (``ccm.throttling.rate_parse`` form). Over either,
  429 with ``Retry-After``. The studio's live preview sends one request per pause in
  typing (600 ms debounce, the previous one cancelled), far below both.

The counts are kept in the cache: configure ``CCM_CACHE_URL`` (Redis) so that every web
process shares them (the in-process default counts per process).
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from ccm.throttling import rate_parse
from rendering.sandbox.budget import operation_budget

# The URL names of the requests that render templates for a person to look at.
RENDERING_VIEWS = frozenset(
    {
        "templates_store:version_preview_live",
        "templates_store:version_preview_pdf",
        "templates_store:version_checks",
        "templates_store:block_version_preview",
        "api-version-preview",
        "api-version-preview-pdf",
        "api-version-lint",
    }
)
# A slot left by a process that died mid-request is freed after this.
_SLOT_SECONDS = 120


class RenderLimited(Exception):
    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def _who(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    authorization = request.headers.get("Authorization", "")
    if authorization:
        # An API token (authenticated later, by the API view): counted under its hash.
        return "token:" + hashlib.sha256(authorization.encode()).hexdigest()[:32]
    return ""


def _incr(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=timeout)
        return 1


def _decr(key: str) -> None:
    with contextlib.suppress(ValueError):
        cache.decr(key)


def _check_rate(who: str) -> None:
    count, period = rate_parse(settings.CCM_RENDER_RATE_LIMIT)
    now = int(time.time())
    window = now // period
    if _incr(f"render:rate:{who}:{window}", period) > count:
        raise RenderLimited(
            _("Too many previews and checks: at most %(count)s in %(period)s seconds.")
            % {"count": count, "period": period},
            retry_after=max(period - now % period, 1),
        )


def _take_slot(who: str) -> str:
    """One of the person's concurrent rendering requests (the key to give back);
    RenderLimited when all are taken."""
    limit = settings.CCM_RENDER_CONCURRENT_PER_USER
    key = f"render:running:{who}"
    if _incr(key, _SLOT_SECONDS) > limit:
        _decr(key)
        raise RenderLimited(
            _(
                "Too many previews and checks running at the same time (at most %(limit)s): "
                "wait for one to finish."
            )
            % {"limit": limit},
            retry_after=1,
        )
    return key


def _refused(request: HttpRequest, exc: RenderLimited) -> HttpResponse:
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": exc.message}, status=429)
    else:
        response = HttpResponse(exc.message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(exc.retry_after)
    return response


class RenderBudgetMiddleware:
    """Opens one render budget per request; limits each person's previews and lints."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with operation_budget():
            try:
                return self.get_response(request)
            finally:
                if (slot := getattr(request, "_ccm_render_slot", None)) is not None:
                    _decr(slot)

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or match.view_name not in RENDERING_VIEWS:
            return None
        who = _who(request)
        if not who:
            return None  # refused by the view itself
        try:
            _check_rate(who)
            request._ccm_render_slot = _take_slot(who)  # type: ignore[attr-defined]
        except RenderLimited as exc:
            return _refused(request, exc)
        return None
