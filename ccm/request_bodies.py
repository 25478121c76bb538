"""Large request bodies (a CSV or JSON Lines batch of a million rows) are copied to a
temporary file in chunks, hashed on the way, and never held in memory. JSON bodies are
read within ``CCM_API_MAX_JSON_BYTES``; a body without a length is refused.

``RequestBodyMiddleware`` answers, before any view runs, 411 to a request that sends its
body with ``Transfer-Encoding`` (chunked) instead of a ``Content-Length`` (Django's WSGI
request would read such a body as empty). On API paths it makes ``request.body`` of a
body that is neither a form nor a streamed batch read within ``CCM_API_MAX_JSON_BYTES``
instead of Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (DRF hands JSON parsers
``request.body``, so the form limit would otherwise cut JSON at 2.5 MB when no
``Idempotency-Key`` is sent), and turns Django's ``RequestDataTooBig`` (a form over
``DATA_UPLOAD_MAX_MEMORY_SIZE``) into a 413 with a JSON ``detail`` instead of the HTML
400 page.
"""

import hashlib
import io
import tempfile
from collections.abc import Callable
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from ccm.parsers import RequestTooLarge, body_limit_exceeded, json_body_too_large, read_json_limited

_CHUNK = 1024 * 1024
# In memory up to this size, then on disk.
_SPOOL_MAX = 8 * 1024 * 1024
STREAMED_TYPES = {
    "text/csv",
    "application/x-ndjson",
    "application/jsonl",
    "application/x-jsonlines",
}


class SpooledBody:
    def __init__(self, file: IO[bytes], sha256: str, size: int) -> None:
        self.file = file
        self.sha256 = sha256
        self.size = size


def is_streamed(request: Any) -> bool:
    content_type = (request.content_type or "").split(";")[0].strip().lower()
    return content_type in STREAMED_TYPES


def body_spool(request: Any) -> SpooledBody:
    """The request's body as a rewound temporary file (read once per request).

    Raises ``ccm.parsers.RequestTooLarge`` (413) past ``CCM_API_MAX_STREAMED_BYTES``.
    """
    django_request = getattr(request, "_request", request)
    cached = getattr(django_request, "_ccm_spooled_body", None)
    if cached is not None:
        cached.file.seek(0)
        return cached
    limit = settings.CCM_API_MAX_STREAMED_BYTES
    hint = _("Split the recipients into several batches.")
    try:
        declared = int(django_request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise body_limit_exceeded(limit=limit, hint=hint)
    file = tempfile.SpooledTemporaryFile(max_size=_SPOOL_MAX)  # noqa: SIM115 - lives with the request
    digest = hashlib.sha256()
    size = 0
    while chunk := django_request.read(_CHUNK):
        digest.update(chunk)
        file.write(chunk)
        size += len(chunk)
        if size > limit:
            file.close()
            raise body_limit_exceeded(limit=limit, hint=hint)
    file.seek(0)
    spooled = SpooledBody(file, digest.hexdigest(), size)
    django_request._ccm_spooled_body = spooled
    return spooled


def body_bytes(request: Any) -> bytes:
    """The whole (JSON) body, read within ``CCM_API_MAX_JSON_BYTES`` and kept for the
    parser. ``request.body`` would apply ``DATA_UPLOAD_MAX_MEMORY_SIZE``, the form limit,
    and answer an HTML 400 to a JSON body the API accepts. Raises ``RequestTooLarge``."""
    django_request = getattr(request, "_request", request)
    if hasattr(django_request, "_body"):
        return bytes(django_request._body)
    try:
        declared = int(django_request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > settings.CCM_API_MAX_JSON_BYTES:
        raise json_body_too_large()
    data = read_json_limited(django_request)
    django_request._body = data
    django_request._stream = io.BytesIO(data)
    return data


_FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


class _JsonLimitedBody:
    """Mixed into an API request's class: ``body`` is read by ``body_bytes``."""

    @property
    def body(self) -> bytes:
        return body_bytes(self)


_json_limited_classes: dict[type, type] = {}


def _read_body_within_json_limit(request: HttpRequest) -> None:
    cls = type(request)
    limited = _json_limited_classes.get(cls)
    if limited is None:
        limited = type(cls.__name__, (_JsonLimitedBody, cls), {})
        _json_limited_classes[cls] = limited
    request.__class__ = limited


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class RequestBodyMiddleware:
    """411 for a body sent without a length; 413 JSON for a form too large on the API."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        coding = request.META.get("HTTP_TRANSFER_ENCODING", "").strip().lower()
        if coding and coding != "identity":
            message = _(
                "Request bodies sent with Transfer-Encoding: %(coding)s are not accepted; "
                "send the body with a Content-Length."
            ) % {"coding": coding}
            if _is_api(request):
                return JsonResponse({"detail": message}, status=411)
            return HttpResponse(message, status=411, content_type="text/plain; charset=utf-8")
        if _is_api(request):
            content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
            if content_type not in _FORM_TYPES and content_type not in STREAMED_TYPES:
                _read_body_within_json_limit(request)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not _is_api(request):
            return None
        if isinstance(exception, RequestDataTooBig):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            hint = _(
                "Form and multipart bodies have this limit; send the rows in the request body "
                "instead, as JSON (up to %(json)s bytes) or as CSV or JSON Lines (up to "
                "%(streamed)s bytes)."
            ) % {
                "json": settings.CCM_API_MAX_JSON_BYTES,
                "streamed": settings.CCM_API_MAX_STREAMED_BYTES,
            }
            detail = str(body_limit_exceeded(limit=limit, hint=hint))
            return JsonResponse({"detail": detail}, status=413)
        if isinstance(exception, RequestTooLarge):
            # ``request.body`` read outside DRF (which answers its own exceptions).
            return JsonResponse({"detail": str(exception.detail)}, status=413)
        return None
