from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from ccm.roles import ROLE_LABELS
from ccm.two_factor import TWO_FACTOR_ROLES
from demo import content

# How a newcomer runs a command in the project's virtualenv (what `make run` made).
MANAGE = ".venv/bin/python manage.py"


def _shown(path: str | Path) -> str:
    """A path relative to the project when it is inside it (what a newcomer can open)."""
    path = Path(path)
    try:
        return f"{path.resolve().relative_to(Path(settings.BASE_DIR).resolve())}/"
    except ValueError:
        return f"{path}/"


class Command(BaseCommand):
    help = "Print where the running demo is, its logins and where sent messages can be seen."

    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        base_url = settings.CCM_BASE_URL.rstrip("/")
        sms_options: Any = settings.SMS_BACKENDS["default"].get("OPTIONS") or {}
        sms_dir = sms_options.get("directory", Path(settings.VAR_DIR) / "sms")
        width = max(len(u[0]) for u in content.USERS)
        lines = [
            "",
            f"CCM demo: {base_url}",
            "",
            "Logins (password for every one: demo):",
        ]
        for username, role, _first, _last in content.USERS:
            label = ROLE_LABELS[role] if role else "Superuser (admin site at /admin/)"
            lines.append(f"  {username:<{width}}  /  {content.PASSWORD}  /  {label}")
        lines += self._two_factor()
        mail_dir, print_dir = _shown(settings.CCM_MAILBOX_DIR), _shown(settings.PRINT_ROOT)
        archive_dir = _shown(settings.ARCHIVE_ROOT)
        lines += [
            "",
            "Sent messages:",
            f"  email    {base_url}/mailbox/ and the .eml files in {mail_dir}",
            f"  SMS      {_shown(sms_dir)}sms.jsonl (one JSON line per message)",
            f"  print    {print_dir} (one merged PDF and a manifest per print run)",
            f"  archive  {archive_dir} (every artifact as sent; search it at {base_url}/archive/)",
            *self._quiet_hours(),
            "",
            f"API docs: {base_url}/api/docs/",
            f"  API token: {MANAGE} create_api_token operator --name demo --scope send "
            "--scope read_status",
            "",
        ]
        self.stdout.write("\n".join(lines))

    def _two_factor(self) -> list[str]:
        """The demo users who need a TOTP code (the same rule as ccm/two_factor.py:
        the roles in TWO_FACTOR_ROLES, and superusers, which the demo user without a
        role is)."""
        names = [u for u, role, *_ in content.USERS if role is None or role in TWO_FACTOR_ROLES]
        if not names:
            return []
        listed = f"{', '.join(names[:-1])} and {names[-1]}" if len(names) > 1 else names[0]
        return [
            "",
            f"Two-factor login: {listed} must enrol an authenticator app",
            "  at their first login (scan the QR code or type the key shown, then enter the",
            "  app's code), and give its code after the password from then on.",
            "  Without a phone, print the code the app would show now:",
            *(f"  {MANAGE} totp_code {name}" for name in names),
        ]

    def _quiet_hours(self) -> list[str]:
        quiet = settings.CCM_QUIET_HOURS
        channels = quiet["channels"]
        if not channels or quiet["start"] == quiet["end"]:
            return [
                "  Quiet hours are off here, so the demo batch completes at any hour.",
                "  To hold SMS at night in each recipient's time zone:",
                "  CCM_QUIET_HOURS_CHANNELS=sms make run",
            ]
        return [
            f"  Quiet hours: {', '.join(channels)} to a recipient whose local time is between "
            f"{quiet['start']} and {quiet['end']} waits until {quiet['end']} there,",
            "  and a batch (with its print file) completes once they are sent. To send at once:",
            "  CCM_QUIET_HOURS_CHANNELS=none make run",
        ]
