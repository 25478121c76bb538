"""Two-factor login (TOTP, django-otp) for the roles that approve and read the archive.

The login is two steps: the password (``LoginView``), then a code from the person's
authenticator app. The session is only logged in after both, so nothing is reachable
in between. A person without a confirmed device enrols one at the second step (QR code
and the key to type in).
"""

import base64
import time
from typing import Any

import segno
from django.contrib.auth.models import AbstractBaseUser, User
from django.http import HttpRequest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ccm.roles import APPROVER, ROLE_PERMISSIONS

# The permissions that open archive content: the entry pages, the artifacts (what the
# customers got) and the evidence exports (compliance/views.py, compliance/api.py).
ARCHIVE_CONTENT_PERMISSIONS = frozenset(
    {"compliance.view_archiveentry", "compliance.export_archiveentry"}
)


def two_factor_roles(*, role_permissions: dict[str, list[str]]) -> frozenset[str]:
    """Approvers (they publish), and every role holding an archive content permission."""
    readers = {
        role
        for role, permissions in role_permissions.items()
        if ARCHIVE_CONTENT_PERMISSIONS.intersection(permissions)
    }
    return frozenset({APPROVER} | readers)


TWO_FACTOR_ROLES = two_factor_roles(role_permissions=ROLE_PERMISSIONS)
PENDING_KEY = "ccm_2fa_pending"
# The second step must follow the password within this many seconds.
PENDING_SECONDS = 5 * 60


def two_factor_required(*, user: AbstractBaseUser) -> bool:
    """True for superusers, members of a role in TWO_FACTOR_ROLES, and anyone else given
    an archive content permission (directly, or through a group edited by hand)."""
    if not isinstance(user, User):
        return False
    if user.is_superuser or user.groups.filter(name__in=TWO_FACTOR_ROLES).exists():
        return True
    return any(user.has_perm(permission) for permission in ARCHIVE_CONTENT_PERMISSIONS)


def totp_device_confirmed(*, user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def totp_device_enrolment(*, user: User) -> TOTPDevice:
    """The user's unconfirmed device to enrol (made once, reused until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def totp_device_confirm(*, device: TOTPDevice, token: str) -> bool:
    """Confirm an enrolment with the first code the app shows; False if it does not match.

    Wrong codes are throttled by django-otp (each failure doubles the wait)."""
    if not device.verify_token(token.strip()):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return True


def totp_key_base32(*, device: TOTPDevice) -> str:
    """The secret as people type it into an authenticator app."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def totp_code_now(*, device: TOTPDevice, at: float | None = None) -> tuple[str, int]:
    """The code the device's authenticator app shows now (or at ``at``, a Unix time) and
    the seconds it stays current. What ``manage.py totp_code`` prints on a machine without
    a phone; a code is accepted once, so a second login waits for the next one."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    remaining = device.step - int(totp.time - device.t0) % device.step
    return f"{totp.token():0{device.digits}d}", remaining


def totp_qr_svg(*, device: TOTPDevice) -> str:
    """An inline SVG QR code of the device's otpauth:// URL (no external service)."""
    return str(segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#111"))


def pending_start(*, request: HttpRequest, user: User, backend: str, next_url: str) -> None:
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": backend,
        "next": next_url,
        "at": time.time(),
    }


def pending_user(*, request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    """The user who passed the password step in this session, if recent enough."""
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        return None
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    return (user, pending) if user else None


def pending_clear(*, request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)
