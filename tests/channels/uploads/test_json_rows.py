import io
import json

import pytest

from channels.uploads import json_rows
from channels.uploads.formats import UploadError
from channels.uploads.reading import upload_rows
from tests.factories.templates_store import SAMPLE


def rows_of(content: bytes, format: str, schema=None) -> list:
    return list(upload_rows(file=io.BytesIO(content), format=format, schema=schema))


class JsonRowsTests:
    def test_it_reads_an_array_of_rows(self):
        data = [
            {"customer_id": "C1", "data": SAMPLE},
            {"email": "a@example.com", "data": {"名前": "テスト"}},
        ]
        assert rows_of(json.dumps(data, ensure_ascii=False, indent=2).encode(), "json") == data

    def test_it_reads_rows_that_straddle_read_chunks(self, monkeypatch):
        monkeypatch.setattr(json_rows, "READ_SIZE", 7)
        data = [
            {"email": f"r{i}@example.com", "data": {"amount": i * 10.5, "n": 10**12 + i}}
            for i in range(30)
        ]
        assert rows_of(("\ufeff" + json.dumps(data)).encode(), "json") == data

    def test_an_empty_array_has_no_rows(self):
        assert rows_of(b" [ ] \n", "json") == []

    def test_a_syntax_error_names_its_line(self):
        content = b'[\n  {"email": "a@example.com"},\n  {"email": "b@example.com",}\n]'
        with pytest.raises(UploadError) as info:
            rows_of(content, "json")
        assert info.value.line == 3
        assert "not valid JSON" in str(info.value)

    def test_a_file_that_is_not_an_array_is_refused(self):
        with pytest.raises(UploadError, match="array of rows"):
            rows_of(b'{"email": "a@example.com"}', "json")

    def test_an_unclosed_array_is_refused(self):
        with pytest.raises(UploadError, match="line 2: the file ends"):
            rows_of(b'[{"email": "a@example.com"},\n', "json")

    def test_a_missing_comma_is_refused(self):
        with pytest.raises(UploadError, match="line 1: expected ','"):
            rows_of(b'[{"a": 1} {"b": 2}]', "json")


class JsonLinesRowsTests:
    def test_it_reads_one_row_per_line_and_skips_blank_lines(self):
        content = b'{"customer_id": "C1", "data": {"x": 1}}\n\n{"email": "a@example.com"}\n'
        assert rows_of(content, "jsonl") == [
            {"customer_id": "C1", "data": {"x": 1}},
            {"email": "a@example.com"},
        ]

    def test_a_bad_line_is_named(self):
        content = b'{"email": "a@example.com"}\n{"email": \n'
        rows = upload_rows(file=io.BytesIO(content), format="jsonl")
        assert next(rows) == {"email": "a@example.com"}
        with pytest.raises(UploadError) as info:
            next(rows)
        assert info.value.line == 2

    def test_undecodable_bytes_are_named(self):
        with pytest.raises(UploadError, match="line 2: bytes that are not valid UTF-8"):
            rows_of(b'{"a": 1}\n{"a": "\xff"}\n', "jsonl")
