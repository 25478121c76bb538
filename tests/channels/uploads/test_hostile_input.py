"""Hostile recipient files: very wide headers, NUL bytes, bytes in an undeclared
encoding, JSON rows nested too deep. Each is refused quickly with the line and the
reason, never a 500 and never read as something else."""

import io
import json
import time

import pytest
from rest_framework.test import APIClient

from channels.models import Batch
from channels.uploads.encodings import declared_encoding
from channels.uploads.formats import UploadError
from channels.uploads.reading import upload_rows
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import published_version


def rows_of(content: bytes, format: str = "csv", **kwargs) -> list:
    return list(upload_rows(file=io.BytesIO(content), format=format, **kwargs))


@pytest.fixture
def api(db):
    client = APIClient()
    client.force_authenticate(UserFactory(roles=["operator"]))
    return client


def post_csv(api, key: str, content: bytes, content_type: str = "text/csv", query: str = ""):
    return api.generic(
        "POST", f"/api/batches?communication={key}{query}", content, content_type=content_type
    )


class WideHeaderTests:
    def test_a_header_over_the_column_limit_is_refused_at_once(self, settings):
        settings.CCM_UPLOAD_MAX_COLUMNS = 1000
        header = ",".join(f"data.c{i}" for i in range(100_000))
        content = f"email,{header}\na@example.com\n".encode()
        started = time.monotonic()
        with pytest.raises(UploadError) as info:
            rows_of(content)
        assert time.monotonic() - started < 2
        assert info.value.line == 1
        assert "100001 columns; at most 1000 are accepted" in str(info.value)

    def test_the_header_check_is_linear_in_its_width(self, settings):
        # 20,000 nested columns: the old pairwise check made 400 million comparisons.
        settings.CCM_UPLOAD_MAX_COLUMNS = 50_000
        header = ",".join(f"data.g{i}.v" for i in range(20_000))
        content = f"email,{header}\na@example.com,1\n".encode()
        started = time.monotonic()
        rows = rows_of(content)
        assert time.monotonic() - started < 3
        assert rows[0]["data"]["g0"] == {"v": "1"}

    def test_a_column_that_is_also_a_parent_of_another_is_still_refused(self):
        with pytest.raises(UploadError, match=r"columns 'a' and 'a\.b' both set 'a'"):
            rows_of(b"email,data.a.b,data.x,data.a\nx@example.com,1,2,3\n")


class NulCellTests:
    def test_a_nul_byte_in_a_cell_names_the_line_and_the_column(self):
        content = b"email,data.first_name\na@example.com,Ann\nb@example.com,B\x00b\n"
        with pytest.raises(UploadError) as info:
            rows_of(content)
        assert info.value.line == 3
        assert "column 'data.first_name'" in str(info.value)
        assert "NUL" in str(info.value)

    def test_a_nul_byte_in_a_posted_csv_is_a_400(self, api):
        version = published_version()
        content = b"email,first_name\na@example.com,A\x00\n"
        response = post_csv(api, version.communication.key, content)
        assert response.status_code == 400
        assert "line 2: column 'first_name'" in response.json()["body"][0]
        assert Batch.objects.count() == 0


