"""Pages for shared content: blocks (header, footer, legal text, signature...) and brand
themes. This module holds the list of both, their review steps (submit, approve, reject,
publish) and their PDF letter; the editors are views_blocks.py and views_themes.py.
Blocks and themes use the permissions of communication versions: designers edit and
submit, approvers review and publish. Logic lives in shared_services / shared_selectors /
shared_previews."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from ccm.views_access import AuthenticatedRequest, requires, requires_any
from rendering.exceptions import RenderError
from templates_store import shared_previews, shared_selectors, shared_services
from templates_store.forms import ReviewForm
from templates_store.locales import request_locale
from templates_store.models import BlockVersion, Brand, SharedVersion, ThemeVersion
from templates_store.permissions import (
    CHANGE_VERSION,
    PUBLISH_VERSION,
    REVIEW_VERSION,
    SUBMIT_VERSION,
    VIEW_COMMUNICATION,
)

Status = BlockVersion.Status
KINDS = ("block", "theme")


def block_version_or_404(pk: int) -> BlockVersion:
    try:
        return shared_selectors.block_version_get(pk=pk)
    except BlockVersion.DoesNotExist as exc:
        raise Http404 from exc


def theme_version_or_404(pk: int) -> ThemeVersion:
    try:
        return shared_selectors.theme_version_get(pk=pk)
    except ThemeVersion.DoesNotExist as exc:
        raise Http404 from exc


def _shared_version_or_404(kind: str, pk: int) -> BlockVersion | ThemeVersion:
    if kind == "block":
        return block_version_or_404(pk)
    if kind == "theme":
        return theme_version_or_404(pk)
    raise Http404


def shared_version_url(version: SharedVersion, locale: str = "") -> str:
    name = "block_version_detail" if isinstance(version, BlockVersion) else "theme_version_detail"
    url = reverse(f"templates_store:{name}", args=[version.pk])
    return f"{url}?locale={locale}" if locale else url


def shared_pdf_url(kind: str, version: SharedVersion, locale: str) -> str:
    url = reverse("templates_store:shared_version_pdf", args=[kind, version.pk])
    return f"{url}?locale={locale}"


def review_context(
    request: AuthenticatedRequest, version: BlockVersion | ThemeVersion
) -> dict[str, Any]:
    user = request.user
    is_author = version.author_id == user.pk
    return {
        "is_author": is_author,
        "can_submit": version.is_editable and user.has_perm(SUBMIT_VERSION),
        "can_decide": not is_author
        and version.status == Status.IN_REVIEW
        and user.has_perm(REVIEW_VERSION),
        "can_publish": user.has_perm(PUBLISH_VERSION)
        and version.status in (Status.APPROVED, Status.RETIRED)
        and version.approved_at is not None,
        "review_form": ReviewForm(),
        "events": version.events.all(),
    }


@require_GET
@requires(VIEW_COMMUNICATION)
def shared_list(request: AuthenticatedRequest) -> HttpResponse:
    """Every block and every brand's theme, and what is waiting for review."""
    search = request.GET.get("q", "")
    blocks = list(shared_selectors.block_list(search=search))
    rows = []
    for block in blocks:
        versions = list(block.versions.all())
        rows.append(
            {
                "item": block,
                "latest": versions[0] if versions else None,
                "published": next((v for v in versions if v.status == Status.PUBLISHED), None),
            }
        )
    brands = []
    for brand in Brand.objects.order_by("name"):
        themes = list(shared_selectors.theme_versions(brand=brand))
        brands.append(
            {
                "brand": brand,
                "latest": themes[0] if themes else None,
                "published": next((t for t in themes if t.status == Status.PUBLISHED), None),
            }
        )
    return render(
        request,
        "templates_store/shared_list.html",
        {
            "rows": rows,
            "brands": brands,
            "search": search,
            "block_reviews": shared_selectors.block_versions_for_review(),
            "theme_reviews": shared_selectors.theme_versions_for_review(),
            "can_edit": request.user.has_perm(CHANGE_VERSION),
            "block_call_example": '{{ block("legal") }}',
            "theme_example": "{{ theme.primary_color }}",
        },
    )


@require_POST
@requires_any(SUBMIT_VERSION, REVIEW_VERSION, PUBLISH_VERSION)
def shared_version_action(
    request: AuthenticatedRequest, kind: str, pk: int, action: str
) -> HttpResponse:
    """submit / approve / reject / publish a block or theme version."""
    needed = {
        "submit": SUBMIT_VERSION,
        "approve": REVIEW_VERSION,
        "reject": REVIEW_VERSION,
        "publish": PUBLISH_VERSION,
    }
    if action not in needed:
        raise Http404
    if not request.user.has_perm(needed[action]):
        raise PermissionDenied
    version = _shared_version_or_404(kind, pk)
    form = ReviewForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    user = request.user
    try:
        if action == "submit":
            shared_services.shared_version_submit(version=version, actor=user)
            done = _("Submitted for review. It can no longer be changed.")
        elif action == "approve":
            shared_services.shared_version_approve(version=version, actor=user, comment=comment)
            done = _("Version %(number)s approved.") % {"number": version.number}
        elif action == "reject":
            shared_services.shared_version_reject(version=version, actor=user, comment=comment)
            done = _("Version %(number)s sent back to draft.") % {"number": version.number}
        else:
            shared_services.shared_version_publish(version=version, actor=user, comment=comment)
            done = _("Version %(number)s published.") % {"number": version.number}
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    return redirect(shared_version_url(version, request_locale(request)))


@xframe_options_sameorigin
@require_GET
@requires(VIEW_COMMUNICATION)
def shared_version_pdf(request: AuthenticatedRequest, kind: str, pk: int) -> HttpResponse:
    """The saved block (or a sample letter with the theme) as a PDF letter."""
    version = _shared_version_or_404(kind, pk)
    locale = request_locale(request)
    try:
        if isinstance(version, BlockVersion):
            pdf = shared_previews.block_preview_pdf(version=version, locale=locale)
        else:
            pdf = shared_previews.theme_preview_pdf(version=version, locale=locale)
    except RenderError as exc:
        return render(request, "templates_store/preview_pdf_error.html", {"error": exc}, status=422)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{kind}-{version.pk}-{locale}.pdf"'
    return response
