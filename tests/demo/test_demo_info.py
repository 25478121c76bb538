"""``manage.py demo_info`` (what ``make run`` prints): logins, two factors, API token."""

import io

import pytest
from django.core.management import call_command

from ccm.two_factor import two_factor_required
from demo import content
from tests.factories.ccm import UserFactory


def _info() -> str:
    out = io.StringIO()
    call_command("demo_info", stdout=out)
    return out.getvalue()


class DemoInfoTests:
    def test_it_names_the_demo_users_who_must_enrol_an_authenticator(self):
        info = _info()
        assert "approver, compliance, auditor and admin must enrol an authenticator app" in info
        assert "at their first login" in info
        for name in ("approver", "compliance", "auditor", "admin"):
            assert f".venv/bin/python manage.py totp_code {name}\n" in info
        for name in ("designer", "operator"):
            assert f"totp_code {name}" not in info

    @pytest.mark.django_db
    def test_the_users_it_names_are_the_ones_the_login_asks_a_code_of(self):
        info = _info()
        for username, role, *_ in content.USERS:
            # As load_demo makes them: a role each, and the admin a superuser.
            user = UserFactory(
                username=username, roles=[role] if role else [], is_superuser=role is None
            )
            named = f"manage.py totp_code {username}\n" in info
            assert named == two_factor_required(user=user), username

    def test_the_api_token_command_runs_in_the_projects_virtualenv(self):
        assert (
            "API token: .venv/bin/python manage.py create_api_token operator --name demo "
            "--scope send --scope read_status\n" in _info()
        )
        assert " python manage.py" not in _info()
