"""Pages for compliance officers and auditors: search the archive, see a communication
exactly as the customer got it with proof that it is unaltered, and (auditors) the log
of who looked at what. The archive is read-only here; every search, view and download
is itself recorded."""

import json
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from compliance import selectors, services
from compliance.models import AccessLog, ArchiveEntry
from templates_store.models import Channel, Communication

View = Callable[..., HttpResponseBase]

VIEW_ENTRY = "compliance.view_archiveentry"
VIEW_ACCESS_LOG = "compliance.view_accesslog"
PAGE_SIZE = 50
_EXTENSIONS = {"message/rfc822": "eml", "text/plain": "txt", "application/pdf": "pdf"}


def requires(perm: str) -> Callable[[View], View]:
    """Login, then ``perm`` or 403: checked before anything is looked up."""

    def decorator(view: View) -> View:
        return login_required(permission_required(perm, raise_exception=True)(view))

    return decorator


def _entry_or_404(pk: int) -> ArchiveEntry:
    try:
        return selectors.archive_entry_get(pk=pk)
    except ArchiveEntry.DoesNotExist as exc:
        raise Http404 from exc


class ArchiveSearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        label=gettext_lazy("Recipient or customer"),
        help_text=gettext_lazy(
            "Email address or phone number (or its start), customer id, or name."
        ),
    )
    channel = forms.ChoiceField(required=False, label=gettext_lazy("Channel"))
    batch = forms.IntegerField(required=False, min_value=1, label=gettext_lazy("Batch"))
    communication = forms.ChoiceField(required=False, label=gettext_lazy("Communication"))
    date_from = forms.DateField(
        required=False, label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"})
    )
    tests = forms.BooleanField(required=False, label=gettext_lazy("Include test sends"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everything = [("", gettext_lazy("All"))]
        self.fields["channel"].choices = everything + list(Channel.choices)  # type: ignore[attr-defined]
        self.fields["communication"].choices = everything + [  # type: ignore[attr-defined]
            (key, f"{name} ({key})")
            for key, name in Communication.objects.order_by("name").values_list("key", "name")
        ]


@requires(VIEW_ENTRY)
@require_GET
def entry_list(request: HttpRequest) -> HttpResponse:
    form = ArchiveSearchForm(request.GET)
    page = None
    if form.is_valid():
        criteria = form.cleaned_data
        entries = selectors.archive_entry_search(
            query=criteria["q"].strip(),
            channel=criteria["channel"],
            batch=criteria["batch"],
            communication=criteria["communication"],
            is_test=None if criteria["tests"] else False,
        )
        entries = selectors.archive_entries_between(
            entries=entries, date_from=criteria["date_from"], date_to=criteria["date_to"]
        )
        page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
        query = {
            key: str(value) for key, value in criteria.items() if value not in ("", None, False)
        }
        query["page"] = str(page.number)
        services.access_log_record(
            actor=request.user,  # type: ignore[arg-type]
            action=AccessLog.Action.SEARCH,
            query=query,
        )
    return render(request, "compliance/entry_list.html", {"form": form, "page": page})


@requires(VIEW_ENTRY)
@require_GET
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry_or_404(pk)
    artifact = selectors.archive_entry_artifact(entry=entry)
    events = list(entry.message.events.all()) if entry.message_id else []  # type: ignore[union-attr]
    services.access_log_record(
        actor=request.user,  # type: ignore[arg-type]
        action=AccessLog.Action.VIEW,
        entry=entry,
    )
    return render(
        request,
        "compliance/entry_detail.html",
        {
            "entry": entry,
            "artifact": artifact,
            "events": events,
            "data_json": json.dumps(entry.data, indent=2, ensure_ascii=False, sort_keys=True),
        },
    )


@requires(VIEW_ENTRY)
@require_GET
@xframe_options_sameorigin
def entry_artifact(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The stored artifact, byte for byte, with its content type: inline (the letter shown
    in the entry page) or, with ``?download=1``, as a file."""
    entry = _entry_or_404(pk)
    download = request.GET.get("download") == "1"
    try:
        stored = selectors.artifact_open(entry=entry)
    except FileNotFoundError as exc:
        raise Http404 from exc
    services.access_log_record(
        actor=request.user,  # type: ignore[arg-type]
        action=AccessLog.Action.DOWNLOAD if download else AccessLog.Action.VIEW,
        entry=entry,
        query={"artifact": "download" if download else "inline"},
    )
    extension = _EXTENSIONS.get(entry.content_type, "bin")
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


@requires(VIEW_ACCESS_LOG)
@require_GET
def access_log(request: HttpRequest) -> HttpResponse:
    actors = selectors.access_log_actors()
    actor = request.GET.get("actor", "")
    action = request.GET.get("action", "")
    filters: dict[str, Any] = {}
    if actor.isdigit():
        filters["actor_id"] = int(actor)
    if action in AccessLog.Action.values:
        filters["action"] = action
    page = Paginator(selectors.access_log_list(**filters), PAGE_SIZE).get_page(
        request.GET.get("page")
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
