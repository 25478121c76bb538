"""A batch accounts for every row it received: accepted + rejected = rows, however many
rejected rows there are, and the answer says when their details were cut short."""

import time

import pytest
from rest_framework.test import APIClient

from tests.factories.ccm import UserFactory
from tests.factories.templates_store import published_version

pytestmark = pytest.mark.django_db


class BatchRowCountTests:
    def test_a_30000_row_csv_is_counted_in_full(self):
        client = APIClient()
        client.force_authenticate(UserFactory(roles=["operator"]))
        version = published_version()
        lines = ["email,first_name,amount,due_date"]
        for i in range(30_000):
            # Every 30th row is good; the others have an amount that is not a number.
            amount = "12.5" if i % 30 == 0 else "lots"
            lines.append(f"r{i}@example.com,R{i},{amount},2026-12-15")
        body = ("\r\n".join(lines) + "\r\n").encode()
        started = time.monotonic()
        response = client.generic(
            "POST",
            f"/api/batches?communication={version.communication.key}",
            body,
            content_type="text/csv",
        )
        elapsed = time.monotonic() - started
        assert response.status_code == 202, response.content[:300]
        batch = response.json()
        progress = batch["progress"]
        assert batch["total_rows"] == 30_000
        assert progress["accepted"] == 1_000
        assert progress["rejected"] == 29_000
        assert progress["accepted"] + progress["rejected"] == batch["total_rows"]
        # The details are kept for the first 10,000 rejected rows, and the answer says so.
        assert len(batch["rejected_rows"]) == 10_000
        assert progress["rejected_rows_truncated"] is True
        assert batch["rejected_rows"][0]["row"] == 2
        assert elapsed < 30

    def test_a_small_batch_is_not_marked_truncated(self):
        client = APIClient()
        client.force_authenticate(UserFactory(roles=["operator"]))
        version = published_version()
        body = b"email,first_name,amount,due_date\r\na@example.com,A,1,2026-12-15\r\nb@example.com,B,x,2026-12-15\r\n"
        response = client.generic(
            "POST",
            f"/api/batches?communication={version.communication.key}",
            body,
            content_type="text/csv",
        )
        progress = response.json()["progress"]
        assert (progress["accepted"], progress["rejected"]) == (1, 1)
        assert progress["rejected_rows_truncated"] is False