class EncodingTests:
    LATIN1 = "email,first_name\na@example.com,Ren\u00e9e\nb@example.com,Z\u00f6e\n"

    def test_utf8_with_and_without_bom_is_read_as_utf8(self):
        text = "email,first_name\na@example.com,Ren\u00e9e \u82b1\n"
        for content in (text.encode(), b"\xef\xbb\xbf" + text.encode()):
            assert rows_of(content)[0]["data"] == {"first_name": "Ren\u00e9e \u82b1"}

    def test_undeclared_bytes_that_are_not_utf8_are_refused_naming_the_first_bad_byte(self):
        # Latin-1 "Renée": 0xE9 followed by "e" is also a valid CP932 character; it used
        # to be read as CP932 and go out as garbled text.
        with pytest.raises(UploadError) as info:
            rows_of(self.LATIN1.encode("latin-1"))
        assert info.value.line == 2
        message = str(info.value)
        assert "byte 0xE9 at offset 34 (column 18)" in message
        assert "declare its encoding" in message

    @pytest.mark.parametrize(
        ("text", "encoding"),
        [
            (
                "email,first_name,city\na@example.com,Ren\u00e9e,Besan\u00e7on\n"
                "b@example.com,Ga\u00ebl,S\u00e8te\nc@example.com,J\u00e9r\u00f4me,Orl\u00e9ans\n",
                "latin-1",
            ),
            (
                "email,name,city\na@example.com,J\u00fcrgen M\u00fcller,M\u00fcnchen\n"
                "b@example.com,G\u00f6tz,K\u00f6ln\n",
                "cp1252",
            ),
        ],
    )
    def test_western_8bit_files_are_not_taken_for_cp932(self, text, encoding):
        with pytest.raises(UploadError, match="is not valid UTF-8"):
            rows_of(text.encode(encoding))

    def test_a_cp932_file_is_still_detected(self):
        text = "email,data.first_name\na@example.com,\u592a\u90ce\nb@example.com,\u82b1\u5b50\n"
        rows = rows_of(text.encode("cp932"))
        assert [r["data"]["first_name"] for r in rows] == ["\u592a\u90ce", "\u82b1\u5b50"]

    def test_a_declared_encoding_is_used(self):
        rows = rows_of(self.LATIN1.encode("latin-1"), encoding="latin-1")
        assert [r["data"]["first_name"] for r in rows] == ["Ren\u00e9e", "Z\u00f6e"]

    def test_an_unknown_declared_encoding_is_refused(self):
        with pytest.raises(UploadError, match="unknown encoding 'klingon'"):
            rows_of(b"email\na@example.com\n", encoding="klingon")

    def test_the_declaration_comes_from_the_parameter_or_the_content_type(self):
        assert declared_encoding(content_type="text/csv; charset=latin-1") == "latin-1"
        assert declared_encoding(content_type='text/csv; charset="cp932"') == "cp932"
        assert declared_encoding(content_type="text/csv", parameter="cp932") == "cp932"
        assert declared_encoding(content_type="text/csv") is None

    def test_the_api_refuses_undeclared_latin1_and_reads_it_when_declared(
        self, api, django_capture_on_commit_callbacks
    ):
        version = published_version()
        content = self.LATIN1.encode("latin-1")
        response = post_csv(api, version.communication.key, content)
        assert response.status_code == 400
        assert "byte 0xE9 at offset 34" in response.json()["body"][0]
        assert Batch.objects.count() == 0
        with django_capture_on_commit_callbacks():
            response = post_csv(
                api, version.communication.key, content, "text/csv; charset=latin-1"
            )
            assert response.status_code == 202, response.json()
            response = post_csv(api, version.communication.key, content, query="&encoding=latin-1")
            assert response.status_code == 202, response.json()


class DeepJsonRowTests:
    def test_a_json_lines_row_nested_too_deep_names_its_line(self):
        content = b'{"email": "a@example.com"}\n' + b"[" * 5000 + b"]" * 5000 + b"\n"
        with pytest.raises(UploadError) as info:
            rows_of(content, "jsonl")
        assert info.value.line == 2
        assert "nested deeper than 100 levels" in str(info.value)

    @pytest.mark.parametrize("depth", [900, 100_000])
    def test_a_json_array_row_nested_too_deep_is_refused(self, depth):
        content = b'[{"email": "a@example.com"},\n' + b"[" * depth + b"]" * depth + b"]"
        with pytest.raises(UploadError) as info:
            rows_of(content, "json")
        assert info.value.line == 2
        assert "nested deeper than 100 levels" in str(info.value)

    def test_a_deep_json_lines_body_is_a_400(self, api):
        version = published_version()
        content = b"[" * 900 + b"]" * 900 + b"\n"
        response = post_csv(api, version.communication.key, content, "application/x-ndjson")
        assert response.status_code == 400
        assert "nested deeper" in json.dumps(response.json())


class WeakCp932GuessTests:
    """Without a declaration CP932 is taken only on strong evidence of Japanese text; a
    few stray 8-bit bytes in ASCII text are refused naming the first one."""

    @pytest.mark.parametrize(
        ("name", "byte"),
        [
            (b"Ren\xe9e", "0xE9"),
            (b"Fran\xe7ois G\xe9rard", "0xE7"),
            (b"\xc3\x28", "0xC3"),
            (b"\xff\xfe", "0xFF"),
        ],
    )
    def test_stray_bytes_are_refused_naming_the_first(self, name, byte):
        content = b"email,first_name\na@example.com," + name + b"\nb@example.com,Bob\n"
        with pytest.raises(UploadError) as info:
            rows_of(content)
        assert info.value.line == 2
        assert f"byte {byte} at offset" in str(info.value)
        assert "is not valid UTF-8" in str(info.value)

    def test_a_japanese_excel_file_with_names_and_addresses_is_read_as_cp932(self):
        rows = [
            ("taro@example.jp", "山田 太郎", "東京都千代田区丸の内一丁目9番1号"),
            ("hanako@example.jp", "佐藤 花子", "大阪府大阪市北区梅田三丁目1番3号"),
            ("kenji@example.jp", "鈴木 健二", "神奈川県横浜市西区みなとみらい二丁目2番1号"),
            ("yumi@example.jp", "高橋 由美", "愛知県名古屋市中村区名駅一丁目1番4号"),
        ]
        text = "email,data.name,data.address\r\n" + "".join(
            f"{email},{name},{address}\r\n" for email, name, address in rows
        )
        read = rows_of(text.encode("cp932"))
        assert [(r["data"]["name"], r["data"]["address"]) for r in read] == [
            (name, address) for _email, name, address in rows
        ]
