import io

import pytest

from channels.uploads.preview import upload_preview
from channels.uploads.reading import upload_rows
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import SAMPLE, published_version


@pytest.mark.django_db
class UploadPreviewTests:
    def test_it_renders_the_first_rows_and_lists_rows_with_bad_data(self):
        version = published_version()
        by_sms = CustomerFactory(channel_preference=["sms"], locale="ja")
        rows = [
            {"email": "a@example.com", "name": "A", "data": SAMPLE},
            {"customer_id": by_sms.external_id, "data": SAMPLE},
            {"customer_id": "NOPE", "data": SAMPLE},
            {"email": "d@example.com", "data": {**SAMPLE, "amount": "lots"}},
            "not an object",
        ]
        preview = upload_preview(version=version, rows=iter(rows))
        assert preview.total == preview.checked == 5 and preview.can_submit
        first, second, third = preview.rows
        assert (first.channel, first.summary) == ("email", "Payment of £120.50 due")
        assert second.channel == "sms" and "お支払いください" in second.summary
        assert second.sms_encoding == "UCS-2" and second.sms_segments == 1
        assert third.error == "customer_id: no customer 'NOPE'"
        assert preview.errors == [
            {"row": 4, "field": "data.amount", "reason": "'lots' is not of type 'number'"},
            {"row": 5, "field": "row", "reason": "must be an object"},
        ]

    def test_a_malformed_file_cannot_be_submitted(self):
        version = published_version()
        rows = upload_rows(file=io.BytesIO(b'{"email": "a@example.com"}\nnope\n'), format="jsonl")
        preview = upload_preview(version=version, rows=rows)
        assert preview.file_error.startswith("line 2: not valid JSON")
        assert not preview.can_submit

    def test_only_the_first_rows_are_checked_when_asked(self):
        version = published_version()
        rows = [{"email": f"r{i}@example.com", "data": {}} for i in range(10)]
        preview = upload_preview(version=version, rows=iter(rows), check_rows=4)
        assert (preview.total, preview.checked, preview.error_count) == (10, 4, 4)
        assert not preview.fully_checked
