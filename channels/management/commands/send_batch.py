"""Submit a batch from a recipient file, as a back-office job would, and follow it."""

import datetime as dt
import time
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime
from tqdm import tqdm

from channels import selectors, services
from channels.models import Batch
from channels.uploads.formats import UploadError, upload_format
from channels.uploads.reading import upload_rows
from templates_store.models import Communication


class Command(BaseCommand):
    help = (
        "Send a communication to the recipients of a CSV, JSON or JSON Lines file "
        "(the same formats as the upload page) and show the batch's progress."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "communication", help="Key of a communication with a published version."
        )
        parser.add_argument("file", type=Path, help="Recipients: .csv, .json or .jsonl")
        parser.add_argument(
            "--user", required=True, help="Username the batch is submitted as (an operator)."
        )
        parser.add_argument(
            "--send-at", help="Scheduled send time, ISO 8601 (e.g. 2026-12-01T09:00+09:00)."
        )
        parser.add_argument(
            "--no-wait", action="store_true", help="Submit and return without following."
        )
        parser.add_argument(
            "--timeout", type=float, default=3600, help="Seconds to follow at most (default 3600)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"]).first()
        if user is None or not user.has_perm("channels.add_batch"):
            raise CommandError(f"{options['user']!r} is not a user who may submit batches.")
        communication = Communication.objects.filter(key=options["communication"]).first()
        if communication is None:
            raise CommandError(f"No communication {options['communication']!r}.")
        send_at = self._send_at(options["send_at"])
        path: Path = options["file"]
        try:
            file_format = upload_format(filename=path.name)
            with path.open("rb") as file:
                batch = services.batch_create(
                    communication=communication,
                    rows=upload_rows(
                        file=file, format=file_format, schema=communication.data_schema
                    ),
                    created_by=user,
                    source="cli",
                    send_at=send_at,
                )
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from exc
        except UploadError as exc:
            raise CommandError(f"{path}: {exc}; nothing was sent.") from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self._report_rejected(batch)
        if not options["no_wait"]:
            self._follow(batch, options["timeout"])

    def _send_at(self, value: str | None) -> dt.datetime | None:
        if not value:
            return None
        parsed = parse_datetime(value)
        if parsed is None or parsed.tzinfo is None:
            raise CommandError(f"--send-at {value!r} is not an ISO 8601 time with a UTC offset.")
        return parsed

    def _report_rejected(self, batch: Batch) -> None:
        accepted = batch.total_rows - len(batch.rejected_rows)
        self.stdout.write(f"Batch {batch.pk}: {batch.total_rows} rows, {accepted} accepted.")
        for row in batch.rejected_rows:
            self.stderr.write(f"  row {row['row']}, {row['field']}: {row['reason']}")

    def _follow(self, batch: Batch, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        progress = selectors.batch_progress(batch=batch)
        with tqdm(
            total=progress["accepted"], unit="msg", desc=f"batch {batch.pk}", file=self.stdout
        ) as bar:
            while True:
                batch.refresh_from_db()
                progress = selectors.batch_progress(batch=batch)
                bar.update(progress["done"] - bar.n)
                if batch.is_finished:
                    break
                if time.monotonic() > deadline:
                    raise CommandError(
                        f"Batch {batch.pk} is still {batch.status}; follow it in the UI or the API."
                    )
                time.sleep(1)
        counts = ", ".join(f"{n} {status}" for status, n in progress["counts"].items() if n)
        self.stdout.write(f"Batch {batch.pk} {batch.get_status_display().lower()}: {counts}.")
