from typing import Any

from django.core.management.base import BaseCommand

from compliance.retention import archive_purge


class Command(BaseCommand):
    help = "Remove archive entries past their retention that no legal hold keeps; leave tombstones."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count only; change nothing.")

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        run = archive_purge(dry_run=dry_run)
        verb = "would purge" if dry_run else "purged"
        self.stdout.write(
            f"{run.expired} expired, {run.held} kept by legal holds, {verb} {run.purged}, "
            f"{run.artifacts_deleted} artifacts deleted."
        )
