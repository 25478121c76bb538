import io

import pytest

from channels.uploads.formats import UploadError
from channels.uploads.reading import upload_rows
from tests.factories.templates_store import PAYMENT_SCHEMA

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
