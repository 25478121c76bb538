from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PrintJob:
    """One print file: the merged PDF of a run's letters and its manifest."""

    name: str
    pdf: bytes
    manifest_csv: bytes
    manifest_json: bytes


@dataclass(frozen=True)
class PrintResult:
    pdf_name: str
    manifest_name: str


class BasePrintBackend:
    """The contract of a print backend: hand a print file to the print vendor.

    ``submit(job)`` stores or transmits the PDF and its manifest and returns where they
    went. It raises ``channels.exceptions.DeliveryError`` and nothing else.
    """

    def __init__(self, *, alias: str, **options: Any) -> None:
        self.alias = alias
        self.options = options

    def submit(self, job: PrintJob) -> PrintResult:
        raise NotImplementedError("A print backend must implement submit(job).")
