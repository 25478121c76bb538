"""Charts of the figures, rendered on the server as SVG with pygal (no script: values are
printed on the bars, so the chart reads without tooltips)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import pygal
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from pygal.style import Style

from insight.selectors.counts import CHANNELS
from insight.selectors.report import Figures

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#222222",
    foreground_strong="#222222",
    foreground_subtle="#888888",
    font_family="'Noto Sans', 'Noto Sans CJK JP', sans-serif",
    colors=("#1f4e79", "#2e8b57", "#d08c1f", "#b03a2e", "#6c5b7b", "#3a8fb7", "#888888"),
    title_font_size=16,
    label_font_size=12,
    major_label_font_size=12,
    value_font_size=11,
    legend_font_size=12,
)
_OPTIONS: dict[str, Any] = {
    "style": STYLE,
    "js": [],
    "disable_xml_declaration": True,
    "height": 320,
    "width": 720,
    "legend_at_bottom": True,
    "print_values": True,
    "print_zeroes": False,
    "no_data_text": "",
    "margin": 12,
}


def channel_label(channel: str) -> str:
    return {
        "email": _("Email"),
        "sms": _("SMS"),
        "print": _("Letter"),
        "all": _("All channels"),
    }.get(channel, channel)


def _svg(chart: Any, name: str) -> SafeString:
    # pygal escapes labels and titles; the SVG goes into the page as it is.
    svg: str = chart.render(is_unicode=True)
    marked = svg.replace('class="pygal-chart"', f'class="pygal-chart" data-chart="{name}"', 1)
    return mark_safe(marked)  # noqa: S308


def _number(value: Decimal | int | None) -> float | None:
    return None if value is None else float(value)


def chart_daily_by_channel(figures: Figures) -> SafeString:
    days = sorted({r["day"] for r in figures.daily})
    counts: dict[tuple[Any, str], int] = defaultdict(int)
    for row in figures.daily:
        counts[(row["day"], row["channel"])] += row["messages"]
    chart = pygal.StackedBar(
        title=_("Messages per day by channel"), x_label_rotation=30, **_OPTIONS
    )
    chart.x_labels = [d.isoformat() for d in days]
    for channel in CHANNELS:
        if any(counts[(d, channel)] for d in days):
            chart.add(channel_label(channel), [counts[(d, channel)] or None for d in days])
    return _svg(chart, "daily-channels")


def chart_daily_by_state(figures: Figures, state_labels: dict[str, str]) -> SafeString:
    days = sorted({r["day"] for r in figures.daily})
    states = sorted({r["status"] for r in figures.daily})
    counts: dict[tuple[Any, str], int] = defaultdict(int)
    for row in figures.daily:
        counts[(row["day"], row["status"])] += row["messages"]
    chart = pygal.StackedBar(title=_("Messages per day by state"), x_label_rotation=30, **_OPTIONS)
    chart.x_labels = [d.isoformat() for d in days]
    for state in states:
        chart.add(state_labels.get(state, state), [counts[(d, state)] or None for d in days])
    return _svg(chart, "daily-states")


def chart_rates(figures: Figures) -> SafeString:
    rows = [r for r in figures.channels if r["channel"] != "all"]
    chart = pygal.Bar(
        title=_("Rates by channel (%)"), range=(0, 100), value_formatter=_percent, **_OPTIONS
    )
    chart.x_labels = [channel_label(r["channel"]) for r in rows]
    for key, label in (
        ("delivery_rate", _("Delivered")),
        ("bounce_rate", _("Bounced")),
        ("open_rate", _("Opened")),
        ("click_rate", _("Clicked")),
        ("response_rate", _("Responded")),
    ):
        chart.add(label, [_number(r[key]) for r in rows])
    return _svg(chart, "rates")


def chart_costs(figures: Figures, currency: str) -> SafeString:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in figures.costs:
        if row["channel"] != "all":
            totals[row["channel"]] += row["cost"]
    chart = pygal.HorizontalBar(
        title=_("Estimated cost (%(currency)s)") % {"currency": currency},
        value_formatter=lambda v: f"{v:,.2f}",
        **_OPTIONS,
    )
    for channel in CHANNELS:
        chart.add(channel_label(channel), [_number(totals.get(channel, Decimal(0)))])
    return _svg(chart, "costs")


def chart_fallbacks(figures: Figures) -> SafeString:
    chart = pygal.HorizontalBar(title=_("Fallbacks taken"), **_OPTIONS)
    for row in figures.fallbacks:
        chart.add(
            f"{channel_label(row['from_channel'])} → {channel_label(row['to_channel'])}",
            [row["messages"]],
        )
    return _svg(chart, "fallbacks")


def chart_versions(figures: Figures) -> SafeString:
    chart = pygal.Bar(
        title=_("Rates by version (%)"), range=(0, 100), value_formatter=_percent, **_OPTIONS
    )
    several = len({r["communication"] for r in figures.versions}) > 1
    chart.x_labels = [
        f"{r['communication']} v{r['version']}" if several else f"v{r['version']}"
        for r in figures.versions
    ]
    for key, label in (
        ("delivery_rate", _("Delivered")),
        ("open_rate", _("Opened")),
        ("click_rate", _("Clicked")),
        ("response_rate", _("Responded")),
    ):
        chart.add(label, [_number(r[key]) for r in figures.versions])
    return _svg(chart, "versions")


def chart_matrix(figures: Figures, purpose_labels: dict[str, str]) -> SafeString:
    purposes = sorted({r["purpose"] for r in figures.matrix})
    sent = {(r["purpose"], r["channel"]): r["sent"] for r in figures.matrix}
    chart = pygal.StackedBar(title=_("Messages sent by topic and channel"), **_OPTIONS)
    chart.x_labels = [purpose_labels.get(p, p) for p in purposes]
    for channel in CHANNELS:
        values = [sent.get((p, channel)) or None for p in purposes]
        if any(values):
            chart.add(channel_label(channel), values)
    return _svg(chart, "matrix")


def chart_survey(row: dict[str, Any], kind_label: str) -> SafeString:
    scores = range(1, 6) if row["kind"] == "csat" else range(0, 11)
    chart = pygal.Bar(title=kind_label, show_legend=False, **_OPTIONS)
    chart.x_labels = [str(s) for s in scores]
    chart.add(_("Answers"), [row["scores"].get(s) or None for s in scores])
    return _svg(chart, f"survey-{row['kind']}")


def _percent(value: float) -> str:
    return f"{value:.1f}%"
