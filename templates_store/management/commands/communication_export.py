"""Write a communication as plain files (a folder, or a .zip), to keep it in git or move it."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from templates_store import exchange
from templates_store.models import Communication


class Command(BaseCommand):
    help = (
        "Export a communication (metadata, data schema, sample data, every variant) as plain "
        "files into DIR, or into a zip when DIR ends in .zip. Files of the layout that the "
        "communication no longer has are removed from DIR; other files are kept."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("key", help="Key of the communication.")
        parser.add_argument("dir", type=Path, help="Target folder (or a .zip file).")
        parser.add_argument(
            "--number", type=int, dest="version_number", help="Version number (default: latest)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        communication = Communication.objects.filter(key=options["key"]).first()
        if communication is None:
            raise CommandError(f"No communication {options['key']!r}.")
        version = None
        if options["version_number"] is not None:
            version = communication.versions.filter(number=options["version_number"]).first()
            if version is None:
                raise CommandError(
                    f"{communication.key} has no version {options['version_number']}."
                )
        files = exchange.communication_files(communication=communication, version=version)
        target: Path = options["dir"]
        if target.suffix == ".zip":
            target.write_bytes(exchange.files_to_zip(files, folder=communication.key))
        else:
            exchange.files_to_folder(files, target)
        self.stdout.write(f"{len(files)} files written to {target}")
