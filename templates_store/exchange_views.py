"""Download a communication as a zip of plain files, and import such a zip (from git, or
from another environment) as a new draft. The file layout is in ``exchange``."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from ccm.views_access import AuthenticatedRequest, requires
from templates_store import exchange, selectors
from templates_store.models import Communication
from templates_store.permissions import ADD_VERSION, VIEW_VERSION

MAX_UPLOAD_BYTES = exchange.MAX_TOTAL_BYTES


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Zip of communication files"),
        help_text=gettext_lazy("As downloaded here or written by manage.py communication_export."),
    )


@require_GET
@requires(VIEW_VERSION)
def communication_export(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The communication with its latest version (or ``?version=N``) as a zip."""
    try:
        communication = selectors.communication_get(pk=pk)
    except Communication.DoesNotExist as exc:
        raise Http404 from exc
    version = None
    if request.GET.get("version", "").isdigit():
        version = communication.versions.filter(number=int(request.GET["version"])).first()
        if version is None:
            raise Http404
    files = exchange.communication_files(communication=communication, version=version)
    response = HttpResponse(
        exchange.files_to_zip(files, folder=communication.key), content_type="application/zip"
    )
    response["Content-Disposition"] = f'attachment; filename="{communication.key}.zip"'
    return response


@require_http_methods(["GET", "POST"])
@requires(ADD_VERSION)
def communication_import(request: AuthenticatedRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    problems: list[exchange.FileProblem] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > MAX_UPLOAD_BYTES:
                raise exchange.CommunicationFilesError(
                    [exchange.FileProblem(upload.name, "", _("The file is too large."))]
                )
            version = exchange.communication_import(
                files=exchange.files_from_zip(upload.read()), actor=request.user
            )
        except exchange.CommunicationFilesError as exc:
            problems = exc.problems
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("Imported as draft version %(number)s.") % {"number": version.number},
            )
            return redirect("templates_store:version_detail", pk=version.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "templates_store/communication_import.html",
        {"form": form, "problems": problems},
        status=status,
    )
