"""The editor's previews: the live preview of unsaved content (an htmx fragment that
carries the errors to mark) and the letter as a PDF."""

import json

from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from ccm.views_access import AuthenticatedRequest, requires
from ccm.vocabulary import Channel
from rendering.exceptions import RenderError
from templates_store import previews
from templates_store.forms import VARIANT_FORMS, SampleDataForm
from templates_store.locales import request_locale
from templates_store.permissions import CHANGE_VERSION, VIEW_VERSION
from templates_store.views_versions import (
    PRINT_DRAFT_SESSION_KEY,
    diagnostics_payload,
    letter_pdf_url,
    version_or_404,
)

# The htmx event that carries the preview's errors to the editor (see studio.js).
DIAGNOSTICS_EVENT = "ccm:diagnostics"
TEMPLATE_FIELDS = ("subject", "body_html", "body_text")


@require_POST
@requires(CHANGE_VERSION)
def version_preview_live(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Render the editor's unsaved content (htmx): every channel of the locale, or only the
    channel named by ``only``. Returns an HTML fragment; the errors of each rendered
    channel, by field and line, travel in its ``HX-Trigger`` header (``ccm:diagnostics``)."""
    version = version_or_404(pk)
    locale = request_locale(request)
    only = request.POST.get("only", "")
    if only and only not in Channel.values:
        return HttpResponseBadRequest("unknown channel")
    channels = [only] if only else list(Channel.values)
    sample_form = SampleDataForm(request.POST)
    brand = version.communication.brand
    channel_previews = []
    contents: dict[str, dict[str, str]] = {}
    pdf_url = ""
    for channel in channels:
        if not sample_form.is_valid():
            problem = "; ".join(str(e) for e in sample_form.errors.get("sample_data", []))
            channel_previews.append(
                previews.ChannelPreview(
                    channel=channel,
                    locale=locale,
                    error=RenderError(_("Sample data: %(problem)s") % {"problem": problem}),
                )
            )
            continue
        data = sample_form.cleaned_data["sample_data"]
        content = {name: request.POST.get(f"{channel}-{name}", "") for name in TEMPLATE_FIELDS}
        contents[channel] = {
            name: content[name] for name in VARIANT_FORMS[channel].base_fields if name in content
        }
        preview = previews.preview_content(
            brand=brand, channel=channel, locale=locale, data=data, **content
        )
        channel_previews.append(preview)
        if channel == Channel.PRINT and preview.rendered is not None:
            request.session[PRINT_DRAFT_SESSION_KEY.format(version=version.pk, locale=locale)] = {
                "subject": content["subject"],
                "body_html": content["body_html"],
                "data": data,
            }
            pdf_url = letter_pdf_url(version, locale, draft=True)
    context = {
        "previews": channel_previews,
        "preview_id": "preview",
        "pdf_url": pdf_url,
        "live": True,
    }
    if only:
        response = render(
            request, "templates_store/_preview_channel.html", {**context, "p": channel_previews[0]}
        )
    else:
        response = render(request, "templates_store/_preview.html", context)
    # The editor marks these errors on their lines (an htmx event; ASCII-only JSON, as
    # headers must be).
    payload = diagnostics_payload(
        version,
        contents,
        {p.channel: p.error for p in channel_previews if p.error is not None},
        sample_form,
    )
    response["HX-Trigger"] = json.dumps({DIAGNOSTICS_EVENT: payload})
    return response


@xframe_options_sameorigin
@require_GET
@requires(VIEW_VERSION)
def version_preview_pdf(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The letter as a PDF (inline): the saved content, or with ``draft=1`` the unsaved
    content last previewed in the editor by this user."""
    version = version_or_404(pk)
    locale = request_locale(request)
    draft = None
    if request.GET.get("draft") and request.user.has_perm(CHANGE_VERSION):
        draft = request.session.get(
            PRINT_DRAFT_SESSION_KEY.format(version=version.pk, locale=locale)
        )
    try:
        if draft:
            pdf = previews.preview_pdf_content(
                brand=version.communication.brand,
                locale=locale,
                subject=draft["subject"],
                body_html=draft["body_html"],
                data=draft["data"],
            )
        else:
            pdf = previews.preview_pdf_version(version=version, locale=locale)
    except RenderError as exc:
        return render(request, "templates_store/preview_pdf_error.html", {"error": exc}, status=422)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"{version.communication.key}-v{version.number}-{locale}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
