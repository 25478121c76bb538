"""Block pages: creating a block, its page with versions and where it is used, and the
editor of a block version with its live preview (review steps: views_shared.py)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ccm.views_access import AuthenticatedRequest, requires
from ccm.vocabulary import Channel
from templates_store import shared_previews, shared_selectors, shared_services
from templates_store.locales import LOCALES, request_locale
from templates_store.models import Block, BlockVersion
from templates_store.permissions import CHANGE_VERSION, VIEW_COMMUNICATION
from templates_store.shared_forms import BlockContentForm, BlockForm
from templates_store.views_shared import (
    block_version_or_404,
    review_context,
    shared_pdf_url,
    shared_version_url,
)


@require_http_methods(["GET", "POST"])
@requires(CHANGE_VERSION)
def block_create(request: AuthenticatedRequest) -> HttpResponse:
    form = BlockForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            block = shared_services.block_create(**form.cleaned_data, author=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Block created with an empty draft, version 1."))
            return redirect(shared_version_url(block.versions.get()))
    return render(request, "templates_store/block_form.html", {"form": form})


@require_GET
@requires(VIEW_COMMUNICATION)
def block_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    try:
        block = shared_selectors.block_get(pk=pk)
    except Block.DoesNotExist as exc:
        raise Http404 from exc
    return render(
        request,
        "templates_store/block_detail.html",
        {
            "the_block": block,
            "versions": block.versions.select_related("author", "approved_by"),
            "uses": shared_selectors.block_where_used(block=block),
            "can_edit": request.user.has_perm(CHANGE_VERSION),
        },
    )


@require_POST
@requires(CHANGE_VERSION)
def block_version_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    try:
        block = shared_selectors.block_get(pk=pk)
    except Block.DoesNotExist as exc:
        raise Http404 from exc
    version = shared_services.block_version_create(block=block, author=request.user)
    messages.success(request, _("Draft version %(number)s created.") % {"number": version.number})
    return redirect(shared_version_url(version))


def _block_page(
    request: AuthenticatedRequest,
    version: BlockVersion,
    locale: str,
    *,
    form: BlockContentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    editable = version.is_editable and request.user.has_perm(CHANGE_VERSION)
    contents = {(c.channel, c.locale): c.body for c in version.contents.all()}
    return render(
        request,
        "templates_store/block_version_detail.html",
        {
            "version": version,
            "the_block": version.block,
            "locale": locale,
            "locales": settings.LANGUAGES,
            "editable": editable,
            "form": form or (BlockContentForm(version=version) if editable else None),
            "contents": [
                {"channel": label, "locale": code, "body": contents.get((channel, code), "")}
                for channel, label in Channel.choices
                for code in LOCALES
            ],
            "previews": shared_previews.block_preview(version=version, locale=locale),
            "pdf_url": shared_pdf_url("block", version, locale),
            "preview_id": "preview",
            "impacts": shared_selectors.block_version_impact(version=version),
            "published": shared_selectors.block_version_published(block=version.block),
            **review_context(request, version),
        },
        status=status,
    )


@require_GET
@requires(VIEW_COMMUNICATION)
def block_version_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _block_page(request, block_version_or_404(pk), request_locale(request))


@require_POST
@requires(CHANGE_VERSION)
def block_version_save(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    version = block_version_or_404(pk)
    locale = request_locale(request)
    form = BlockContentForm(request.POST, version=version)
    if not form.is_valid():
        messages.error(request, _("Nothing was saved: correct the fields marked below."))
        return _block_page(request, version, locale, form=form, status=400)
    try:
        for (channel, code), body in form.bodies().items():
            shared_services.block_content_save(
                version=version, channel=channel, locale=code, body=body
            )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Saved."))
    return redirect(shared_version_url(version, locale))


@require_POST
@requires(CHANGE_VERSION)
def block_version_preview(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The editor's unsaved content inserted in the layouts (an htmx fragment)."""
    version = block_version_or_404(pk)
    locale = request_locale(request)
    form = BlockContentForm(request.POST, version=version)
    form.is_valid()
    previews = shared_previews.block_preview(version=version, locale=locale, bodies=form.bodies())
    return render(
        request,
        "templates_store/_preview.html",
        {"previews": previews, "preview_id": "preview", "pdf_url": "", "live": True},
    )
