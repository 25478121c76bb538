"""Test sends from the version page, and the *Test recipients* page where a designer
sees who may receive their tests and verifies a mobile number with a one-time code.

Who may receive a test, the per-user budget and the log are in
``channels.services.test_sends`` and ``templates_store.test_recipients``; these views parse
forms and show the service's refusal under the field it is about. The routes keep the
studio's names (``templates_store:version_test_send``, ``templates_store:test_recipients``,
channels/test_send_urls.py)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ccm.views_access import AuthenticatedRequest, requires_any
from ccm.vocabulary import Channel
from channels.exceptions import DeliveryError
from channels.services.test_sends import phone_verification_start, version_test_send
from rendering.exceptions import RenderError
from templates_store import previews
from templates_store.forms import PhoneCodeForm, PhoneNumberForm
from templates_store.locales import request_locale
from templates_store.models import TestRecipient, VerifiedPhone
from templates_store.permissions import CHANGE_VERSION, SUBMIT_VERSION
from templates_store.test_recipients import (
    TestSendRateLimited,
    TestSendRefused,
    phone_remove,
    phone_verification_confirm,
)
from templates_store.views_versions import (
    test_send_form_for,
    version_or_404,
    version_page,
    version_url,
)


@require_POST
@requires_any(SUBMIT_VERSION, CHANGE_VERSION)
def version_test_send_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Send the saved content as a test: email to oneself or an allowed address, SMS to a
    verified or allowed number, or the letter PDF. A refusal is shown on the page, under
    the recipient (422), or over the form when the user's budget is spent (429)."""
    version = version_or_404(pk)
    locale = request_locale(request)
    form = test_send_form_for(request.user, version, locale, request.POST)

    def again(status: int) -> HttpResponse:
        return version_page(request, version, locale, test_send_form=form, status=status)

    if not form.is_valid():
        return again(422)
    channel, locale = form.cleaned_data["channel"], form.cleaned_data["locale"]
    user = request.user
    name = user.get_full_name() or user.get_username()
    to = form.cleaned_data["recipient"]
    if channel == Channel.EMAIL and not to:
        if not user.email:
            form.add_error("recipient", _("Your account has no email address to send to."))
            return again(422)
        to = user.email
    elif channel == Channel.PRINT:
        to = "\n".join(previews.SAMPLE_RECIPIENT.address_lines)
    try:
        _entry, content = version_test_send(
            version=version, actor=user, channel=channel, locale=locale, to=to, to_name=name
        )
    except TestSendRateLimited as exc:
        form.add_error(None, str(exc))
        response = again(429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except TestSendRefused as exc:
        form.add_error("recipient", str(exc))
        return again(422)
    except (RenderError, DeliveryError) as exc:
        form.add_error(None, _("The test was not sent: %(error)s") % {"error": exc})
        return again(422)
    if channel == Channel.PRINT:
        response = HttpResponse(content, content_type="application/pdf")
        filename = f"{version.communication.key}-v{version.number}-{locale}-test.pdf"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    messages.success(
        request,
        _("Test %(channel)s sent to %(to)s.") % {"channel": Channel(channel).label, "to": to},
    )
    return redirect(version_url(version, locale))


# TEST RECIPIENTS PAGE -------------------------------------------------------------------


def _recipients_page(
    request: AuthenticatedRequest,
    *,
    phone_form: PhoneNumberForm | None = None,
    code_form: PhoneCodeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    phones = list(VerifiedPhone.objects.filter(user=user))
    return render(
        request,
        "channels/test_recipients.html",
        {
            "phones": phones,
            "phone_form": phone_form or PhoneNumberForm(),
            "code_form": code_form,
            "code_number": code_form["number"].value() if code_form is not None else "",
            "allowlist": TestRecipient.objects.all(),
        },
        status=status,
    )


def _back(request: AuthenticatedRequest) -> HttpResponse:
    return redirect(reverse("templates_store:test_recipients"))


@require_GET
@requires_any(SUBMIT_VERSION, CHANGE_VERSION)
def test_recipients(request: AuthenticatedRequest) -> HttpResponse:
    return _recipients_page(request)


@require_POST
@requires_any(SUBMIT_VERSION, CHANGE_VERSION)
def test_recipient_phone_add(request: AuthenticatedRequest) -> HttpResponse:
    """Send a one-time code to the number typed; the page then asks for it."""
    form = PhoneNumberForm(request.POST)
    if not form.is_valid():
        return _recipients_page(request, phone_form=form, status=422)
    number = form.cleaned_data["number"]
    try:
        phone_verification_start(user=request.user, number=number)
    except TestSendRateLimited as exc:
        form.add_error(None, str(exc))
        response = _recipients_page(request, phone_form=form, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except (TestSendRefused, DeliveryError) as exc:
        form.add_error("number", str(exc))
        return _recipients_page(request, phone_form=form, status=422)
    messages.success(
        request, _("A code was sent to %(number)s: type it below.") % {"number": number}
    )
    return _recipients_page(request, code_form=PhoneCodeForm(initial={"number": number}))


@require_POST
@requires_any(SUBMIT_VERSION, CHANGE_VERSION)
def test_recipient_phone_confirm(request: AuthenticatedRequest) -> HttpResponse:
    form = PhoneCodeForm(request.POST)
    if not form.is_valid():
        return _recipients_page(request, code_form=form, status=422)
    number = form.cleaned_data["number"]
    try:
        phone = phone_verification_confirm(
            user=request.user, number=number, code=form.cleaned_data["code"]
        )
    except TestSendRefused as exc:
        form.add_error("code", str(exc))
        return _recipients_page(request, code_form=form, status=422)
    messages.success(
        request, _("%(number)s is verified: you can send test SMS to it.") % {"number": phone}
    )
    return _back(request)


@require_POST
@requires_any(SUBMIT_VERSION, CHANGE_VERSION)
def test_recipient_phone_remove(request: AuthenticatedRequest) -> HttpResponse:
    number = request.POST.get("number", "")
    phone_remove(user=request.user, number=number)
    messages.success(request, _("%(number)s was removed.") % {"number": number})
    return _back(request)
