"""Pages for compliance officers and auditors: search the archive, see a communication
exactly as the customer got it with proof that it is unaltered, export evidence, place
and release legal holds, check the seal chain, and (auditors) the log of who looked at
what. The archive is read-only here; every search, view, download and export is itself
recorded.

Legal holds have their pages in ``hold_views``, the seal chain and the access log in
``audit_views``."""

import json
from typing import IO, Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from ccm.views_access import AuthenticatedRequest, requires
from compliance import services
from compliance.exports import evidence_export
from compliance.forms import ArchiveSearchForm, EvidenceExportForm
from compliance.models import AccessLog, ArchiveEntry
from compliance.rerender import RerenderCheck, archive_entry_rerender_check
from compliance.selectors.entries import archive_entry_artifact, archive_entry_get, artifact_open
from compliance.selectors.evidence import (
    archive_entries_for_customer,
    archive_entry_approval,
    archive_entry_retention,
    customer_by_external_id,
)
from compliance.selectors.search import (
    archive_entries_between,
    archive_entry_page,
    archive_entry_search,
)

VIEW_ENTRY = "compliance.view_archiveentry"
EXPORT_ENTRY = "compliance.export_archiveentry"
PAGE_SIZE = 50
# One evidence zip holds at most this many entries (it is built in one request).
EXPORT_LIMIT = 10_000
# Searches count their matches up to this many (a bounded count stays fast at millions).
COUNT_LIMIT = 1000
ARTIFACT_MISSING = gettext_lazy(
    "An artifact is missing from the archive storage, so nothing was exported: "
    "run the integrity check."
)


def _entry_or_404(pk: int) -> ArchiveEntry:
    try:
        return archive_entry_get(pk=pk)
    except ArchiveEntry.DoesNotExist as exc:
        raise Http404 from exc


def _zip_response(handle: IO[bytes]) -> FileResponse:
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"evidence-{timezone.localtime():%Y%m%d-%H%M%S}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "private, no-store"
    return response


# SEARCH AND EVIDENCE EXPORT -----------------------------------------------------------


def _search_entries(criteria: dict[str, Any]) -> QuerySet[ArchiveEntry]:
    entries = archive_entry_search(
        query=criteria["q"].strip(),
        channel=criteria["channel"],
        batch=criteria["batch"],
        communication=criteria["communication"],
        version=criteria["version"],
        status=criteria["status"],
        words=criteria["words"].strip(),
        is_test=None if criteria["tests"] else False,
    )
    return archive_entries_between(
        entries=entries, date_from=criteria["date_from"], date_to=criteria["date_to"]
    )


def _search_query(criteria: dict[str, Any]) -> dict[str, str]:
    return {key: str(value) for key, value in criteria.items() if value not in ("", None, False)}


def _search_page(
    request: AuthenticatedRequest,
    form: ArchiveSearchForm,
    export_form: EvidenceExportForm,
    *,
    status: int = 200,
) -> HttpResponse:
    page = None
    customer = None
    if form.is_valid():
        criteria = form.cleaned_data
        cursors = {key: request.GET.get(key, "") for key in ("older", "newer")}
        page = archive_entry_page(
            entries=_search_entries(criteria), size=PAGE_SIZE, count_limit=COUNT_LIMIT, **cursors
        )
        customer = customer_by_external_id(external_id=criteria["q"].strip())
        services.access_log_record(
            actor=request.user,
            action=AccessLog.Action.SEARCH,
            query={
                **_search_query(criteria),
                **{key: value for key, value in cursors.items() if value},
            },
        )
    return render(
        request,
        "compliance/entry_list.html",
        {
            "form": form,
            "page": page,
            "export_form": export_form,
            "export_limit": EXPORT_LIMIT,
            "count_limit": COUNT_LIMIT,
            "customer": customer,
        },
        status=status,
    )


@requires(VIEW_ENTRY)
@require_GET
def entry_list(request: AuthenticatedRequest) -> HttpResponse:
    return _search_page(request, ArchiveSearchForm(request.GET), EvidenceExportForm())


