import pytest

from rendering.sms_encoding import GSM7, GSM7_EXTENSION, UCS2, sms_analyse, sms_split
from tests.rendering.sms_segment_cases import CASES


class SmsAnalyseTests:
    def test_plain_ascii_is_gsm7_with_160_characters_in_one_segment(self):
        info = sms_analyse("a" * 160)
        assert (info.encoding, info.units, info.segments) == (GSM7, 160, 1)
        assert sms_analyse("a" * 161).segments == 2

    def test_concatenated_gsm7_parts_hold_153_septets(self):
        assert sms_analyse("a" * 306).segments == 2
        assert sms_analyse("a" * 307).segments == 3

    def test_extension_characters_cost_two_septets(self):
        info = sms_analyse("€" * 80)
        assert (info.encoding, info.units, info.segments) == (GSM7, 160, 1)
        assert sms_analyse("€" * 81).segments == 2

    def test_an_escape_is_never_split_across_parts(self):
        text = "a" * 152 + "€" + "b" * 10
        parts = sms_split(text)
        assert parts[0] == "a" * 152
        assert parts[1].startswith("€")
        assert "".join(parts) == text

    def test_japanese_is_ucs2_70_then_67_per_part(self):
        assert sms_analyse("あ" * 70).segments == 1
        info = sms_analyse("あ" * 71)
        assert (info.encoding, info.segments) == (UCS2, 2)
        assert sms_analyse("あ" * 134).segments == 2
        assert sms_analyse("あ" * 135).segments == 3

    def test_one_character_outside_gsm7_forces_ucs2_and_is_named(self):
        info = sms_analyse("Hello — world")
        assert info.encoding == UCS2
        assert info.non_gsm_characters == ("—",)

    def test_emoji_count_as_two_units_and_are_not_split(self):
        text = "a" * 66 + "😀" + "b" * 10
        info = sms_analyse(text)
        assert info.units == 66 + 2 + 10
        parts = sms_split(text)
        assert parts[0] == "a" * 66
        assert parts[1].startswith("😀")

    def test_empty_text_has_no_segment(self):
        assert sms_analyse("").segments == 0


class CarrierCountTests:
    @pytest.mark.parametrize(
        ("text", "encoding", "units", "segments", "why"), CASES, ids=[c[4] for c in CASES]
    )
    def test_counts_match_the_carriers_rules(self, text, encoding, units, segments, why):
        info = sms_analyse(text)
        assert (info.encoding, info.units, info.segments) == (encoding, units, segments)

    @pytest.mark.parametrize(
        ("text", "encoding", "units", "segments", "why"), CASES, ids=[c[4] for c in CASES]
    )
    def test_parts_rebuild_the_text_and_each_fits_its_part(
        self, text, encoding, units, segments, why
    ):
        parts = sms_split(text)
        assert "".join(parts) == text
        assert len(parts) == segments
        single, part = (160, 153) if encoding == GSM7 else (70, 67)
        limit = single if segments == 1 else part
        for piece in parts:
            cost = (
                sum(2 if ch in GSM7_EXTENSION else 1 for ch in piece)
                if encoding == GSM7
                else len(piece.encode("utf-16-le")) // 2
            )
            assert cost <= limit
            # No part starts or ends inside a surrogate pair.
            encoded = piece.encode("utf-16-le")
            first, last = (
                int.from_bytes(encoded[:2], "little"),
                int.from_bytes(encoded[-2:], "little"),
            )
            assert not 0xDC00 <= first <= 0xDFFF and not 0xD800 <= last <= 0xDBFF

    def test_the_fixture_has_at_least_fifty_strings(self):
        assert len(CASES) >= 50
