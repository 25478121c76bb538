"""The coverage matrix page: communications by channels and locales (see ``matrix``)."""

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ccm.views_access import AuthenticatedRequest, requires
from ccm.vocabulary import Channel
from templates_store.locales import LOCALES
from templates_store.matrix import CellState, communication_matrix, owner_teams
from templates_store.models import Communication
from templates_store.permissions import VIEW_COMMUNICATION


def _choice(value: str, allowed: list[str]) -> str:
    return value if value in allowed else ""


@require_GET
@requires(VIEW_COMMUNICATION)
def communication_matrix_view(request: AuthenticatedRequest) -> HttpResponse:
    teams = owner_teams()
    filters = {
        "search": request.GET.get("q", ""),
        "category": _choice(request.GET.get("category", ""), Communication.Category.values),
        "owner_team": _choice(request.GET.get("team", ""), teams),
        "channel": _choice(request.GET.get("channel", ""), Channel.values),
        "locale": _choice(request.GET.get("locale", ""), LOCALES),
        "state": _choice(request.GET.get("state", ""), CellState.values),
    }
    matrix = communication_matrix(**filters)
    # (channel, label, number of locale columns) for the header's first row.
    channel_spans: list[tuple[str, str, int]] = []
    for value, label, _locale in matrix.columns:
        if channel_spans and channel_spans[-1][0] == value:
            channel_spans[-1] = (value, label, channel_spans[-1][2] + 1)
        else:
            channel_spans.append((value, label, 1))
    return render(
        request,
        "templates_store/communication_matrix.html",
        {
            "matrix": matrix,
            "channel_spans": channel_spans,
            "filters": filters,
            "filtered": any(filters.values()),
            "categories": Communication.Category.choices,
            "channels": Channel.choices,
            "locales": settings.LANGUAGES,
            "states": CellState.choices,
            "teams": teams,
        },
    )
