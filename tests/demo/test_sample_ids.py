"""Sample customer ids shown to people (page templates, translations, API examples) are
ids of the demo's customers, so that an example can be tried on the demo as it is."""

import random
import re
from pathlib import Path

from django.conf import settings

from demo.customers import demo_customers
from demo.loading import CUSTOMER_COUNT, SEED

ROOT = Path(settings.BASE_DIR)
APPS = ["ccm", "channels", "compliance", "customers", "insight", "templates_store"]
# A customer id as an example gives it: a CSV line starting with one, or a JSON value.
SAMPLE_ID = re.compile(r'^([A-Z][A-Z0-9-]*[0-9]),|"customer_id": "([^"]+)"', re.MULTILINE)


def _shown_files() -> list[Path]:
    found: list[Path] = []
    for app in APPS:
        for pattern in ("templates/**/*.html", "locale/**/*.po", "**/api*.py"):
            found += (ROOT / app).glob(pattern)
    return found


def test_every_sample_customer_id_is_a_demo_customer():
    demo_ids = {
        c.external_id for c in demo_customers(count=CUSTOMER_COUNT, rng=random.Random(SEED))
    }
    shown = {
        (path.relative_to(ROOT).as_posix(), a or b)
        for path in _shown_files()
        for a, b in SAMPLE_ID.findall(path.read_text(encoding="utf-8"))
    }
    assert ("channels/templates/channels/batch_upload.html", "CUST-00042") in shown
    assert {(path, id_) for path, id_ in shown if id_ not in demo_ids} == set()
