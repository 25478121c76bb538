"""For auditors: the seal chain (verify it now, export it) and the access log."""

import json
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from ccm.views_access import AuthenticatedRequest, requires
from compliance import services
from compliance.models import AccessLog
from compliance.selectors.access_log import access_log_actors, access_log_page
from compliance.selectors.integrity import seal_list, seals_public
from compliance.verification import VerifyReport, archive_verify

VIEW_ENTRY = "compliance.view_archiveentry"
VIEW_ACCESS_LOG = "compliance.view_accesslog"
PAGE_SIZE = 50


# INTEGRITY ----------------------------------------------------------------------------


def _integrity_page(
    request: AuthenticatedRequest, *, report: VerifyReport | None = None
) -> HttpResponse:
    page = Paginator(seal_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "compliance/integrity.html", {"page": page, "report": report})


@requires(VIEW_ENTRY)
@require_GET
def integrity(request: AuthenticatedRequest) -> HttpResponse:
    return _integrity_page(request)


@requires(VIEW_ENTRY)
@require_POST
def integrity_verify(request: AuthenticatedRequest) -> HttpResponse:
    """Recompute every seal, leaf and artifact hash now; the run is recorded."""
    report = archive_verify()
    services.access_log_record(
        actor=request.user,
        action=AccessLog.Action.SEARCH,
        query={"verify": True, "ok": report.ok, "problems": len(report.problems)},
    )
    return _integrity_page(request, report=report)


@requires(VIEW_ENTRY)
@require_GET
def seal_export(request: AuthenticatedRequest) -> HttpResponse:
    """Every seal's public fields as JSON, for a third party to check the chain. The
    download is recorded like every other export."""
    seals = seals_public()
    services.access_log_record(
        actor=request.user,
        action=AccessLog.Action.EXPORT,
        query={"seals": len(seals["seals"])},
    )
    response = HttpResponse(json.dumps(seals, indent=2), content_type="application/json")
    filename = f"seals-{timezone.localtime():%Y%m%d-%H%M%S}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ACCESS LOG ---------------------------------------------------------------------------


@requires(VIEW_ACCESS_LOG)
@require_GET
def access_log(request: AuthenticatedRequest) -> HttpResponse:
    actors = access_log_actors()
    actor = request.GET.get("actor", "")
    action = request.GET.get("action", "")
    filters: dict[str, Any] = {}
    if actor.isdigit():
        filters["actor_id"] = int(actor)
    if action in AccessLog.Action.values:
        filters["action"] = action
    page = access_log_page(
        older=request.GET.get("older", ""),
        newer=request.GET.get("newer", ""),
        size=PAGE_SIZE,
        **filters,
    )
    return render(
        request,
        "compliance/access_log.html",
        {
            "page": page,
            "actors": actors,
            "actor": actor,
            "action": action,
            "actions": AccessLog.Action.choices,
        },
    )
