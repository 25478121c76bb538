import io
import json

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from channels.services import uploads
from channels.services.uploads import UploadError, upload_rows
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import PAYMENT_SCHEMA, SAMPLE, published_version

JA_CSV = (
    "customer_id,name,email,locale,data.first_name,data.amount,data.due_date\r\n"
    "C1,山田 太郎,taro@example.jp,ja,太郎,12000,2026-12-15\r\n"
    "C2,佐藤 花子,hanako@example.jp,ja,花子,3500.5,2026-12-20\r\n"
)


def rows_of(content: bytes, format: str, schema=None) -> list:
    return list(upload_rows(file=io.BytesIO(content), format=format, schema=schema))


class CsvRowsTests:
    def test_it_reads_a_cp932_file_written_by_japanese_excel(self):
        rows = rows_of(JA_CSV.encode("cp932"), "csv", PAYMENT_SCHEMA)
        assert rows == [
            {
                "customer_id": "C1",
                "name": "山田 太郎",
                "email": "taro@example.jp",
                "locale": "ja",
                "data": {"first_name": "太郎", "amount": 12000, "due_date": "2026-12-15"},
            },
            {
                "customer_id": "C2",
                "name": "佐藤 花子",
                "email": "hanako@example.jp",
                "locale": "ja",
                "data": {"first_name": "花子", "amount": 3500.5, "due_date": "2026-12-20"},
            },
        ]

    def test_it_reads_utf8_with_a_byte_order_mark(self):
        rows = rows_of("\ufeff".encode() + JA_CSV.encode("utf-8"), "csv", PAYMENT_SCHEMA)
        # The BOM does not end up in the first column's name.
        assert rows[0]["customer_id"] == "C1"
        assert rows[1]["name"] == "佐藤 花子"

    def test_it_reads_plain_utf8(self):
        rows = rows_of(JA_CSV.encode("utf-8"), "csv", PAYMENT_SCHEMA)
        assert [r["data"]["first_name"] for r in rows] == ["太郎", "花子"]

    def test_numbers_stay_strings_unless_the_schema_says_number(self):
        content = b"email,data.amount,data.reference,account_no\nx@example.com,12,00123,0042\n"
        assert rows_of(content, "csv", PAYMENT_SCHEMA)[0]["data"] == {
            "amount": 12,
            "reference": "00123",
            "account_no": "0042",
        }
        assert rows_of(content, "csv", {})[0]["data"]["amount"] == "12"

    def test_a_non_numeric_value_in_a_number_column_is_left_for_validation(self):
        content = b"email,data.amount\nx@example.com,lots\n"
        assert rows_of(content, "csv", PAYMENT_SCHEMA)[0]["data"] == {"amount": "lots"}

    def test_integer_and_boolean_fields_are_converted_and_empty_numbers_left_out(self):
        schema = {
            "type": "object",
            "properties": {
                "count": {"type": "integer"},
                "paid": {"type": "boolean"},
                "amount": {"type": ["number", "null"]},
            },
        }
        content = b"phone,count,paid,amount\n+447700900123,3,TRUE,\n+447700900124,2.5,no,1e3\n"
        rows = rows_of(content, "csv", schema)
        assert rows[0] == {"phone": "+447700900123", "data": {"count": 3, "paid": True}}
        assert rows[1]["data"] == {"count": "2.5", "paid": "no", "amount": 1000.0}

    def test_dotted_data_columns_nest_and_use_the_nested_schema(self):
        schema = {
            "type": "object",
            "properties": {
                "account": {"type": "object", "properties": {"balance": {"type": "number"}}}
            },
        }
        content = b"email,data.account.number,data.account.balance\nx@example.com,A-1,-4.25\n"
        assert rows_of(content, "csv", schema)[0]["data"] == {
            "account": {"number": "A-1", "balance": -4.25}
        }

    def test_quoted_cells_keep_commas_and_line_breaks(self):
        content = b'name,address,data.note\nAlex,"1 High Street\nLondon","a, b"\n'
        assert rows_of(content, "csv")[0] == {
            "name": "Alex",
            "address": "1 High Street\nLondon",
            "data": {"note": "a, b"},
        }

    def test_blank_lines_are_skipped_and_empty_contact_cells_left_out(self):
        content = b"email,phone,data.x\n\n,,\na@example.com,,1\n"
        assert rows_of(content, "csv") == [{"email": "a@example.com", "data": {"x": "1"}}]

    def test_a_row_with_more_cells_than_columns_names_its_line(self):
        content = b"email,data.x\na@example.com,1\nb@example.com,2,3\n"
        with pytest.raises(UploadError) as info:
            rows_of(content, "csv")
        assert info.value.line == 3
        assert str(info.value) == "line 3: 3 cells but the header names 2 columns"

    def test_undecodable_bytes_name_the_line(self):
        # Valid UTF-8 nowhere and not CP932 either on line 3 (0x81 0x20 is no CP932 character).
        content = (
            "email,data.x\na@example.com,テスト\n".encode("cp932") + b"b@example.com,\x81\x20\n"
        )
        with pytest.raises(UploadError) as info:
            list(upload_rows(file=io.BytesIO(content), format="csv", encoding="cp932"))
        assert info.value.line == 3
        assert "not valid CP932" in str(info.value)
        # Undeclared, such a file is no encoding the platform can tell: it is refused at
        # its first byte that is not UTF-8.
        with pytest.raises(UploadError) as info:
            rows_of(content, "csv")
        assert info.value.line == 2
        assert "byte 0x83 at offset 27" in str(info.value)

    def test_a_duplicated_column_is_refused(self):
        with pytest.raises(UploadError, match="line 1: column 'email' appears twice"):
            rows_of(b"email,email\na,b\n", "csv")

    def test_an_empty_file_is_refused(self):
        with pytest.raises(UploadError, match="empty"):
            rows_of(b"", "csv")

    def test_rows_are_produced_lazily(self):
        content = (
            b"email,data.x\n"
            + b"".join(b"r%d@example.com,%d\n" % (i, i) for i in range(5))
            + b"bad,1,2\n"
        )
        rows = upload_rows(file=io.BytesIO(content), format="csv")
        # The malformed last line is not read until the rows before it have been used.
        assert next(rows)["email"] == "r0@example.com"
        assert [next(rows)["data"]["x"] for _ in range(4)] == ["1", "2", "3", "4"]
        with pytest.raises(UploadError):
            next(rows)