@requires(EXPORT_ENTRY)
@require_POST
def search_export(request: AuthenticatedRequest) -> HttpResponseBase:
    """The evidence zip of the current search (the criteria are in the query string), or
    with ``scope=customer`` of everything sent to the customer the search names."""
    form = ArchiveSearchForm(request.GET)
    export_form = EvidenceExportForm(request.POST)
    if not form.is_valid() or not export_form.is_valid():
        return _search_page(request, form, export_form, status=400)
    criteria = form.cleaned_data
    if export_form.cleaned_data["scope"] == EvidenceExportForm.SCOPE_CUSTOMER:
        customer = customer_by_external_id(external_id=criteria["q"].strip())
        if customer is None:
            export_form.add_error(None, _("The search does not name a customer."))
            return _search_page(request, form, export_form, status=400)
        entries = archive_entries_for_customer(customer=customer)
        query: dict[str, Any] = {"subject_access": customer.external_id}
    else:
        entries = _search_entries(criteria)
        query = _search_query(criteria)
    if not entries.exists():
        export_form.add_error(None, _("Nothing matches: there is nothing to export."))
        return _search_page(request, form, export_form, status=400)
    try:
        handle = evidence_export(
            entries=entries[:EXPORT_LIMIT],
            actor=request.user,
            reason=export_form.cleaned_data["reason"],
            query=query,
        )
    except FileNotFoundError:
        export_form.add_error(None, ARTIFACT_MISSING)
        return _search_page(request, form, export_form, status=409)
    return _zip_response(handle)


# ONE ENTRY ----------------------------------------------------------------------------


def _entry_page(
    request: AuthenticatedRequest,
    entry: ArchiveEntry,
    *,
    query: dict[str, Any] | None = None,
    export_form: EvidenceExportForm | None = None,
    rerender: RerenderCheck | None = None,
    status: int = 200,
) -> HttpResponse:
    artifact = archive_entry_artifact(entry=entry)
    events = list(entry.message.events.all()) if entry.message is not None else []
    services.access_log_record(
        actor=request.user, action=AccessLog.Action.VIEW, entry=entry, query=query
    )
    return render(
        request,
        "compliance/entry_detail.html",
        {
            "entry": entry,
            "artifact": artifact,
            "events": events,
            "data_json": json.dumps(entry.data, indent=2, ensure_ascii=False, sort_keys=True),
            "retention": archive_entry_retention(entry=entry),
            "approval": archive_entry_approval(entry=entry),
            "export_form": export_form or EvidenceExportForm(),
            "rerender": rerender,
        },
        status=status,
    )


@requires(VIEW_ENTRY)
@require_GET
def entry_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _entry_page(request, _entry_or_404(pk))


@requires(EXPORT_ENTRY)
@require_POST
def entry_export(request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
    entry = _entry_or_404(pk)
    export_form = EvidenceExportForm(request.POST)
    if not export_form.is_valid():
        return _entry_page(request, entry, export_form=export_form, status=400)
    try:
        handle = evidence_export(
            entries=[entry],
            actor=request.user,
            reason=export_form.cleaned_data["reason"],
            query={"entry": entry.pk},
        )
    except FileNotFoundError:
        export_form.add_error(None, ARTIFACT_MISSING)
        return _entry_page(request, entry, export_form=export_form, status=409)
    return _zip_response(handle)


@requires(VIEW_ENTRY)
@require_POST
def entry_rerender(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Render the entry again from its version and data and compare it with the artifact
    (an htmx fragment, or the whole entry page without JavaScript)."""
    entry = _entry_or_404(pk)
    check = archive_entry_rerender_check(entry=entry)
    outcome = "error" if check.error else "identical" if check.identical else "differs"
    query = {"rerender": outcome}
    if getattr(request, "htmx", False):
        services.access_log_record(
            actor=request.user, action=AccessLog.Action.VIEW, entry=entry, query=query
        )
        return render(request, "compliance/_rerender.html", {"entry": entry, "rerender": check})
    return _entry_page(request, entry, query=query, rerender=check)


@requires(VIEW_ENTRY)
@require_GET
@xframe_options_sameorigin
def entry_artifact(request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
    """The stored artifact, byte for byte, with its content type: inline (the letter shown
    in the entry page) or, with ``?download=1``, as a file."""
    entry = _entry_or_404(pk)
    download = request.GET.get("download") == "1"
    try:
        stored = artifact_open(entry=entry)
    except FileNotFoundError as exc:
        raise Http404 from exc
    services.access_log_record(
        actor=request.user,
        action=AccessLog.Action.DOWNLOAD if download else AccessLog.Action.VIEW,
        entry=entry,
        query={"artifact": "download" if download else "inline"},
    )
    extension = services.ARTIFACT_EXTENSIONS.get(entry.content_type, "bin")
    response = FileResponse(
        stored,
        as_attachment=download,
        filename=f"archive-entry-{entry.pk}.{extension}",
        content_type=entry.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    if entry.content_type != "application/pdf":
        # Nothing served from the archive runs in the platform's origin. (A PDF cannot be
        # sandboxed this way: browsers then refuse to show it.)
        response["Content-Security-Policy"] = "sandbox"
    return response
