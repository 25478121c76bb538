"""What changed between two versions, field by field, for the approver.

Each changed field of each channel/locale becomes a line diff in hunks (three lines of
context), and lines replaced one for one carry the changed characters highlighted.
"""

import difflib
import json
import re
from dataclasses import dataclass
from typing import Literal

from django.utils.translation import gettext_lazy as _

from ccm.vocabulary import Channel
from templates_store.models import TemplateVariant, TemplateVersion

FIELDS = ("subject", "body_html", "body_text")
FIELD_LABELS = {
    "subject": _("Subject"),
    "body_html": _("HTML body"),
    "body_text": _("Text body"),
    "sample_data": _("Sample data"),
}
CONTEXT_LINES = 3

LineKind = Literal["equal", "delete", "insert"]
FieldStatus = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class Segment:
    text: str
    changed: bool = False


@dataclass(frozen=True)
class DiffLine:
    kind: LineKind
    old_number: int | None
    new_number: int | None
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class FieldDiff:
    channel: str  # empty for the version's own fields (sample data)
    locale: str
    field: str
    status: FieldStatus
    hunks: tuple[tuple[DiffLine, ...], ...]

    @property
    def channel_label(self) -> str:
        return str(Channel(self.channel).label) if self.channel else ""

    @property
    def field_label(self) -> str:
        return str(FIELD_LABELS.get(self.field, self.field))


_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


def _merge(segments: list[Segment]) -> tuple[Segment, ...]:
    merged: list[Segment] = []
    for segment in segments:
        if merged and merged[-1].changed == segment.changed:
            merged[-1] = Segment(merged[-1].text + segment.text, segment.changed)
        else:
            merged.append(segment)
    return tuple(merged)


def _intraline(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """The two lines cut into segments, the words that differ marked as changed."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    old_segments: list[Segment] = []
    new_segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        changed = tag != "equal"
        if i2 > i1:
            old_segments.append(Segment("".join(a[i1:i2]), changed))
        if j2 > j1:
            new_segments.append(Segment("".join(b[j1:j2]), changed))
    return _merge(old_segments), _merge(new_segments)


def text_diff(old: str, new: str) -> tuple[tuple[DiffLine, ...], ...]:
    """Hunks of a line diff between ``old`` and ``new``."""
    a, b = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    hunks = []
    for group in matcher.get_grouped_opcodes(CONTEXT_LINES):
        lines: list[DiffLine] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(
                    DiffLine("equal", i + 1, j + 1, (Segment(a[i]),))
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                )
                continue
            if tag == "replace" and i2 - i1 == j2 - j1:
                pairs = [
                    _intraline(a[i], b[j])
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                ]
                lines.extend(
                    DiffLine("delete", i + 1, None, pair[0])
                    for i, pair in zip(range(i1, i2), pairs, strict=True)
                )
                lines.extend(
                    DiffLine("insert", None, j + 1, pair[1])
                    for j, pair in zip(range(j1, j2), pairs, strict=True)
                )
                continue
            lines.extend(
                DiffLine("delete", i + 1, None, (Segment(a[i], True),)) for i in range(i1, i2)
            )
            lines.extend(
                DiffLine("insert", None, j + 1, (Segment(b[j], True),)) for j in range(j1, j2)
            )
        hunks.append(tuple(lines))
    return tuple(hunks)


def _variants(version: TemplateVersion | None) -> dict[tuple[str, str], TemplateVariant]:
    if version is None:
        return {}
    return {(v.channel, v.locale): v for v in version.variants.all()}


def _pretty_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


def version_diff(*, old: TemplateVersion | None, new: TemplateVersion) -> list[FieldDiff]:
    """Every field that differs between ``old`` (None: nothing published yet) and ``new``,
    ordered by channel, locale and field; the sample data last."""
    before, after = _variants(old), _variants(new)
    diffs = []
    for channel, locale in sorted(before.keys() | after.keys()):
        old_variant, new_variant = before.get((channel, locale)), after.get((channel, locale))
        for name in FIELDS:
            old_text = getattr(old_variant, name) if old_variant else ""
            new_text = getattr(new_variant, name) if new_variant else ""
            if old_text == new_text:
                continue
            status: FieldStatus = (
                "added" if old_variant is None else "removed" if new_variant is None else "changed"
            )
            diffs.append(FieldDiff(channel, locale, name, status, text_diff(old_text, new_text)))
    old_sample = _pretty_json(old.sample_data) if old else ""
    new_sample = _pretty_json(new.sample_data)
    if old_sample != new_sample:
        status = "added" if old is None else "changed"
        diffs.append(FieldDiff("", "", "sample_data", status, text_diff(old_sample, new_sample)))
    return diffs
