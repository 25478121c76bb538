from typing import Any

from django.core.management.base import BaseCommand

from compliance.services import archive_seal


class Command(BaseCommand):
    help = "Seal every archive entry not yet sealed into the hash chain."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--settle-seconds",
            type=int,
            default=60,
            help="Leave entries younger than this for the next seal (default 60).",
        )

    def handle(self, *args: Any, settle_seconds: int, **options: Any) -> None:
        count = 0
        while (seal := archive_seal(settle_seconds=settle_seconds)) is not None:
            count += 1
            self.stdout.write(f"{seal}: root {seal.merkle_root}")
        if not count:
            self.stdout.write("Nothing to seal.")
