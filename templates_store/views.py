"""Pages for communication designers and approvers: catalogue, editor with live preview,
test sends, review with diff and approval (publishing is in publishing_views.py). Logic
lives in services, selectors, previews and diffs; the views only check permissions, parse
forms and pick templates."""

import json
import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ccm.views_access import AuthenticatedRequest, requires
from ccm.vocabulary import Channel
from rendering.render import RenderError
from templates_store import diffs, previews, selectors, services
from templates_store.diagnostics import SYNTAX, Diagnostic, content_diagnostics
from templates_store.forms import (
    VARIANT_FORMS,
    CommunicationForm,
    ReviewForm,
    SampleDataForm,
    TestSendForm,
)
from templates_store.lint import ERROR, version_lint
from templates_store.matrix import owner_teams
from templates_store.models import Communication, TemplateVersion
from templates_store.palette import palette_blocks, palette_for
from templates_store.test_recipients import test_recipients_for, test_sends_for_version

VIEW_COMMUNICATION = "templates_store.view_communication"
ADD_COMMUNICATION = "templates_store.add_communication"
VIEW_VERSION = "templates_store.view_templateversion"
ADD_VERSION = "templates_store.add_templateversion"
CHANGE_VERSION = "templates_store.change_templateversion"
SUBMIT_VERSION = "templates_store.submit_templateversion"
REVIEW_VERSION = "templates_store.review_templateversion"
PUBLISH_VERSION = "templates_store.publish_templateversion"

LOCALES = [code for code, _name in settings.LANGUAGES]
PRINT_DRAFT_SESSION_KEY = "templates_store:print-draft:{version}:{locale}"


def _version_or_404(pk: int) -> TemplateVersion:
    try:
        return selectors.version_with_content(pk=pk)
    except TemplateVersion.DoesNotExist as exc:
        raise Http404 from exc


def _locale(request: AuthenticatedRequest) -> str:
    locale = request.GET.get("locale") or request.POST.get("locale") or ""
    return locale if locale in LOCALES else LOCALES[0]


def _version_url(version: TemplateVersion, locale: str) -> str:
    return f"{reverse('templates_store:version_detail', args=[version.pk])}?locale={locale}"


