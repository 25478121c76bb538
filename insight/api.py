"""REST API: the insight figures (the same tables as the CSV exports) and goals."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channels.models import Batch
from insight.forms import ScopeForm
from insight.selectors.counts import Scope
from insight.selectors.goals import goals_progress
from insight.selectors.report import FIGURE_NAMES, Figures, figure_table, figures_all
from templates_store.models import Communication

VIEW_INSIGHT = "insight.view_insight"

SCOPE_PARAMETERS = [
    OpenApiParameter("communication", str, description="Key of one communication."),
    OpenApiParameter("batch", int, description="Id of one batch."),
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day (inclusive)."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day (inclusive)."),
]


def scope_from_request(request: Request) -> Scope:
    """The scope of the query parameters; a bad one is a 400 naming the parameter."""
    form = ScopeForm(request.query_params)
    if not form.is_valid():
        raise ValidationError({k: [str(e) for e in v] for k, v in form.errors.items()})
    kwargs: dict[str, Any] = {
        "start": form.cleaned_data.get("start"),
        "end": form.cleaned_data.get("end"),
    }
    key = request.query_params.get("communication")
    if key:
        kwargs["communication_id"] = get_object_or_404(Communication, key=key).pk
    batch = request.query_params.get("batch")
    if batch:
        if not batch.isdigit():
            raise ValidationError({"batch": ["A batch id is a whole number."]})
        kwargs["batch_id"] = get_object_or_404(Batch, pk=int(batch)).pk
    return Scope(**kwargs)


def _table(figures: Figures, name: str) -> dict[str, Any]:
    columns, rows = figure_table(figures, name)
    return {"columns": columns, "rows": [dict(zip(columns, row, strict=True)) for row in rows]}


FigureSerializer = inline_serializer(
    "InsightFigure",
    {
        "columns": serializers.ListField(child=serializers.CharField()),
        "rows": serializers.ListField(child=serializers.DictField()),
    },
)


class FiguresView(APIView):
    """Every insight figure for the scope: the same tables as the CSV exports."""

    required_permissions = {"GET": VIEW_INSIGHT}

    @extend_schema(
        operation_id="insight_figures_list",
        parameters=SCOPE_PARAMETERS,
        responses=inline_serializer(
            "InsightFigures",
            {name: FigureSerializer for name in FIGURE_NAMES},
        ),
    )
    def get(self, request: Request) -> Response:
        figures = figures_all(scope=scope_from_request(request))
        return Response({name: _table(figures, name) for name in FIGURE_NAMES})


class FigureView(APIView):
    """One insight figure (daily, channels, fallbacks, print, costs, matrix, versions,
    survey, comments, goals) for the scope."""

    required_permissions = {"GET": VIEW_INSIGHT}

    @extend_schema(
        operation_id="insight_figure_retrieve",
        parameters=SCOPE_PARAMETERS,
        responses=FigureSerializer,
    )
    def get(self, request: Request, figure: str) -> Response:
        if figure not in FIGURE_NAMES:
            raise NotFound(f"No figure named {figure!r}; one of: {', '.join(FIGURE_NAMES)}.")
        figures = figures_all(scope=scope_from_request(request))
        return Response(_table(figures, figure))


class GoalListView(APIView):
    """Goals with their progress (``communication`` narrows to one communication)."""

    required_permissions = {"GET": VIEW_INSIGHT}

    @extend_schema(parameters=SCOPE_PARAMETERS, responses=FigureSerializer)
    def get(self, request: Request) -> Response:
        scope = scope_from_request(request)
        columns, rows = figure_table(
            Figures(
                scope=scope,
                daily=[],
                channels=[],
                fallbacks=[],
                printing={},
                costs=[],
                matrix=[],
                versions=[],
                survey=[],
                comments=[],
                goals=goals_progress(scope=scope),
            ),
            "goals",
        )
        return Response(
            {"columns": columns, "rows": [dict(zip(columns, r, strict=True)) for r in rows]}
        )
