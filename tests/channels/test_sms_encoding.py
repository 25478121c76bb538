from channels.sms_encoding import GSM7, UCS2, sms_analyse, sms_split


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
