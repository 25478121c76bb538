import pytest

from channels.uploads.formats import UploadError, upload_format


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
        assert upload_format(filename=name) == expected

    def test_an_unknown_extension_is_refused(self):
        with pytest.raises(UploadError, match="cannot tell the format"):
            upload_format(filename="rows.xlsx")
