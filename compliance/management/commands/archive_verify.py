from typing import Any

from django.core.management.base import BaseCommand, CommandError

from compliance.verification import archive_verify


class Command(BaseCommand):
    help = (
        "Recompute every seal, entry, chain link, signature and artifact hash of the archive "
        "and the access log; name what no longer matches."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = archive_verify()
        for problem in report.problems:
            self.stderr.write(problem)
        summary = (
            f"{report.seals} seals, {report.entries} entries, "
            f"{report.access_logs} access-log records checked"
        )
        if not report.ok:
            raise CommandError(f"{summary}: {len(report.problems)} problems.")
        self.stdout.write(f"{summary}: the archive is intact.")
