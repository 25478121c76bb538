"""The catalogue of communications: the filtered list, creating a communication, its page
with the versions, and a new draft version."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ccm.views_access import AuthenticatedRequest, requires
from ccm.vocabulary import Channel
from templates_store import selectors, services
from templates_store.forms import CommunicationForm
from templates_store.locales import LOCALES
from templates_store.matrix import owner_teams
from templates_store.models import Communication
from templates_store.permissions import ADD_COMMUNICATION, ADD_VERSION, VIEW_COMMUNICATION
from templates_store.views_versions import pretty_json


@require_GET
@requires(VIEW_COMMUNICATION)
def communication_list(request: AuthenticatedRequest) -> HttpResponse:
    def choice(name: str, allowed: list[str]) -> str:
        value = request.GET.get(name, "")
        return value if value in allowed else ""

    teams = owner_teams()
    filters = {
        "search": request.GET.get("q", ""),
        "category": choice("category", Communication.Category.values),
        "channel": choice("channel", Channel.values),
        "purpose": choice("purpose", Communication.Purpose.values),
        "owner_team": choice("team", teams),
        "locale": choice("locale", LOCALES),
    }
    rows = selectors.communication_catalogue(**filters)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "templates_store/communication_list.html",
        {
            "page": page,
            **filters,
            "filtered": any(filters.values()),
            "categories": Communication.Category.choices,
            "channels": Channel.choices,
            "purposes": Communication.Purpose.choices,
            "teams": teams,
            "locales": settings.LANGUAGES,
        },
    )


@require_http_methods(["GET", "POST"])
@requires(ADD_COMMUNICATION)
def communication_create(request: AuthenticatedRequest) -> HttpResponse:
    form = CommunicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            communication = services.communication_create(**form.cleaned_data, author=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Communication created with an empty draft, version 1."))
            return redirect("templates_store:communication_detail", pk=communication.pk)
    return render(request, "templates_store/communication_form.html", {"form": form})


@require_GET
@requires(VIEW_COMMUNICATION)
def communication_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    try:
        communication = selectors.communication_get(pk=pk)
    except Communication.DoesNotExist as exc:
        raise Http404 from exc
    versions = selectors.version_list_for_communication(communication=communication)
    return render(
        request,
        "templates_store/communication_detail.html",
        {
            "communication": communication,
            "versions": versions,
            "schema_json": pretty_json(communication.data_schema),
        },
    )


@require_POST
@requires(ADD_VERSION)
def version_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    try:
        communication = selectors.communication_get(pk=pk)
    except Communication.DoesNotExist as exc:
        raise Http404 from exc
    version = services.version_create(communication=communication, author=request.user)
    messages.success(request, _("Draft version %(number)s created.") % {"number": version.number})
    return redirect("templates_store:version_detail", pk=version.pk)
