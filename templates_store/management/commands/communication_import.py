"""Read a communication from plain files (a folder or a .zip) into a new draft version."""

from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from templates_store import exchange


class Command(BaseCommand):
    help = (
        "Import a communication from DIR (a folder or a .zip written by communication_export): "
        "the communication is created or updated and gets a new draft version with the files' "
        "content. Nothing is written when any file has a problem; each is listed."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("dir", type=Path, help="Folder (or .zip file) to read.")
        parser.add_argument(
            "--user", required=True, help="Username the draft is created by (a designer)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user {options['user']!r}.")
        source: Path = options["dir"]
        try:
            if source.suffix == ".zip" and source.is_file():
                files = exchange.files_from_zip(source.read_bytes())
            else:
                files = exchange.files_from_folder(source)
            version = exchange.communication_import(files=files, actor=user)
        except exchange.CommunicationFilesError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"Nothing imported: {len(exc.problems)} problem(s).") from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Imported {version.communication.key} as draft version {version.number}."
        )
