from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ccm.permissions import SCOPES
from ccm.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a user and print its secret (shown only this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--name", required=True, help="What the token is for, e.g. 'billing system'."
        )
        parser.add_argument("--days", type=int, help="Expire the token after this many days.")
        parser.add_argument(
            "--scope",
            action="append",
            required=True,
            choices=SCOPES,
            dest="scopes",
            help="What the token may do (repeat for several); its user's role still applies.",
        )
        parser.add_argument(
            "--rate", default="", help="Requests allowed, e.g. 120/min (default: the setting)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: options["username"]})
        except User.DoesNotExist as exc:
            raise CommandError(f"No user {options['username']!r}.") from exc
        days = options["days"]
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1.")
        expires_at = timezone.now() + timedelta(days=days) if days else None
        try:
            token, secret = api_token_create(
                user=user,
                name=options["name"],
                expires_at=expires_at,
                scopes=options["scopes"],
                rate_limit=options["rate"],
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        expiry = f"expires {expires_at:%Y-%m-%d %H:%M} UTC" if expires_at else "does not expire"
        self.stderr.write(
            f"Token {token.name!r} for {options['username']} ({expiry}; "
            f"scopes: {', '.join(token.scopes)}). "
            "Keep the secret now: it cannot be shown again."
        )
        self.stdout.write(secret)