def _error_messages(request: AuthenticatedRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _test_send_form(
    user: User, version: TemplateVersion, locale: str, data: Any = None
) -> TestSendForm:
    """The test-send form of ``version``'s page, offering the user's allowed recipients."""
    recipients = [
        (r.channel, r.address, r.label) for r in test_recipients_for(user=user, version=version)
    ]
    return TestSendForm(data, recipients=recipients, initial={"locale": locale})


def _pretty_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def _pdf_url(version: TemplateVersion, locale: str, *, draft: bool = False) -> str:
    url = f"{reverse('templates_store:version_preview_pdf', args=[version.pk])}?locale={locale}"
    # A new address each time, so that the frame reloads when the letter changes.
    return f"{url}&draft=1&t={time.time_ns()}" if draft else url


# CATALOGUE ----------------------------------------------------------------------------


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
            "schema_json": _pretty_json(communication.data_schema),
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


# EDITOR AND PREVIEW -------------------------------------------------------------------


def _variant_forms(version: TemplateVersion, locale: str, data: Any = None) -> dict[str, Any]:
    variants = selectors.variants_by_key(version=version)
    forms = {}
    for channel, form_class in VARIANT_FORMS.items():
        variant = variants.get((channel, locale))
        initial = (
            {name: getattr(variant, name) for name in form_class.base_fields} if variant else {}
        )
        forms[channel] = form_class(
            data,
            prefix=channel,
            initial=initial,
            empty_permitted=variant is None,
            use_required_attribute=False,
        )
    return forms


# The htmx event that carries the preview's errors to the editor (see studio.js).
DIAGNOSTICS_EVENT = "ccm:diagnostics"
TEMPLATE_FIELDS = ("subject", "body_html", "body_text")


def _sample_data_diagnostics(form: SampleDataForm) -> list[dict[str, Any]]:
    """The sample data's problems, with the line of a JSON syntax error."""
    if not form.is_bound or form.is_valid():
        return []
    return [
        Diagnostic(
            channel="",
            field="sample_data",
            line=(error.params or {}).get("line"),
            kind=SYNTAX if error.code == "invalid_json" else "data",
            message=" ".join(error.messages),
        ).as_dict()
        for error in form.errors.as_data().get("sample_data", [])
    ]


def _diagnostics_payload(
    version: TemplateVersion,
    contents: dict[str, dict[str, str]],
    errors: dict[str, Any],
    sample_form: SampleDataForm | None = None,
) -> dict[str, Any]:
    """What the editor marks inline, per channel: ``contents`` maps each channel to its
    fields' source, ``errors`` each channel to its preview's render error (or None); with
    ``sample_form``, the sample data's problems too (under ``fields``)."""
    schema = version.communication.data_schema or {}
    blocks = {b.key for b in palette_blocks(brand=version.communication.brand)}
    fields = {} if sample_form is None else {"sample_data": _sample_data_diagnostics(sample_form)}
    return {
        "fields": fields,
        "channels": {
            channel: [
                d.as_dict()
                for d in content_diagnostics(
                    channel=channel,
                    fields=fields,
                    schema=schema,
                    blocks=blocks,
                    render_error=errors.get(channel),
                )
            ]
            for channel, fields in contents.items()
        },
    }


def _version_page(
    request: AuthenticatedRequest,
    version: TemplateVersion,
    locale: str,
    *,
    variant_forms: dict[str, Any] | None = None,
    sample_form: SampleDataForm | None = None,
    test_send_form: TestSendForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    editable = version.is_editable and user.has_perm(CHANGE_VERSION)
    variants = selectors.variants_by_key(version=version)
    channel_previews = previews.preview_version(version=version, locale=locale)
    errors = {p.channel: p.error for p in channel_previews if p.error is not None}
    editor = []
    diagnostics = None
    if editable:
        variant_forms = variant_forms or _variant_forms(version, locale)
        sample_form = sample_form or SampleDataForm(initial={"sample_data": version.sample_data})
        diagnostics = _diagnostics_payload(
            version,
            {
                channel: {name: form[name].value() or "" for name in form.fields}
                for channel, form in variant_forms.items()
            },
            {} if sample_form.is_bound else errors,
            sample_form,
        )
        for channel, label in Channel.choices:
            form = variant_forms[channel]
            error = None if form.is_bound else errors.get(channel)
            field_names = set(form.fields)
            editor.append(
                {
                    "channel": channel,
                    "label": label,
                    "form": form,
                    "exists": (channel, locale) in variants,
                    "error": error,
                    "error_on_field": bool(error and error.field in field_names),
                }
            )
    return render(
        request,
        "templates_store/version_detail.html",
        {
            "version": version,
            "communication": version.communication,
            "locale": locale,
            "locales": settings.LANGUAGES,
            "editable": editable,
            "editor": editor,
            "diagnostics": diagnostics,
            "palette": (
                palette_for(
                    schema=version.communication.data_schema, brand=version.communication.brand
                )
                if editable
                else None
            ),
            "sample_form": sample_form,
            "sample_json": _pretty_json(version.sample_data),
            "readonly_variants": [
                {
                    "label": label,
                    "variant": variants.get((channel, locale)),
                    "error": errors.get(channel),
                }
                for channel, label in Channel.choices
            ],
            "coverage": sorted(variants),
            "previews": channel_previews,
            "pdf_url": _pdf_url(version, locale),
            "test_send_form": test_send_form or _test_send_form(user, version, locale),
            "can_test_send": user.has_perm(SUBMIT_VERSION) or user.has_perm(CHANGE_VERSION),
            "can_submit": version.is_editable and user.has_perm(SUBMIT_VERSION),
            "can_review": user.has_perm(REVIEW_VERSION),
            "events": version.events.all(),
            "test_sends": test_sends_for_version(version=version),
        },
        status=status,
    )


@require_GET
@requires(VIEW_VERSION)
def version_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    version = _version_or_404(pk)
    return _version_page(request, version, _locale(request))


@require_POST
@requires(CHANGE_VERSION)
def version_save(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Save the sample data and the three channels of one locale, all or nothing."""
    version = _version_or_404(pk)
    locale = _locale(request)
    if not version.is_editable:
        messages.error(request, _("Only a draft can be changed; create a new draft instead."))
        return redirect(_version_url(version, locale))
    sample_form = SampleDataForm(request.POST)
    variant_forms = _variant_forms(version, locale, request.POST)
    valid = sample_form.is_valid() & all([f.is_valid() for f in variant_forms.values()])
    if not valid:
        messages.error(request, _("Nothing was saved: correct the fields marked below."))
        return _version_page(
            request,
            version,
            locale,
            variant_forms=variant_forms,
            sample_form=sample_form,
            status=400,
        )
    existing = selectors.variants_by_key(version=version)
    try:
        services.version_sample_data_save(
            version=version, sample_data=sample_form.cleaned_data["sample_data"]
        )
        for channel, form in variant_forms.items():
            if (channel, locale) not in existing and not form.has_changed():
                continue
            services.variant_save(
                version=version, channel=channel, locale=locale, **form.cleaned_data
            )
    except ValidationError as exc:
        _error_messages(request, exc)
    else:
        messages.success(request, _("Saved."))
    return redirect(_version_url(version, locale))


@require_POST
@requires(CHANGE_VERSION)
def variant_delete(
    request: AuthenticatedRequest, pk: int, channel: str, locale: str
) -> HttpResponse:
    version = _version_or_404(pk)
    if channel not in Channel.values or locale not in LOCALES:
        raise Http404
    try:
        services.variant_delete(version=version, channel=channel, locale=locale)
    except ValidationError as exc:
        _error_messages(request, exc)
    else:
        messages.success(
            request,
            _("%(channel)s content in %(locale)s removed.")
            % {"channel": Channel(channel).label, "locale": locale},
        )
    return redirect(_version_url(version, locale))


@require_POST
@requires(CHANGE_VERSION)
def version_preview_live(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Render the editor's unsaved content (htmx): every channel of the locale, or only the
    channel named by ``only``. Returns an HTML fragment; the errors of each rendered
    channel, by field and line, travel in its ``HX-Trigger`` header (``ccm:diagnostics``)."""
    version = _version_or_404(pk)
    locale = _locale(request)
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
            pdf_url = _pdf_url(version, locale, draft=True)
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
    payload = _diagnostics_payload(
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
    version = _version_or_404(pk)
    locale = _locale(request)
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


@require_GET
@requires(VIEW_VERSION)
def version_checks(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The lint issues of the saved version (an htmx fragment, loaded after the page:
    checking letters renders their PDFs)."""
    version = _version_or_404(pk)
    issues = version_lint(version=version)
    return render(
        request,
        "templates_store/_checks.html",
        {
            "version": version,
            "issues": issues,
            "error_count": sum(1 for issue in issues if issue.level == ERROR),
        },
    )


@require_POST
@requires(SUBMIT_VERSION)
def version_submit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    version = _version_or_404(pk)
    try:
        services.version_submit(version=version, actor=request.user)
    except ValidationError as exc:
        messages.error(request, _("The version was not submitted:"))
        _error_messages(request, exc)
    else:
        messages.success(request, _("Submitted for review. It can no longer be changed."))
    return redirect(_version_url(version, _locale(request)))


# REVIEW -------------------------------------------------------------------------------


@require_GET
@requires(REVIEW_VERSION)
def review_list(request: AuthenticatedRequest) -> HttpResponse:
    versions = selectors.version_list_for_review().order_by("submitted_at", "pk")
    return render(request, "templates_store/review_list.html", {"versions": versions})


@require_GET
@requires(REVIEW_VERSION)
def review_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    version = _version_or_404(pk)
    locale = _locale(request)
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
            "old_pdf_url": _pdf_url(base, locale) if base else "",
            "new_previews": previews.preview_version(version=version, locale=locale),
            "new_pdf_url": _pdf_url(version, locale),
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
    version = _version_or_404(pk)
    form = ReviewForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        services.version_approve(version=version, actor=request.user, comment=comment)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        _error_messages(request, exc)
    else:
        messages.success(request, _("Version %(number)s approved.") % {"number": version.number})
    return redirect(_review_url(version))


@require_POST
@requires(REVIEW_VERSION)
def version_reject(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    version = _version_or_404(pk)
    form = ReviewForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        services.version_reject(version=version, actor=request.user, comment=comment)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        _error_messages(request, exc)
    else:
        messages.success(
            request, _("Version %(number)s sent back to draft.") % {"number": version.number}
        )
    return redirect(_review_url(version))
