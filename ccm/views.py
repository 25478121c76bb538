from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required, login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from ccm import two_factor


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "ccm/home.html")


class LoginView(auth_views.LoginView):
    """The password step. Approvers and compliance officers go on to a TOTP code
    (``login_verify``, or ``login_enrol`` the first time) before the session logs in."""

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if not two_factor.two_factor_required(user=user):
            return super().form_valid(form)
        assert isinstance(user, User)
        two_factor.pending_start(
            request=self.request,
            user=user,
            backend=getattr(user, "backend", ""),
            next_url=self.get_success_url(),
        )
        if two_factor.totp_device_confirmed(user=user):
            return redirect("login_verify")
        return redirect("login_enrol")


def _login_finish(
    request: HttpRequest, user: User, device: TOTPDevice, next_url: str
) -> HttpResponse:
    backend = request.session[two_factor.PENDING_KEY]["backend"]
    two_factor.pending_clear(request=request)
    auth_login(request, user, backend=backend or None)
    otp_login(request, device)
    return redirect(next_url)


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    """The second step: the code from the person's authenticator app."""
    found = two_factor.pending_user(request=request)
    if found is None:
        return redirect("login")
    user, pending = found
    device = two_factor.totp_device_confirmed(user=user)
    if device is None:
        return redirect("login_enrol")
    error = ""
    if request.method == "POST":
        if device.verify_token(request.POST.get("token", "").strip()):
            return _login_finish(request, user, device, pending["next"])
        error = _("This code is not right, or too many codes were tried: wait and try again.")
    return render(request, "registration/login_verify.html", {"error": error})


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def login_enrol(request: HttpRequest) -> HttpResponse:
    """First login of a role that needs two factors: scan the QR code, type the code."""
    found = two_factor.pending_user(request=request)
    if found is None:
        return redirect("login")
    user, pending = found
    if two_factor.totp_device_confirmed(user=user):
        return redirect("login_verify")
    device = two_factor.totp_device_enrolment(user=user)
    error = ""
    if request.method == "POST":
        if two_factor.totp_device_confirm(device=device, token=request.POST.get("token", "")):
            return _login_finish(request, user, device, pending["next"])
        error = _("This code is not right, or too many codes were tried: wait and try again.")
    context = {
        "error": error,
        "qr_svg": mark_safe(two_factor.totp_qr_svg(device=device)),  # noqa: S308 - made by segno
        "key": two_factor.totp_key_base32(device=device),
    }
    return render(request, "registration/login_enrol.html", context)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 for an address no URL matches: JSON under /api/ (clients parse it), the
    usual page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)
