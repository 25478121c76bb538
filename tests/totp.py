"""Test helpers for two-factor login: enrol a device, compute the code an app would show."""

import base64
import time

from django.contrib.auth.models import User
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def totp_device_enrol(user: User) -> TOTPDevice:
    """A confirmed TOTP device for ``user``, as if they had enrolled."""
    return TOTPDevice.objects.create(user=user, name="test", confirmed=True)


def totp_code(device: TOTPDevice) -> str:
    """The next code the device accepts (a code is accepted once: after the last one used,
    the next time step, which the device's tolerance of one step allows)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time += device.step * (device.last_t + 1 - totp.t())
    return f"{totp.token():0{device.digits}d}"


def totp_code_for_key(base32_key: str, *, step: int = 30, digits: int = 6) -> str:
    """The current code for a key as shown on the enrolment page."""
    padded = base32_key + "=" * (-len(base32_key) % 8)
    totp = TOTP(base64.b32decode(padded), step, 0, digits)
    totp.time = time.time()
    return f"{totp.token():0{digits}d}"
