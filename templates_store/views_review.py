"""Review of a submitted version: the queue, the page with the diff against the version it
replaces and both previews, approval and rejection (publishing is in
publishing_views.py)."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ccm.views_access import AuthenticatedRequest, requires
from templates_store import diffs, previews, selectors, services
from templates_store.forms import ReviewForm
from templates_store.locales import request_locale
from templates_store.models import TemplateVersion
from templates_store.permissions import PUBLISH_VERSION, REVIEW_VERSION
from templates_store.test_recipients import test_sends_for_version
from templates_store.views_versions import (
    letter_pdf_url,
    validation_errors_show,
    version_or_404,
)


@require_GET
@requires(REVIEW_VERSION)
def review_list(request: AuthenticatedRequest) -> HttpResponse:
    versions = selectors.version_list_for_review().order_by("submitted_at", "pk")
    return render(request, "templates_store/review_list.html", {"versions": versions})


@require_GET
@requires(REVIEW_VERSION)
def review_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    version = version_or_404(pk)
    locale = request_locale(request)
    base = selectors.version_compare_base(version=version)
    is_author = version.author_id == request.user.pk
    return render(
        request,
        "templates_store/review_detail.html",
        {
            "version": version,
            "communication": version.communication,
            "base": base,
            "diffs": diffs.version_diff(old=base, new=version),
            "locale": locale,
            "locales": settings.LANGUAGES,
            "old_previews": previews.preview_version(version=base, locale=locale) if base else None,
            "old_pdf_url": letter_pdf_url(base, locale) if base else "",
            "new_previews": previews.preview_version(version=version, locale=locale),
            "new_pdf_url": letter_pdf_url(version, locale),
            "events": version.events.all(),
            "test_sends": test_sends_for_version(version=version),
            "is_author": is_author,
            "can_decide": not is_author and version.status == TemplateVersion.Status.IN_REVIEW,
            # A retired version can be published again (a rollback); it keeps its approval.
            "can_publish": request.user.has_perm(PUBLISH_VERSION)
            and version.status in (TemplateVersion.Status.APPROVED, TemplateVersion.Status.RETIRED),
            "form": ReviewForm(),
        },
    )


def _review_url(version: TemplateVersion) -> str:
    return reverse("templates_store:review_detail", args=[version.pk])


@require_POST
@requires(REVIEW_VERSION)
def version_approve(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    version = version_or_404(pk)
    form = ReviewForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        services.version_approve(version=version, actor=request.user, comment=comment)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        validation_errors_show(request, exc)
    else:
        messages.success(request, _("Version %(number)s approved.") % {"number": version.number})
    return redirect(_review_url(version))


@require_POST
@requires(REVIEW_VERSION)
def version_reject(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    version = version_or_404(pk)
    form = ReviewForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        services.version_reject(version=version, actor=request.user, comment=comment)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        validation_errors_show(request, exc)
    else:
        messages.success(
            request, _("Version %(number)s sent back to draft.") % {"number": version.number}
        )
    return redirect(_review_url(version))
