"""Every figure of a scope at once, and each as a table (the CSV exports and the API)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from insight.selectors.counts import COUNT_FIELDS, RATE_NAMES, Scope
from insight.selectors.goals import goals_progress
from insight.selectors.statistics import (
    figures_channels,
    figures_costs,
    figures_daily,
    figures_fallbacks,
    figures_matrix,
    figures_print,
    figures_versions,
)
from insight.selectors.survey_answers import figures_survey, survey_comments


@dataclass(frozen=True)
class Figures:
    scope: Scope
    daily: list[dict[str, Any]]
    channels: list[dict[str, Any]]
    fallbacks: list[dict[str, Any]]
    printing: dict[str, Any]
    costs: list[dict[str, Any]]
    matrix: list[dict[str, Any]]
    versions: list[dict[str, Any]]
    survey: list[dict[str, Any]]
    comments: list[dict[str, Any]]
    goals: list[dict[str, Any]]


def figures_all(*, scope: Scope) -> Figures:
    channels = figures_channels(scope=scope)
    printing = figures_print(scope=scope)
    return Figures(
        scope=scope,
        daily=figures_daily(scope=scope),
        channels=channels,
        fallbacks=figures_fallbacks(scope=scope),
        printing=printing,
        costs=figures_costs(scope=scope, channels=channels, printing=printing),
        matrix=figures_matrix(scope=scope),
        versions=figures_versions(scope=scope),
        survey=figures_survey(scope=scope),
        comments=survey_comments(scope=scope),
        goals=goals_progress(scope=scope),
    )


# The tables every export (CSV) and the API give: name -> (columns, rows).
FIGURE_NAMES = (
    "daily",
    "channels",
    "fallbacks",
    "print",
    "costs",
    "matrix",
    "versions",
    "survey",
    "comments",
    "goals",
)


def figure_table(figures: Figures, name: str) -> tuple[list[str], list[list[Any]]]:
    """One figure as a header and rows (for CSV). Raises KeyError for an unknown name."""
    if name == "daily":
        columns = ["day", "channel", "status", "messages"]
        return columns, [[r[c] for c in columns] for r in figures.daily]
    if name == "channels":
        columns = ["channel", *COUNT_FIELDS, *RATE_NAMES.values()]
        return columns, [[r[c] for c in columns] for r in figures.channels]
    if name == "fallbacks":
        columns = ["from_channel", "to_channel", "messages"]
        return columns, [[r[c] for c in columns] for r in figures.fallbacks]
    if name == "print":
        columns = ["letters", "print_files", "pages", "sheets", "duplex"]
        return columns, [[figures.printing[c] for c in columns]]
    if name == "costs":
        columns = ["channel", "unit", "units", "unit_price", "cost"]
        return columns, [[r[c] for c in columns] for r in figures.costs]
    if name == "matrix":
        columns = ["purpose", "channel", "sent", "responded", "response_rate"]
        return columns, [[r[c] for c in columns] for r in figures.matrix]
    if name == "versions":
        columns = [
            "communication",
            "version",
            *COUNT_FIELDS,
            *RATE_NAMES.values(),
            "average_score",
        ]
        return columns, [[r[c] for c in columns] for r in figures.versions]
    if name == "survey":
        columns = [
            "kind",
            "answers",
            "average",
            "nps",
            "promoters",
            "passives",
            "detractors",
            "comments",
        ]
        return columns, [[r[c] for c in columns] for r in figures.survey]
    if name == "comments":
        columns = ["answered_at", "survey__kind", "score", "comment", "message_id"]
        header = ["answered_at", "kind", "score", "comment", "message", "customer"]
        return header, [
            [*(r[c] for c in columns), r["customer__external_id"] or ""] for r in figures.comments
        ]
    if name == "goals":
        columns = [
            "communication",
            "name",
            "metric",
            "target",
            "within_days",
            "link",
            "value",
            "progress",
            "reached",
        ]
        return columns, [[r[c] for c in columns] for r in figures.goals]
    raise KeyError(name)
