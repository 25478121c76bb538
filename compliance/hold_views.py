"""Legal holds: the list, placing one and releasing one (with a reason)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ccm.views_access import AuthenticatedRequest, requires
from compliance.forms import LegalHoldForm, ReasonForm
from compliance.models import LegalHold
from compliance.retention import legal_hold_create, legal_hold_release
from compliance.selectors.evidence import legal_hold_list

VIEW_HOLD = "compliance.view_legalhold"
MANAGE_HOLD = "compliance.manage_legalhold"
PAGE_SIZE = 50


def _hold_page(
    request: AuthenticatedRequest,
    *,
    form: LegalHoldForm | None = None,
    release: tuple[int, ReasonForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    page = Paginator(legal_hold_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    release_hold, release_form = release if release else (None, ReasonForm())
    return render(
        request,
        "compliance/hold_list.html",
        {
            "page": page,
            "form": form or LegalHoldForm(),
            "release_hold": release_hold,
            "release_form": release_form,
            "can_manage": request.user.has_perm(MANAGE_HOLD),
        },
        status=status,
    )


@requires(VIEW_HOLD)
@require_GET
def hold_list(request: AuthenticatedRequest) -> HttpResponse:
    return _hold_page(request)


@requires(MANAGE_HOLD)
@require_POST
def hold_create(request: AuthenticatedRequest) -> HttpResponse:
    form = LegalHoldForm(request.POST)
    if form.is_valid():
        try:
            hold = legal_hold_create(owner=request.user, **form.hold_criteria())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Legal hold #%(id)s placed.") % {"id": hold.pk})
            return redirect("compliance:hold_list")
    return _hold_page(request, form=form, status=400)


@requires(MANAGE_HOLD)
@require_POST
def hold_release(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    hold = get_object_or_404(LegalHold, pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _hold_page(request, release=(hold.pk, form), status=400)
    if not hold.is_active:
        messages.error(request, _("Legal hold #%(id)s is already released.") % {"id": hold.pk})
        return redirect("compliance:hold_list")
    legal_hold_release(hold=hold, actor=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, _("Legal hold #%(id)s released.") % {"id": hold.pk})
    return redirect("compliance:hold_list")
