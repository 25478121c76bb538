"""Every CSV the platform writes for people is formula-escaped (OWASP CSV injection)."""

import csv
import io
import re
from pathlib import Path

import pytest

from ccm.spreadsheets import csv_bytes, escape_formula
from channels import services
from channels.backends.printing import locmem as print_outbox
from tests.factories.ccm import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import SAMPLE, published_version

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("ccm", "channels", "compliance", "customers", "templates_store", "insight")


@pytest.mark.parametrize(
    "value", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "\uff1d1", "=cmd|' /C calc'!A0"]
)
def test_a_cell_that_would_run_as_a_formula_is_quoted(value):
    assert escape_formula(value) == "'" + value
    row = next(csv.reader(io.StringIO(csv_bytes(["a"], [[value]]).decode("utf-8-sig"))))
    assert row == ["a"]


def test_plain_cells_and_numbers_are_unchanged():
    assert escape_formula("Smith") == "Smith"
    assert escape_formula(-5) == -5
    text = csv_bytes(["name", "n"], [["Smith", -5], ["=2", 1]]).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))[1:] == [["Smith", "-5"], ["'=2", "1"]]


def test_every_csv_writer_in_the_code_escapes_its_cells():
    """A new CSV export must go through ccm.spreadsheets (csv_bytes or escape_formula)."""
    writers = []
    for app in SOURCES:
        for path in (ROOT / app).rglob("*.py"):
            text = path.read_text()
            if re.search(r"csv\.(writer|DictWriter)\(", text):
                writers.append(path.relative_to(ROOT))
                assert "escape_formula" in text, f"{path} writes CSV without escape_formula"
    assert Path("ccm/spreadsheets.py") in writers


@pytest.mark.django_db
def test_the_print_manifest_escapes_names(django_capture_on_commit_callbacks):
    version = published_version()
    customer = CustomerFactory(channel_preference=["print"], name='=HYPERLINK("http://x")')
    with django_capture_on_commit_callbacks(execute=True):
        services.batch_create(
            communication=version.communication,
            rows=[{"customer_id": customer.external_id, "data": SAMPLE}],
            created_by=UserFactory(),
        )
    job = print_outbox.outbox[0]
    rows = list(csv.DictReader(io.StringIO(job.manifest_csv.decode("utf-8"))))
    assert rows[0]["recipient_name"] == '\'=HYPERLINK("http://x")'
