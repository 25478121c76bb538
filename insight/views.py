"""Insight pages: the dashboard, a communication's and a batch's figures, CSV exports,
goals and surveys; and the public pages where customers answer a survey."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ccm.spreadsheets import csv_bytes
from ccm.views_access import AuthenticatedRequest, requires
from channels.models import Batch, Message
from channels.selectors import batches_of_client
from insight import charts, services
from insight.forms import CommentForm, GoalForm, ScopeForm, SurveyForm
from insight.models import Goal, Survey
from insight.selectors.counts import Scope
from insight.selectors.report import FIGURE_NAMES, Figures, figure_table, figures_all
from insight.selectors.statistics import unit_prices
from insight.surveys import (
    SurveyLinkError,
    default_question,
    scale_labels,
    survey_url,
    token_make,
    token_read,
)
from templates_store.models import Communication

VIEW_INSIGHT = "insight.view_insight"
MANAGE_INSIGHT = "insight.manage_insight"


def _scope(request: HttpRequest, **kwargs: Any) -> tuple[ScopeForm, Scope]:
    form = ScopeForm(request.GET or None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        return form, Scope(start=data.get("start"), end=data.get("end"), **kwargs)
    return form, Scope(**kwargs)


def _charts(figures: Figures) -> dict[str, Any]:
    states = dict(Message.Status.choices)
    purposes = dict(Communication.Purpose.choices)
    kinds = dict(Survey.Kind.choices)
    return {
        "daily_channels": charts.chart_daily_by_channel(figures),
        "daily_states": charts.chart_daily_by_state(
            figures, {k: str(v) for k, v in states.items()}
        ),
        "rates": charts.chart_rates(figures),
        "costs": charts.chart_costs(figures, settings.CCM_INSIGHT_CURRENCY),
        "fallbacks": charts.chart_fallbacks(figures) if figures.fallbacks else None,
        "versions": charts.chart_versions(figures) if figures.versions else None,
        "matrix": charts.chart_matrix(figures, {k: str(v) for k, v in purposes.items()}),
        "surveys": [
            (row, charts.chart_survey(row, str(kinds.get(row["kind"], row["kind"]))))
            for row in figures.survey
        ],
    }


def _context(
    request: HttpRequest, form: ScopeForm, figures: Figures, **extra: Any
) -> dict[str, Any]:
    query = request.GET.copy()
    purposes = dict(Communication.Purpose.choices)
    return {
        "matrix_rows": [
            {
                **row,
                "purpose_label": purposes.get(row["purpose"], row["purpose"]),
                "channel_label": charts.channel_label(row["channel"]),
            }
            for row in figures.matrix
        ],
        "fallback_rows": [
            {
                **row,
                "from_label": charts.channel_label(row["from_channel"]),
                "to_label": charts.channel_label(row["to_channel"]),
            }
            for row in figures.fallbacks
        ],
        "form": form,
        "figures": figures,
        "charts": _charts(figures),
        "currency": settings.CCM_INSIGHT_CURRENCY,
        "prices": unit_prices(),
        "query": query.urlencode(),
        "figure_names": FIGURE_NAMES,
        "can_manage": request.user.has_perm(MANAGE_INSIGHT),
        **extra,
    }


@requires(VIEW_INSIGHT)
@require_GET
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    form, scope = _scope(request)
    figures = figures_all(scope=scope)
    communications = Communication.objects.filter(
        versions__in=scope.messages().values("version_id")
    ).distinct()
    # Figures are aggregates over every client; the list of batches is the viewer's own.
    recent_batches = batches_of_client(viewer=request.user).order_by("-created_at")[:10]
    return render(
        request,
        "insight/dashboard.html",
        _context(
            request,
            form,
            figures,
            communications=communications.order_by("name"),
            batches=recent_batches,
        ),
    )


@requires(VIEW_INSIGHT)
@require_GET
def communication_detail(request: AuthenticatedRequest, key: str) -> HttpResponse:
    communication = get_object_or_404(Communication, key=key)
    form, scope = _scope(request, communication_id=communication.pk)
    figures = figures_all(scope=scope)
    survey = Survey.objects.filter(communication=communication, closed_at__isnull=True).first()
    return render(
        request,
        "insight/communication.html",
        _context(
            request,
            form,
            figures,
            communication=communication,
            survey=survey,
            goal_form=GoalForm(),
            survey_form=SurveyForm(instance=survey),
            export_params=f"communication={communication.key}",
        ),
    )


@requires(VIEW_INSIGHT)
@require_GET
def batch_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(Batch.objects.select_related("communication", "version"), pk=pk)
    form, scope = _scope(request, batch_id=batch.pk)
    figures = figures_all(scope=scope)
    return render(
        request,
        "insight/batch.html",
        _context(request, form, figures, batch=batch, export_params=f"batch={batch.pk}"),
    )


@requires(VIEW_INSIGHT)
@require_GET
def export_csv(request: AuthenticatedRequest, figure: str) -> HttpResponse:
    if figure not in FIGURE_NAMES:
        raise Http404(_("There is no figure named %(name)s.") % {"name": figure})
    kwargs: dict[str, Any] = {}
    name = figure
    if request.GET.get("communication"):
        communication = get_object_or_404(Communication, key=request.GET["communication"])
        kwargs["communication_id"] = communication.pk
        name = f"{communication.key}-{figure}"
    if request.GET.get("batch"):
        try:
            batch_id = int(request.GET["batch"])
        except ValueError as exc:
            raise Http404(_("The batch must be a number.")) from exc
        kwargs["batch_id"] = get_object_or_404(Batch, pk=batch_id).pk
        name = f"batch-{batch_id}-{figure}"
    form, scope = _scope(request, **kwargs)
    if form.is_bound and not form.is_valid():
        return HttpResponse(
            "; ".join(str(e) for errors in form.errors.values() for e in errors),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    header, rows = figure_table(figures_all(scope=scope), figure)
    response = HttpResponse(csv_bytes(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="insight-{name}.csv"'
    return response


@requires(MANAGE_INSIGHT)
@require_POST
def goal_add(request: AuthenticatedRequest, key: str) -> HttpResponse:
    communication = get_object_or_404(Communication, key=key)
    form = GoalForm(request.POST)
    if form.is_valid():
        try:
            services.goal_create(
                communication=communication,
                user=request.user,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
        else:
            messages.success(request, _("Goal added."))
    else:
        messages.error(
            request,
            "; ".join(
                f"{form.fields[f].label if f in form.fields else f}: {e}"
                for f, errs in form.errors.items()
                for e in errs
            ),
        )
    return redirect("insight:communication", key=communication.key)


@requires(MANAGE_INSIGHT)
@require_POST
def goal_delete(request: AuthenticatedRequest, key: str, pk: int) -> HttpResponse:
    goal = get_object_or_404(Goal, pk=pk, communication__key=key)
    services.goal_delete(goal=goal)
    messages.success(request, _("Goal removed."))
    return redirect("insight:communication", key=key)


@requires(MANAGE_INSIGHT)
@require_POST
def survey_save(request: AuthenticatedRequest, key: str) -> HttpResponse:
    communication = get_object_or_404(Communication, key=key)
    if request.POST.get("remove"):
        services.survey_remove(communication=communication)
        messages.success(request, _("The communication no longer asks for feedback."))
        return redirect("insight:communication", key=key)
    form = SurveyForm(request.POST)
    if form.is_valid():
        services.survey_set(communication=communication, **form.cleaned_data)
        messages.success(request, _("Survey saved."))
    else:
        messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("insight:communication", key=key)


# THE CUSTOMER'S SIDE --------------------------------------------------------------------


def _refused(request: HttpRequest, exc: SurveyLinkError) -> HttpResponse:
    return render(request, "insight/survey_refused.html", {"reason": exc.reason}, status=exc.status)


@require_http_methods(["GET", "POST"])
def survey_answer(request: HttpRequest, token: str) -> HttpResponse:
    """One click records the score the link carries; the page then offers a comment. A
    link without a score shows every score (SMS short link, QR code on a letter)."""
    try:
        if request.method == "POST":
            form = CommentForm(request.POST)
            if not form.is_valid():
                raise SurveyLinkError(
                    "; ".join(str(e) for errs in form.errors.values() for e in errs)
                )
            services.survey_comment_save(token=token, comment=form.cleaned_data["comment"])
            survey, _message, answer = services.survey_page_read(token=token)
            return render(
                request,
                "insight/survey_thanks.html",
                {"survey": survey, "answer": answer, "commented": True},
            )
        reference, score = token_read(token)
        if score is None:
            survey, _message, answer = services.survey_page_read(token=token)
            low, high = scale_labels(survey.kind)
            return render(
                request,
                "insight/survey_choose.html",
                {
                    "survey": survey,
                    "question": survey.question or default_question(survey.kind),
                    "choices": [(s, survey_url(token_make(reference, s))) for s in survey.scores],
                    "answer": answer,
                    "low": low,
                    "high": high,
                },
            )
        answer = services.survey_answer_record(token=token)
    except SurveyLinkError as exc:
        return _refused(request, exc)
    return render(
        request,
        "insight/survey_thanks.html",
        {
            "survey": answer.survey,
            "answer": answer,
            "form": CommentForm(initial={"comment": answer.comment}),
        },
    )
