"""Pages for operators: batches with their live progress, messages, rejected rows and
print files; cancelling a batch; uploading a recipient file with a preview before it is
submitted. Logic lives in services and selectors; views check permissions, parse forms
and pick templates. A person reaches only their own client's batches, as through the API
(``selectors.batches_of_client``); a page that shows recipients is in the access log."""

import re
import secrets
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ccm.views_access import AuthenticatedRequest, requires
from channels import selectors, services
from channels.models import Batch, Message
from channels.services.recipient_reads import recipient_read_record
from channels.uploads.formats import CSV, JSON, JSONL, UploadError, upload_format
from channels.uploads.preview import upload_preview
from channels.uploads.reading import upload_rows
from channels.uploads.storage import upload_delete, upload_open, upload_store, uploads_purge_stale
from templates_store.models import Communication
from templates_store.selectors import version_published

VIEW_BATCH = "channels.view_batch"
ADD_BATCH = "channels.add_batch"
CANCEL_BATCH = "channels.cancel_batch"

PAGE_SIZE = 50
UPLOADS_SESSION_KEY = "channels:uploads"
# Previews a person can have open at once; the oldest file is dropped past this.
MAX_PENDING_UPLOADS = 5
_TOKEN = re.compile(r"[0-9a-f]{32}")


def _batch_or_404(request: AuthenticatedRequest, pk: int, *, for_cancel: bool = False) -> Batch:
    """The batch if the signed-in person's client may see it (``for_cancel``: cancel it),
    as in the API (``selectors.batches_of_client``); another client's batch is not found."""
    batches = selectors.batches_of_client(viewer=request.user, for_cancel=for_cancel)
    try:
        return batches.get(pk=pk)
    except Batch.DoesNotExist as exc:
        raise Http404 from exc


def _page(request: HttpRequest, items: Any, param: str = "page") -> Any:
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get(param))


# BATCHES ------------------------------------------------------------------------------


