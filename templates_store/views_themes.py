"""Brand theme pages: a new theme version, and its editor (colours, fonts, logo) with the
preview of an email and a letter (review steps: views_shared.py)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ccm.views_access import AuthenticatedRequest, requires
from templates_store import shared_previews, shared_selectors, shared_services
from templates_store.locales import request_locale
from templates_store.models import Brand, ThemeVersion
from templates_store.permissions import CHANGE_VERSION, VIEW_COMMUNICATION
from templates_store.shared_forms import ThemeForm
from templates_store.views_shared import (
    review_context,
    shared_pdf_url,
    shared_version_url,
    theme_version_or_404,
)


@require_POST
@requires(CHANGE_VERSION)
def theme_version_create(request: AuthenticatedRequest, brand_pk: int) -> HttpResponse:
    try:
        brand = Brand.objects.get(pk=brand_pk)
    except Brand.DoesNotExist as exc:
        raise Http404 from exc
    version = shared_services.theme_version_create(brand=brand, author=request.user)
    messages.success(
        request, _("Draft theme version %(number)s created.") % {"number": version.number}
    )
    return redirect(shared_version_url(version))


def _theme_page(
    request: AuthenticatedRequest,
    version: ThemeVersion,
    locale: str,
    *,
    form: ThemeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    editable = version.is_editable and request.user.has_perm(CHANGE_VERSION)
    return render(
        request,
        "templates_store/theme_version_detail.html",
        {
            "version": version,
            "brand": version.brand,
            "locale": locale,
            "locales": settings.LANGUAGES,
            "editable": editable,
            "form": form or (ThemeForm(instance=version) if editable else None),
            "previews": shared_previews.theme_preview(version=version, locale=locale),
            "pdf_url": shared_pdf_url("theme", version, locale),
            "preview_id": "preview",
            "uses": shared_selectors.theme_where_used(theme_version=version),
            "fields": [
                (
                    getattr(ThemeVersion._meta.get_field(name), "verbose_name", name),
                    getattr(version, name),
                )
                for name in ThemeVersion.CONTENT_FIELDS
                if name != "logo_data"
            ],
            **review_context(request, version),
        },
        status=status,
    )


@require_GET
@requires(VIEW_COMMUNICATION)
def theme_version_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _theme_page(request, theme_version_or_404(pk), request_locale(request))


@require_POST
@requires(CHANGE_VERSION)
def theme_version_save(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    version = theme_version_or_404(pk)
    locale = request_locale(request)
    form = ThemeForm(request.POST, request.FILES, instance=theme_version_or_404(pk))
    if not form.is_valid():
        messages.error(request, _("Nothing was saved: correct the fields marked below."))
        return _theme_page(request, version, locale, form=form, status=400)
    fields = {name: form.cleaned_data[name] for name in ThemeForm.Meta.fields}
    try:
        upload = form.cleaned_data.get("logo")
        if upload is not None:
            fields["logo_data"] = shared_services.logo_data_url(
                content=upload.read(shared_services.LOGO_MAX_BYTES + 1)
            )
        elif form.cleaned_data.get("remove_logo"):
            fields["logo_data"] = ""
        shared_services.theme_version_save(version=version, **fields)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for name, errors in exc.error_dict.items():
                form.add_error("logo" if name == "logo_data" else name, errors)
        else:
            form.add_error(None, exc)
        messages.error(request, _("Nothing was saved: correct the fields marked below."))
        return _theme_page(request, version, locale, form=form, status=400)
    messages.success(request, _("Saved."))
    return redirect(shared_version_url(version, locale))