class JsonRowsTests:
    def test_it_reads_an_array_of_rows(self):
        data = [
            {"customer_id": "C1", "data": SAMPLE},
            {"email": "a@example.com", "data": {"名前": "テスト"}},
        ]
        assert rows_of(json.dumps(data, ensure_ascii=False, indent=2).encode(), "json") == data

    def test_it_reads_rows_that_straddle_read_chunks(self, monkeypatch):
        monkeypatch.setattr(uploads, "_READ_SIZE", 7)
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


class UploadFormatTests:
    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("rows.CSV", "csv"),
            ("rows.json", "json"),
            ("rows.jsonl", "jsonl"),
            ("rows.ndjson", "jsonl"),
        ],
    )
    def test_it_tells_the_format_from_the_name(self, name, expected):
        assert uploads.upload_format(filename=name) == expected

    def test_an_unknown_extension_is_refused(self):
        with pytest.raises(UploadError, match="cannot tell the format"):
            uploads.upload_format(filename="rows.xlsx")


class UploadStorageTests:
    def test_it_keeps_the_file_under_uploads_with_a_random_name(self):
        name = uploads.upload_store(
            file=ContentFile(b"email\n", name="../../etc/x.csv"), filename="../../etc/x.csv"
        )
        assert name.startswith("uploads/") and name.endswith(".csv") and ".." not in name
        with uploads.upload_open(name=name) as fh:
            assert fh.read() == b"email\n"
        uploads.upload_delete(name=name)
        assert not default_storage.exists(name)

    def test_it_refuses_to_open_anything_else(self):
        with pytest.raises(ValueError, match="not an upload"):
            uploads.upload_open(name="../settings.py")


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
        preview = uploads.upload_preview(version=version, rows=iter(rows))
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
        preview = uploads.upload_preview(version=version, rows=rows)
        assert preview.file_error.startswith("line 2: not valid JSON")
        assert not preview.can_submit

    def test_only_the_first_rows_are_checked_when_asked(self):
        version = published_version()
        rows = [{"email": f"r{i}@example.com", "data": {}} for i in range(10)]
        preview = uploads.upload_preview(version=version, rows=iter(rows), check_rows=4)
        assert (preview.total, preview.checked, preview.error_count) == (10, 4, 4)
        assert not preview.fully_checked