@requires(VIEW_BATCH)
@require_GET
def batch_list(request: AuthenticatedRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    batches = selectors.batch_list_with_progress(viewer=request.user)
    if status in Batch.Status.values:
        batches = batches.filter(status=status)
    page = _page(request, batches)
    for batch in page:
        batch.rejected = batch.total_rows - batch.accepted
        batch.percent = round(100 * batch.done / batch.accepted) if batch.accepted else 100
    return render(
        request,
        "channels/batch_list.html",
        {"page": page, "status": status, "statuses": Batch.Status.choices},
    )


def _progress_context(batch: Batch) -> dict[str, Any]:
    progress = selectors.batch_progress(batch=batch)
    statuses = [
        (value, label, progress["counts"].get(value, 0)) for value, label in Message.Status.choices
    ]
    # Counted, not read from rejected_rows, which keeps the first 10,000 reasons only.
    rejected_total = batch.total_rows - progress["accepted"]
    return {
        "batch": batch,
        "progress": progress,
        "statuses": statuses,
        "rejected_total": rejected_total,
    }


@requires(VIEW_BATCH)
@require_GET
def batch_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    batch = _batch_or_404(request, pk)
    context = _progress_context(batch)
    status = request.GET.get("status", "")
    if status not in Message.Status.values:
        status = ""
    if request.user.has_perm("channels.view_message"):
        message_page = _page(request, selectors.message_list(batch=batch, status=status or None))
        # The page shows the recipients, so the read is in the access log as the API's is.
        recipient_read_record(
            reader=request.user,
            api=f"GET {request.path}",
            message_ids=[m.pk for m in message_page],
            batch_id=batch.pk,
            status=status or None,
        )
        context["message_page"] = message_page
    context.update(
        status=status,
        rejected_page=_page(request, batch.rejected_rows, "rejected_page"),
        print_files=selectors.print_file_list(batch=batch),
    )
    return render(request, "channels/batch_detail.html", context)


@requires(VIEW_BATCH)
@require_GET
def batch_progress(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The progress panel alone, polled by the batch page every 2 s until the batch is
    finished; the last poll reloads the page so that messages and print files show."""
    batch = _batch_or_404(request, pk)
    response = render(request, "channels/_batch_progress.html", _progress_context(batch))
    if batch.is_finished and getattr(request, "htmx", False) and request.GET.get("polling"):
        response["HX-Refresh"] = "true"
    return response


@requires(CANCEL_BATCH)
@require_POST
def batch_cancel(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    batch = _batch_or_404(request, pk, for_cancel=True)
    try:
        cancelled = services.batch_cancel(batch=batch)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(
            request,
            _("Batch %(id)s cancelled: %(count)s messages will not be sent.")
            % {"id": batch.pk, "count": cancelled},
        )
    return redirect("channels:batch_detail", pk=batch.pk)


# UPLOAD -------------------------------------------------------------------------------


class UploadForm(forms.Form):
    FORMAT_CHOICES = [
        ("", gettext_lazy("From the file name")),
        (CSV, "CSV"),
        (JSON, "JSON"),
        (JSONL, "JSON Lines"),
    ]

    communication = forms.ModelChoiceField(
        queryset=Communication.objects.none(),
        label=gettext_lazy("Communication"),
        help_text=gettext_lazy("Only communications with a published version can be sent."),
    )
    file = forms.FileField(label=gettext_lazy("Recipient file"))
    format = forms.ChoiceField(choices=FORMAT_CHOICES, required=False, label=gettext_lazy("Format"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["communication"].queryset = selectors.communications_with_published_version()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        upload = cleaned.get("file")
        if upload is not None and upload.size > settings.CCM_UPLOAD_MAX_BYTES:
            self.add_error(
                "file",
                _("The file is %(size)s bytes; at most %(limit)s bytes are accepted.")
                % {"size": upload.size, "limit": settings.CCM_UPLOAD_MAX_BYTES},
            )
            return cleaned
        if upload is not None and not cleaned.get("format"):
            try:
                cleaned["format"] = upload_format(filename=upload.name)
            except UploadError as exc:
                self.add_error("file", str(exc))
        return cleaned


def _pending_uploads(request: HttpRequest) -> dict[str, dict[str, Any]]:
    return request.session.get(UPLOADS_SESSION_KEY, {})


def _pending_or_404(request: HttpRequest, token: str) -> dict[str, Any]:
    pending = _pending_uploads(request).get(token) if _TOKEN.fullmatch(token) else None
    if pending is None:
        raise Http404(_("This upload is no longer available; upload the file again."))
    return pending


def _pending_remember(request: HttpRequest, token: str, pending: dict[str, Any]) -> None:
    uploads_by_token = dict(_pending_uploads(request))
    uploads_by_token[token] = pending
    while len(uploads_by_token) > MAX_PENDING_UPLOADS:
        oldest = min(uploads_by_token, key=lambda t: uploads_by_token[t]["uploaded_at"])
        upload_delete(name=uploads_by_token.pop(oldest)["name"])
    request.session[UPLOADS_SESSION_KEY] = uploads_by_token


def _pending_forget(request: HttpRequest, token: str) -> None:
    uploads_by_token = dict(_pending_uploads(request))
    pending = uploads_by_token.pop(token, None)
    if pending is not None:
        upload_delete(name=pending["name"])
    request.session[UPLOADS_SESSION_KEY] = uploads_by_token


@requires(ADD_BATCH)
@require_http_methods(["GET", "POST"])
def batch_upload(request: AuthenticatedRequest) -> HttpResponse:
    """Step 1: choose the communication and the file. The file is kept in storage under
    a random name known only to this session, then previewed."""
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if form.is_bound and form.is_valid():
        uploads_purge_stale()
        upload = form.cleaned_data["file"]
        name = upload_store(file=upload, filename=upload.name)
        token = secrets.token_hex(16)
        _pending_remember(
            request,
            token,
            {
                "name": name,
                "filename": upload.name,
                "format": form.cleaned_data["format"],
                "communication": form.cleaned_data["communication"].pk,
                "uploaded_at": timezone.now().isoformat(),
            },
        )
        return redirect("channels:batch_upload_preview", token=token)
    return render(request, "channels/batch_upload.html", {"form": form})


def _pending_communication(pending: dict[str, Any]) -> Communication:
    communication = Communication.objects.filter(pk=pending["communication"]).first()
    if communication is None:
        raise Http404
    return communication


@requires(ADD_BATCH)
@require_GET
def batch_upload_preview(request: AuthenticatedRequest, token: str) -> HttpResponse:
    """Step 2: the first rows rendered with the published version, the rows whose data
    does not match, and the number of rows; nothing is accepted yet."""
    pending = _pending_or_404(request, token)
    communication = _pending_communication(pending)
    version = version_published(communication=communication)
    if version is None:
        messages.error(
            request, _("%(name)s has no published version any more.") % {"name": communication}
        )
        _pending_forget(request, token)
        return redirect("channels:batch_upload")
    try:
        with upload_open(name=pending["name"]) as fh:
            rows = upload_rows(file=fh, format=pending["format"], schema=communication.data_schema)
            preview = upload_preview(version=version, rows=rows)
    except FileNotFoundError as exc:
        _pending_forget(request, token)
        raise Http404(_("This upload is no longer available; upload the file again.")) from exc
    return render(
        request,
        "channels/batch_upload_preview.html",
        {"token": token, "pending": pending, "communication": communication, "preview": preview},
    )


@requires(ADD_BATCH)
@require_POST
def batch_upload_confirm(request: AuthenticatedRequest, token: str) -> HttpResponse:
    """Step 3: submit the previewed file as a batch for the version that was previewed."""
    pending = _pending_or_404(request, token)
    communication = _pending_communication(pending)
    version = version_published(communication=communication)
    previewed = request.POST.get("version", "")
    if version is None or str(version.pk) != previewed:
        messages.warning(
            request,
            _("Another version was published since the preview. Check the preview again."),
        )
        return redirect("channels:batch_upload_preview", token=token)
    try:
        with upload_open(name=pending["name"]) as fh:
            rows = upload_rows(file=fh, format=pending["format"], schema=communication.data_schema)
            batch = services.batch_create(
                communication=communication,
                rows=rows,
                created_by=request.user,
                source="upload",
            )
    except (UploadError, ValidationError) as exc:
        messages.error(request, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
        return redirect("channels:batch_upload_preview", token=token)
    except FileNotFoundError as exc:
        _pending_forget(request, token)
        raise Http404(_("This upload is no longer available; upload the file again.")) from exc
    _pending_forget(request, token)
    messages.success(
        request,
        _("Batch %(id)s accepted from %(file)s.") % {"id": batch.pk, "file": pending["filename"]},
    )
    return redirect("channels:batch_detail", pk=batch.pk)


@requires(ADD_BATCH)
@require_POST
def batch_upload_discard(request: AuthenticatedRequest, token: str) -> HttpResponse:
    _pending_or_404(request, token)
    _pending_forget(request, token)
    messages.info(request, _("The uploaded file was discarded."))
    return redirect("channels:batch_upload")
