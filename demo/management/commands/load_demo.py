from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.loading import DemoLoadError, demo_is_loaded, demo_load


class Command(BaseCommand):
    help = (
        "Load the demo: role users (password 'demo'), a brand, three published communications "
        "in English and Japanese, 300 customers and a batch of payment reminders."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when a communication already exists.",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Empty the whole database first (every row, not only the demo's).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["reset"]:
            call_command("flush", interactive=False, verbosity=0)
            self.stdout.write("Database emptied.")
        elif demo_is_loaded():
            if options["if_empty"]:
                self.stdout.write("Communications already exist; the demo was not loaded again.")
                return
            raise CommandError(
                "The database already has communications. Use --if-empty to skip, or --reset "
                "to empty the database and load the demo again."
            )
        try:
            summary = demo_load()
        except DemoLoadError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo loaded: {summary.users} users, {summary.communications} communications, "
                f"{summary.customers} customers, batch {summary.batch.pk} with "
                f"{summary.batch.total_rows} payment reminders handed to the workers."
            )
        )
