"""``Idempotency-Key`` for POST endpoints, after the IETF httpapi idempotency-key draft.

- the same key with the same request replays the first answer (``Idempotent-Replayed: true``);
- the same key with another request is refused with 422;
- the same key while the first request is still running is refused with 409;
- an answer of 5xx is not kept, so the client may retry with the same key.
Keys are per client (the authenticated user) and kept for CCM_IDEMPOTENCY_TTL_HOURS.
"""

import functools
import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from ccm.models import IdempotencyKey
from ccm.permissions import request_user
from ccm.request_bodies import body_bytes, body_spool, is_streamed

HEADER = "Idempotency-Key"


def _fingerprint(request: Request) -> str:
    digest = hashlib.sha256()
    digest.update(
        f"{request.method} {request.path}?{request.META.get('QUERY_STRING', '')}\n".encode()
    )
    # A streamed body (CSV, JSON Lines) is hashed while it is spooled, never loaded whole.
    body = body_spool(request).sha256.encode() if is_streamed(request) else body_bytes(request)
    digest.update(body)
    return digest.hexdigest()


def _problem(status: int, detail: str) -> Response:
    return Response({"detail": detail}, status=status)


def idempotent(view_method: Callable[..., Response]) -> Callable[..., Response]:
    """Decorate an APIView's ``post`` to honour the Idempotency-Key header."""

    @functools.wraps(view_method)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if not key:
            return view_method(self, request, *args, **kwargs)
        if len(key) > 255:
            return _problem(400, f"{HEADER} is longer than 255 characters.")
        fingerprint = _fingerprint(request)
        ttl = timedelta(hours=settings.CCM_IDEMPOTENCY_TTL_HOURS)
        IdempotencyKey.objects.filter(
            user=request_user(request), key=key, created_at__lt=timezone.now() - ttl
        ).delete()
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=request_user(request), key=key, fingerprint=fingerprint
                )
        except IntegrityError:
            existing = IdempotencyKey.objects.get(user=request_user(request), key=key)
            if existing.fingerprint != fingerprint:
                return _problem(422, f"This {HEADER} was used with a different request.")
            if existing.status_code is None:
                return _problem(409, f"A request with this {HEADER} is still being processed.")
            response = Response(existing.response_body, status=existing.status_code)
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            try:
                response = view_method(self, request, *args, **kwargs)
            except APIException as exc:
                # A refusal (400, 404...) is an answer too: keep it like any other.
                response = self.handle_exception(exc)
        except Exception:
            record.delete()
            raise
        if response.status_code >= 500:
            record.delete()
        else:
            IdempotencyKey.objects.filter(pk=record.pk).update(
                status_code=response.status_code, response_body=response.data
            )
        return response

    return wrapper
