"""django-axes locks a username on an address out after repeated failed logins."""

import pytest
from django.urls import reverse

from tests.factories.ccm import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"


def _attempt(client, user, password, addr="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": user.username, "password": password}, REMOTE_ADDR=addr
    )


def test_after_five_failures_even_the_right_password_is_refused(client, settings):
    user = UserFactory(roles=["designer"])
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _attempt(client, user, "wrong").status_code == 200
    locked = _attempt(client, user, "wrong")
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert _attempt(client, user, PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_holds_for_that_user_on_that_address_only(client, settings):
    user, other = UserFactory(roles=["designer"]), UserFactory(roles=["designer"])
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, user, "wrong")
    assert _attempt(client, other, PASSWORD).status_code == 302
    client.logout()
    assert _attempt(client, user, PASSWORD, addr="10.0.0.2").status_code == 302


def test_a_forwarded_for_header_does_not_change_the_address(client, settings):
    user = UserFactory(roles=["designer"])
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"),
            {"username": user.username, "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{i}",
        )
    assert _attempt(client, user, PASSWORD).status_code == 429


def test_a_success_clears_earlier_failures(client, settings):
    user = UserFactory(roles=["designer"])
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _attempt(client, user, "wrong")
    assert _attempt(client, user, PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _attempt(client, user, "wrong")
    assert _attempt(client, user, PASSWORD).status_code == 302
