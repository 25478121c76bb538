"""Request bodies have a size limit, and going over it is a 413 that says so; JSON text
nested deeper than ``CCM_MAX_JSON_DEPTH`` or holding NUL characters is a 400
(``ccm.input_checks``).

A JSON body has one limit, ``CCM_API_MAX_JSON_BYTES``, with or without an
``Idempotency-Key``: DRF hands JSON parsers ``request.body``, which on API paths is read
within that limit (``ccm.request_bodies.RequestBodyMiddleware``), not within Django's
``DATA_UPLOAD_MAX_MEMORY_SIZE`` (the limit of forms). Big batches go as CSV or JSON
Lines, which are spooled to disk (``ccm.request_bodies``) up to
``CCM_API_MAX_STREAMED_BYTES``.
"""

import io
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser

from ccm.input_checks import (
    contains_nul,
    json_depth,
    json_max_depth,
    json_too_deep_message,
    nul_refused_message,
)


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


def body_limit_exceeded(*, limit: int, hint: str = "") -> RequestTooLarge:
    message = _("The request body is larger than %(limit)s bytes.") % {"limit": limit}
    return RequestTooLarge(f"{message} {hint}".strip())


def json_body_too_large() -> RequestTooLarge:
    return body_limit_exceeded(
        limit=settings.CCM_API_MAX_JSON_BYTES,
        hint=_("Send large batches as CSV or JSON Lines."),
    )


def read_json_limited(stream: IO[bytes]) -> bytes:
    """A JSON body, refused (413, naming ``CCM_API_MAX_JSON_BYTES``) when over the limit."""
    limit = settings.CCM_API_MAX_JSON_BYTES
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise json_body_too_large()
    return data


def read_limited(stream: IO[bytes], *, limit: int) -> bytes:
    """Read the whole stream, refusing (413) as soon as it is over ``limit`` bytes."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise body_limit_exceeded(limit=limit)
    return data


class LimitedJSONParser(JSONParser):
    """JSON bodies up to ``CCM_API_MAX_JSON_BYTES``."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        request = (parser_context or {}).get("request")
        length = None
        if request is not None:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0) or None
            except ValueError:
                length = None
        limit = settings.CCM_API_MAX_JSON_BYTES
        if length is not None and length > limit:
            raise json_body_too_large()
        data = read_json_limited(stream) if stream else b""
        if json_depth(data) > json_max_depth():
            raise ParseError(json_too_deep_message())
        parsed = super().parse(io.BytesIO(data), media_type, parser_context)
        if contains_nul(parsed):
            raise ParseError(nul_refused_message())
        return parsed
