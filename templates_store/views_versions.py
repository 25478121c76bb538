"""The version page: the editor of a draft (sample data and each channel's content per
locale, marked with the preview's errors by field and line), a read-only version,
its checks and its submission for review. Logic lives in services, selectors, previews
and diagnostics; the views only check permissions, parse forms and pick templates."""

import json
import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ccm.views_access import AuthenticatedRequest, requires
from ccm.vocabulary import Channel
from templates_store import previews, selectors, services
from templates_store.diagnostics import SYNTAX, Diagnostic, content_diagnostics
from templates_store.forms import VARIANT_FORMS, SampleDataForm, TestSendForm
from templates_store.lint import ERROR, version_lint
from templates_store.locales import LOCALES, request_locale
from templates_store.models import TemplateVersion
from templates_store.palette import palette_blocks, palette_for
from templates_store.permissions import CHANGE_VERSION, REVIEW_VERSION, SUBMIT_VERSION, VIEW_VERSION
from templates_store.test_recipients import test_recipients_for, test_sends_for_version

PRINT_DRAFT_SESSION_KEY = "templates_store:print-draft:{version}:{locale}"


def version_or_404(pk: int) -> TemplateVersion:
    try:
        return selectors.version_with_content(pk=pk)
    except TemplateVersion.DoesNotExist as exc:
        raise Http404 from exc


def version_url(version: TemplateVersion, locale: str) -> str:
    return f"{reverse('templates_store:version_detail', args=[version.pk])}?locale={locale}"


def validation_errors_show(request: AuthenticatedRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def test_send_form_for(
    user: User, version: TemplateVersion, locale: str, data: Any = None
) -> TestSendForm:
    """The test-send form of ``version``'s page, offering the user's allowed recipients."""
    recipients = [
        (r.channel, r.address, r.label) for r in test_recipients_for(user=user, version=version)
    ]
    return TestSendForm(data, recipients=recipients, initial={"locale": locale})


def pretty_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def letter_pdf_url(version: TemplateVersion, locale: str, *, draft: bool = False) -> str:
    url = f"{reverse('templates_store:version_preview_pdf', args=[version.pk])}?locale={locale}"
    # A new address each time, so that the frame reloads when the letter changes.
    return f"{url}&draft=1&t={time.time_ns()}" if draft else url


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


def diagnostics_payload(
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


def version_page(
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
        diagnostics = diagnostics_payload(
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
            "sample_json": pretty_json(version.sample_data),
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
            "pdf_url": letter_pdf_url(version, locale),
            "test_send_form": test_send_form or test_send_form_for(user, version, locale),
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
    version = version_or_404(pk)
    return version_page(request, version, request_locale(request))


@require_POST
@requires(CHANGE_VERSION)
def version_save(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Save the sample data and the three channels of one locale, all or nothing."""
    version = version_or_404(pk)
    locale = request_locale(request)
    if not version.is_editable:
        messages.error(request, _("Only a draft can be changed; create a new draft instead."))
        return redirect(version_url(version, locale))
    sample_form = SampleDataForm(request.POST)
    variant_forms = _variant_forms(version, locale, request.POST)
    valid = sample_form.is_valid() & all([f.is_valid() for f in variant_forms.values()])
    if not valid:
        messages.error(request, _("Nothing was saved: correct the fields marked below."))
        return version_page(
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
        validation_errors_show(request, exc)
    else:
        messages.success(request, _("Saved."))
    return redirect(version_url(version, locale))


@require_POST
@requires(CHANGE_VERSION)
def variant_delete(
    request: AuthenticatedRequest, pk: int, channel: str, locale: str
) -> HttpResponse:
    version = version_or_404(pk)
    if channel not in Channel.values or locale not in LOCALES:
        raise Http404
    try:
        services.variant_delete(version=version, channel=channel, locale=locale)
    except ValidationError as exc:
        validation_errors_show(request, exc)
    else:
        messages.success(
            request,
            _("%(channel)s content in %(locale)s removed.")
            % {"channel": Channel(channel).label, "locale": locale},
        )
    return redirect(version_url(version, locale))


@require_GET
@requires(VIEW_VERSION)
def version_checks(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The lint issues of the saved version (an htmx fragment, loaded after the page:
    checking letters renders their PDFs)."""
    version = version_or_404(pk)
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
    version = version_or_404(pk)
    try:
        services.version_submit(version=version, actor=request.user)
    except ValidationError as exc:
        messages.error(request, _("The version was not submitted:"))
        validation_errors_show(request, exc)
    else:
        messages.success(request, _("Submitted for review. It can no longer be changed."))
    return redirect(version_url(version, request_locale(request)))
