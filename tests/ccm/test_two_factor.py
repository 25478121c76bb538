"""Approvers, every role that reads the archive (compliance officers, auditors) and
superusers log in with a TOTP code after the password; the session is not logged in
before both."""

import importlib
import time

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from ccm import two_factor
from ccm.roles import ROLE_PERMISSIONS
from channels import services as channel_services
from compliance.models import ArchiveEntry
from tests.factories.ccm import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import SAMPLE, published_version
from tests.totp import totp_code, totp_code_for_key, totp_device_enrol

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"


def _password_step(client, user, next_url=""):
    data = {"username": user.username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


class PasswordOnlyTests:
    @pytest.mark.parametrize("role", ["designer", "operator"])
    def test_roles_without_two_factors_log_in_with_the_password(self, client, role):
        response = _password_step(client, UserFactory(roles=[role]))
        assert response.status_code == 302 and response["Location"] == "/"
        assert _logged_in(client)


@pytest.mark.parametrize("role", ["approver", "compliance_officer", "auditor"])
class EnrolmentTests:
    def test_the_first_login_enrols_an_authenticator_with_a_qr_code(self, client, role):
        user = UserFactory(roles=[role])
        response = _password_step(client, user, next_url="/communications/")
        assert response["Location"] == reverse("login_enrol")
        assert not _logged_in(client)
        assert client.get("/communications/").status_code == 302

        page = client.get(reverse("login_enrol"))
        html = page.content.decode()
        assert "<svg" in html and "data-totp-key" in html
        key = page.context["key"]
        assert client.post(reverse("login_enrol"), {"token": "000000"}).status_code == 200
        assert not _logged_in(client)

        device = TOTPDevice.objects.get(user=user)
        device.throttle_reset()
        response = client.post(reverse("login_enrol"), {"token": totp_code_for_key(key)})
        assert response["Location"] == "/communications/"
        assert _logged_in(client)
        device.refresh_from_db()
        assert device.confirmed
        assert client.session["otp_device_id"] == device.persistent_id

    def test_a_person_with_a_device_types_its_code(self, client, role):
        user = UserFactory(roles=[role])
        device = totp_device_enrol(user)
        assert _password_step(client, user)["Location"] == reverse("login_verify")
        assert not _logged_in(client)
        wrong = client.post(reverse("login_verify"), {"token": "123456"})
        assert wrong.status_code == 200 and "not right" in wrong.content.decode()
        assert not _logged_in(client)
        device.throttle_reset()
        response = client.post(reverse("login_verify"), {"token": totp_code(device)})
        assert response.status_code == 302 and _logged_in(client)


class VerificationTests:
    def test_a_code_is_accepted_only_once(self, client):
        user = UserFactory(roles=["approver"])
        device = totp_device_enrol(user)
        code = totp_code(device)
        _password_step(client, user)
        assert client.post(reverse("login_verify"), {"token": code}).status_code == 302
        client.logout()
        _password_step(client, user)
        assert client.post(reverse("login_verify"), {"token": code}).status_code == 200
        assert not _logged_in(client)

    def test_wrong_codes_are_throttled(self, client):
        user = UserFactory(roles=["approver"])
        device = totp_device_enrol(user)
        _password_step(client, user)
        client.post(reverse("login_verify"), {"token": "000000"})
        # Right after a failure even the right code waits (django-otp's back-off).
        assert client.post(reverse("login_verify"), {"token": totp_code(device)}).status_code == 200
        assert not _logged_in(client)

    def test_the_second_step_needs_a_recent_password_step(self, client, monkeypatch):
        user = UserFactory(roles=["approver"])
        totp_device_enrol(user)
        assert client.get(reverse("login_verify"))["Location"] == reverse("login")
        assert client.get(reverse("login_enrol"))["Location"] == reverse("login")
        _password_step(client, user)
        later = time.time() + two_factor.PENDING_SECONDS + 1
        monkeypatch.setattr(two_factor.time, "time", lambda: later)
        assert client.get(reverse("login_verify"))["Location"] == reverse("login")

    def test_a_wrong_password_never_reaches_the_second_step(self, client):
        user = UserFactory(roles=["approver"])
        client.post(reverse("login"), {"username": user.username, "password": "wrong"})
        assert client.get(reverse("login_verify"))["Location"] == reverse("login")

    def test_superusers_need_two_factors_too(self, client):
        user = UserFactory(is_superuser=True, is_staff=True)
        assert _password_step(client, user)["Location"] == reverse("login_enrol")

    def test_the_admin_has_no_login_of_its_own(self, client):
        response = client.get("/admin/login/")
        assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.fixture
def artifact_url(django_capture_on_commit_callbacks) -> str:
    """The artifact of one email sent to a customer."""
    version = published_version()
    customer = CustomerFactory(channel_preference=["email"], email="alex.jones@example.net")
    with django_capture_on_commit_callbacks(execute=True):
        batch = channel_services.batch_create(
            communication=version.communication,
            rows=[{"customer_id": customer.external_id, "data": SAMPLE}],
            created_by=UserFactory(),
        )
    entry = ArchiveEntry.objects.get(message__batch=batch)
    return reverse("compliance:entry_artifact", args=[entry.pk])


class ArchiveReaderTests:
    def test_an_auditor_with_a_password_only_cannot_open_an_artifact_until_verified(
        self, client, artifact_url
    ):
        user = UserFactory(roles=["auditor"])
        response = _password_step(client, user, next_url=artifact_url)
        assert response["Location"] == reverse("login_enrol")
        assert not _logged_in(client)
        refused = client.get(artifact_url)
        assert refused.status_code == 302 and refused["Location"].startswith(reverse("login"))

        key = client.get(reverse("login_enrol")).context["key"]
        response = client.post(reverse("login_enrol"), {"token": totp_code_for_key(key)})
        assert response["Location"] == artifact_url
        opened = client.get(artifact_url)
        assert opened.status_code == 200 and b"alex.jones@example.net" in opened.getvalue()

    def test_every_role_that_can_open_an_artifact_needs_two_factors(self, client, artifact_url):
        can_open = set()
        for role in ROLE_PERMISSIONS:
            client.force_login(UserFactory(roles=[role]))
            if client.get(artifact_url).status_code == 200:
                can_open.add(role)
        assert can_open >= {"auditor", "compliance_officer"}
        assert can_open <= two_factor.TWO_FACTOR_ROLES

    def test_a_new_role_with_an_archive_permission_needs_two_factors(self):
        roles = {
            **ROLE_PERMISSIONS,
            "investigator": ["customers.view_customer", "compliance.view_archiveentry"],
            "exporter": ["compliance.export_archiveentry"],
            "viewer": ["customers.view_customer", "channels.view_message"],
        }
        required = two_factor.two_factor_roles(role_permissions=roles)
        assert {"investigator", "exporter"} <= required and "viewer" not in required
        assert required - {"investigator", "exporter"} == two_factor.TWO_FACTOR_ROLES

    def test_a_person_given_an_archive_permission_outside_the_roles_needs_two_factors(self, client):
        user = UserFactory(roles=["designer"])
        user.user_permissions.add(
            Permission.objects.get(
                content_type__app_label="compliance", codename="view_archiveentry"
            )
        )
        assert _password_step(client, user)["Location"] == reverse("login_enrol")
        assert not _logged_in(client)


class SessionsFromBeforeTests:
    """Migration ccm/0004 ends the password-only sessions of people who now need a code."""

    def test_password_only_sessions_of_archive_readers_end_and_the_others_stay(self, client):
        migration = importlib.import_module(
            "ccm.migrations.0004_end_sessions_without_second_factor"
        )
        sessions = {}
        for role in ["auditor", "compliance_officer", "designer"]:
            session_client = Client()
            session_client.force_login(UserFactory(roles=[role]))
            sessions[role] = session_client.session.session_key
        verified = UserFactory(roles=["auditor"])
        device = totp_device_enrol(verified)
        _password_step(client, verified)
        client.post(reverse("login_verify"), {"token": totp_code(device)})
        assert _logged_in(client)

        migration.end_sessions_without_second_factor(apps, None)

        remaining = set(Session.objects.values_list("session_key", flat=True))
        assert sessions["designer"] in remaining and client.session.session_key in remaining
        assert not {sessions["auditor"], sessions["compliance_officer"]} & remaining
