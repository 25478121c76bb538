"""Health endpoints for load balancers and orchestrators.

``/healthz`` (liveness): the process answers; it checks nothing else, so that a database
outage does not make every web process restart. ``/readyz`` (readiness): the database,
the Celery broker and the archive storage answer; 503 naming each part that does not.
Neither needs a login; the errors themselves go to the log, not to the caller.
"""

import logging
import os
from collections.abc import Callable

from django.contrib.auth.decorators import login_not_required
from django.core.files.storage import FileSystemStorage, storages
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ccm.celery import app as celery_app

logger = logging.getLogger(__name__)

# Seconds each readiness check may take before the part counts as down.
CHECK_TIMEOUT = 3
# An object name probed in the archive storage; it need not exist.
_ARCHIVE_PROBE = ".ccm-readiness-probe"


def database_check() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def broker_check() -> None:
    if celery_app.conf.task_always_eager:
        return
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT)


def archive_storage_check() -> None:
    storage = storages["archive"]
    if isinstance(storage, FileSystemStorage):
        location = str(storage.location)
        # Created on the first write anyway; a path that cannot be made is the error.
        os.makedirs(location, exist_ok=True)
        if not os.access(location, os.W_OK | os.X_OK):
            raise OSError(f"{location} is not writable")
        return
    # Object storage: a HEAD of a name proves the endpoint, bucket and credentials.
    storage.exists(_ARCHIVE_PROBE)


CHECKS: dict[str, Callable[[], None]] = {
    "database": database_check,
    "broker": broker_check,
    "archive_storage": archive_storage_check,
}


def readiness() -> dict[str, str]:
    """Each part's state: "ok", or the error that stopped its check."""
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # any failure means "not ready"; logged by readyz
            results[name] = f"{type(exc).__name__}: {exc}"[:300]
        else:
            results[name] = "ok"
    return results


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@login_not_required
@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks = readiness()
    failing = sorted(name for name, state in checks.items() if state != "ok")
    for name in failing:
        logger.warning("not ready: %s: %s", name, checks[name])
    body = {
        "status": "unavailable" if failing else "ok",
        "failing": failing,
        "checks": {name: "ok" if state == "ok" else "failing" for name, state in checks.items()},
    }
    return JsonResponse(body, status=503 if failing else 200)
