import pytest

from templates_store.diffs import Segment, text_diff, version_diff
from tests.factories.templates_store import TemplateVersionFactory, add_variants, published_version

pytestmark = pytest.mark.django_db


class TextDiffTests:
    def test_equal_texts_have_no_hunks(self):
        assert text_diff("a\nb", "a\nb") == ()

    def test_a_replaced_line_highlights_only_the_changed_words(self):
        (hunk,) = text_diff("Pay now\nThanks", "Pay today\nThanks")
        kinds = [line.kind for line in hunk]
        assert kinds == ["delete", "insert", "equal"]
        assert hunk[0].segments == (Segment("Pay "), Segment("now", changed=True))
        assert hunk[1].segments == (Segment("Pay "), Segment("today", changed=True))
        assert (hunk[0].old_number, hunk[1].new_number, hunk[2].old_number) == (1, 1, 2)

    def test_whole_words_are_highlighted_even_when_they_share_letters(self):
        (hunk,) = text_diff("Dear {{ name }}, pay by Monday.", "Dear {{ name }}, pay by Friday!")
        assert hunk[0].segments == (
            Segment("Dear {{ name }}, pay by "),
            Segment("Monday.", changed=True),
        )
        assert hunk[1].segments[-1] == Segment("Friday!", changed=True)

    def test_distant_changes_make_separate_hunks_with_three_lines_of_context(self):
        old = "\n".join(f"line {i}" for i in range(20))
        new = old.replace("line 1\n", "line one\n").replace("line 18", "line eighteen")
        hunks = text_diff(old, new)
        assert len(hunks) == 2
        assert [line.old_number for line in hunks[1] if line.kind == "equal"] == [16, 17, 18, 20]

    def test_added_lines_are_marked_whole(self):
        (hunk,) = text_diff("", "first\nsecond")
        assert [(line.kind, line.segments) for line in hunk] == [
            ("insert", (Segment("first", changed=True),)),
            ("insert", (Segment("second", changed=True),)),
        ]


class VersionDiffTests:
    def test_it_names_each_changed_field_of_each_channel_and_locale(self):
        old = published_version()
        new = add_variants(
            TemplateVersionFactory(
                communication=old.communication, sample_data={"first_name": "Bo"}
            )
        )
        new.variants.filter(channel="email", locale="en").update(subject="New subject")
        new.variants.filter(channel="print", locale="ja").delete()
        diffs = version_diff(old=old, new=new)
        assert [(d.channel, d.locale, d.field, d.status) for d in diffs] == [
            ("email", "en", "subject", "changed"),
            ("print", "ja", "subject", "removed"),
            ("print", "ja", "body_html", "removed"),
            ("", "", "sample_data", "changed"),
        ]
        assert diffs[0].channel_label == "Email"
        assert diffs[0].field_label == "Subject"

    def test_against_nothing_everything_is_added(self):
        new = add_variants(TemplateVersionFactory())
        diffs = version_diff(old=None, new=new)
        assert {d.status for d in diffs} == {"added"}
        assert len([d for d in diffs if d.channel]) == 11  # 6 variants, 11 non-empty fields
