from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ccm import two_factor


class Command(BaseCommand):
    help = (
        "Print the login code a user's authenticator app would show now, for a machine "
        "without a phone (the demo, a test server). Before the first login it is the code "
        "of the device the enrolment page shows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {options['username']!r}.")
        if not two_factor.two_factor_required(user=user):
            raise CommandError(f"{user.username} logs in with a password alone: no code needed.")
        device = two_factor.totp_device_confirmed(user=user)
        if device is None:
            device = two_factor.totp_device_enrolment(user=user)
        code, remaining = two_factor.totp_code_now(device=device)
        self.stderr.write(
            f"Code for {user.username}, current for {remaining} more seconds "
            "(each code is accepted once: for another login, wait for the next one)."
        )
        self.stdout.write(code)
