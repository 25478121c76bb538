"""Writes print files through a Django storage alias (a folder by default, S3 or SFTP
with the matching storage backend)."""

from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import storages

from channels.backends.base import get_backend_option
from channels.backends.printing.base import BasePrintBackend, PrintJob, PrintResult
from channels.exceptions import DeliveryError


class PrintBackend(BasePrintBackend):
    def __init__(self, *, alias: str, **options: Any) -> None:
        super().__init__(alias=alias, **options)
        self.storage_alias = get_backend_option(
            "storage", options, setting=f'PRINT_BACKENDS["{alias}"]'
        )

    def submit(self, job: PrintJob) -> PrintResult:
        storage = storages[self.storage_alias]
        try:
            pdf_name = storage.save(f"{job.name}.pdf", ContentFile(job.pdf))
            storage.save(f"{job.name}.manifest.json", ContentFile(job.manifest_json))
            manifest_name = storage.save(f"{job.name}.manifest.csv", ContentFile(job.manifest_csv))
        except OSError as exc:
            raise DeliveryError(
                f"print storage {self.storage_alias!r}: {exc}", permanent=False
            ) from exc
        return PrintResult(pdf_name=pdf_name, manifest_name=manifest_name)
