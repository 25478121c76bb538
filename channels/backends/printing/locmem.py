from channels.backends.printing.base import BasePrintBackend, PrintJob, PrintResult

# Every print file submitted in this process, for tests.
outbox: list[PrintJob] = []


class PrintBackend(BasePrintBackend):
    def submit(self, job: PrintJob) -> PrintResult:
        outbox.append(job)
        return PrintResult(
            pdf_name=f"locmem/{job.name}.pdf", manifest_name=f"locmem/{job.name}.manifest.csv"
        )
