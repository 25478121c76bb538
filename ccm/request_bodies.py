"""Large request bodies (a CSV or JSON Lines batch of a million rows) are copied to a
temporary file in chunks, hashed on the way, and never held in memory."""

import hashlib
import tempfile
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

from ccm.parsers import body_limit_exceeded

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
