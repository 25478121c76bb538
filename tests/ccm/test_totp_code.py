"""``manage.py totp_code``: the login code of a user's authenticator, for a machine
without a phone."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from ccm import two_factor
from tests.factories.ccm import UserFactory
from tests.totp import totp_device_enrol

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"  # UserFactory's


def _code(username: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("totp_code", username, stdout=out, stderr=err)
    assert "seconds" in err.getvalue()
    return out.getvalue().strip()


class TotpCodeTests:
    def test_it_prints_the_code_of_the_confirmed_device(self):
        device = totp_device_enrol(UserFactory(roles=["approver"]))
        code = _code(device.user.username)
        assert len(code) == 6 and code.isdigit()
        assert device.verify_token(code)

    def test_the_code_lets_a_first_login_enrol_without_a_phone(self, client):
        user = UserFactory(roles=["compliance_officer"])
        client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
        assert client.get(reverse("login_enrol")).status_code == 200

        response = client.post(reverse("login_enrol"), {"token": _code(user.username)})
        assert response.status_code == 302 and "_auth_user_id" in client.session
        assert two_factor.totp_device_confirmed(user=user) is not None

    def test_before_the_first_login_it_makes_the_device_the_enrolment_page_shows(self, client):
        user = UserFactory(is_superuser=True)
        _code(user.username)
        client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
        page = client.get(reverse("login_enrol"))
        assert page.context["key"] == two_factor.totp_key_base32(
            device=two_factor.totp_device_enrolment(user=user)
        )

    def test_it_refuses_users_who_need_no_code_and_unknown_users(self):
        with pytest.raises(CommandError, match="no code needed"):
            call_command("totp_code", UserFactory(roles=["operator"]).username)
        with pytest.raises(CommandError, match="No active user"):
            call_command("totp_code", "nobody")


def test_the_code_now_matches_the_rfc_6238_vector_and_counts_down():
    device = two_factor.TOTPDevice(key="3132333435363738393031323334353637383930")
    assert two_factor.totp_code_now(device=device, at=59) == ("287082", 1)
    assert two_factor.totp_code_now(device=device, at=60)[1] == 30
