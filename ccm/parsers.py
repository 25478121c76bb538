"""Request bodies have a size limit, and going over it is a 413 that says so; JSON text
nested deeper than ``CCM_MAX_JSON_DEPTH`` or holding NUL characters is a 400
(``ccm.input_checks``).

Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` guards ``request.body`` and forms, but DRF's
parsers read the stream directly; these read at most the limit. Big batches go as CSV
or JSON Lines, which are spooled to disk (``ccm.request_bodies``) up to
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
            raise body_limit_exceeded(
                limit=limit, hint=_("Send large batches as CSV or JSON Lines.")
            )
        data = read_limited(stream, limit=limit) if stream else b""
        if json_depth(data) > json_max_depth():
            raise ParseError(json_too_deep_message())
        parsed = super().parse(io.BytesIO(data), media_type, parser_context)
        if contains_nul(parsed):
            raise ParseError(nul_refused_message())
        return parsed
