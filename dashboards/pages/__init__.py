"""The report's pages: each turns the report queries' frames into a summary, charts and tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import polars as pl

from dashboards import figures
from dashboards.links import Links
from dashboards.queries import Window
from transforms.rules import Rule

# One colour per cause, in catalogue order, the same on every chart: Paul Tol's muted and Okabe-Ito's
# palettes, both chosen to stay distinct for the common colour-vision deficiencies; the fallback cause grey.
CAUSE_PALETTE = (
    "#332288", "#E69F00", "#117733", "#CC6677", "#56B4E9", "#882255", "#DDCC77", "#0072B2",
    "#44AA99", "#D55E00", "#AA4499", "#999933", "#88CCEE", "#F0E442", "#CC79A7", "#009E73",
)  # fmt: skip
FALLBACK_COLOR = "#BBBBBB"
# Verdicts in a second palette of their own (Okabe-Ito): blue for user or device trouble, orange and
# vermillion for what may be, and what is, an attack.
VERDICT_COLORS = {"benign": "#0072B2", "suspicious": "#E69F00", "hostile": "#D55E00"}


@dataclass(frozen=True)
class Link:
    """A table cell that links to a page of the site (or the Entra admin center)."""

    text: str
    href: str


@dataclass(frozen=True)
class Facet:
    """A column of a chart's facts the reader filters on: one value at a time, or every value."""

    column: str
    label: str  # shown before the selector: "Cause", "App", "CA policy"
    options: list[tuple[str, str]]  # (value in the facts, text shown), the largest first
    rolled_up: bool  # the facts hold a row with NULL here for every value together (counts that do not add up)


@dataclass(frozen=True)
class Filters:
    """What a chart is redrawn from when the reader filters it: facts of (category, series, facets...,
    value), one figure point per category and series. The figure's traces are named by series and its points
    are the categories; the page script sums the value of the facts that match the chosen facet values."""

    facts: pl.DataFrame
    category: str
    series: str
    value: str
    unit: str  # what the value counts, for the line that says what is shown: "attempts"
    facets: tuple[Facet, ...]

    def unfiltered(self) -> pl.DataFrame:
        """The facts the figure draws before the reader chooses anything: for every rolled-up facet, the
        rows that hold all of its values together."""
        frame = self.facts
        for facet in self.facets:
            if facet.rolled_up:
                frame = frame.filter(pl.col(facet.column).is_null())
        return frame


def facet(
    facts: pl.DataFrame, column: str, label: str, value: str, rolled_up: tuple[str, ...], names: dict | None = None
) -> Facet:
    """A facet with its options ordered by their total `value` over every value of the other facets;
    `names` maps option values to the text shown (default: the value itself)."""
    rows = facts.filter(pl.col(column).is_not_null())
    for other in rolled_up:
        if other != column:
            rows = rows.filter(pl.col(other).is_null())
    totals = rows.group_by(column).agg(pl.col(value).sum()).sort([value, column], descending=[True, False])
    return Facet(column, label, [(v, (names or {}).get(v, v)) for v in totals[column]], column in rolled_up)


@dataclass(frozen=True)
class Chart:
    title: str
    note: str
    figure: dict | None  # a plotly figure ({data, layout}); None: nothing to draw, `empty` is shown instead
    empty: str = "Nothing to show in this window."
    filters: Filters | None = None  # the reader can redraw the figure for one cause, app, policy...

    @property
    def draws(self) -> bool:
        """Whether the figure has a point to draw: one without any shows the `empty` sentence instead."""
        return self.figure is not None and any(
            len(trace.get("x") or trace.get("z") or trace.get("y") or ()) for trace in self.figure["data"]
        )


@dataclass(frozen=True)
class Table:
    title: str
    note: str
    columns: tuple[str, ...]
    rows: list[tuple]  # cells: text, numbers, None or Link


@dataclass(frozen=True)
class Page:
    slug: str  # the file name without .html
    title: str
    purpose: str  # one line for the landing page
    summary: list[str]  # plain-language sentences shown first
    sections: list[Chart | Table]
    in_nav: bool = True  # user and policy pages are reached through links, not the navigation bar
    warnings: list[str] = field(default_factory=list)

    @property
    def charts(self) -> list[Chart]:
        """The charts that draw a figure."""
        return [s for s in self.sections if isinstance(s, Chart) and s.draws]


@dataclass(frozen=True)
class Inputs:
    """What a page is built from: the report queries (bound to the window), the window, the cause
    catalogue and the site's links."""

    fetch: Callable[[str], pl.DataFrame]
    window: Window
    causes: dict[str, Rule]
    links: Links

    def days(self) -> list:
        """Every UTC day of the window, oldest first."""
        first = self.window.since.date()
        return [first + timedelta(days=n) for n in range((self.window.last_day - first).days + 1)]

    def per_day(
        self,
        frame: pl.DataFrame,
        series: str = "cause",
        value: str = "attempts",
        colors: dict | None = None,
        y_title: str = "attempts",
    ) -> dict:
        """`value` per UTC day of the window, stacked by `series` (by default 500121 attempts by cause title,
        each cause in its colour)."""
        return figures.stacked_bars(
            frame,
            "day",
            series,
            value,
            x_title="day (UTC)",
            y_title=y_title,
            colors=self.cause_colors() if colors is None else colors,
            days=(self.window.since.date(), self.window.last_day),
        )

    def cause_colors(self) -> dict[str, str]:
        """Cause title -> its fixed colour (charts name causes by title)."""
        ordered = [c for c in self.causes if not self.causes[c].is_fallback]
        colors = {self.title(c): CAUSE_PALETTE[i % len(CAUSE_PALETTE)] for i, c in enumerate(ordered)}
        return colors | {self.title(c): FALLBACK_COLOR for c in self.causes if self.causes[c].is_fallback}

    def title(self, cause: str | None) -> str:
        rule = self.causes.get(cause) if cause else None
        return rule.title if rule else (cause or "")

    def fix(self, cause: str | None) -> str:
        rule = self.causes.get(cause) if cause else None
        return " ".join(rule.fix.split()) if rule else ""

    def policy_advice(self, cause: str | None) -> str:
        rule = self.causes.get(cause) if cause else None
        return rule.policy_advice if rule else ""

    def titled(self, frame: pl.DataFrame, column: str = "cause") -> pl.DataFrame:
        """The frame with cause ids in `column` replaced by their titles."""
        titles = {c: self.title(c) for c in self.causes}
        return frame.with_columns(pl.col(column).replace(titles))


def count(n: int, noun: str, plural: str | None = None) -> str:
    """`1 user`, `2,300 users`."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {plural or noun + 's'}"


def when(value) -> str:
    """A timestamp as the pages show it (UTC, to the minute)."""
    return "" if value is None else f"{value:%Y-%m-%d %H:%M}"


def user_cell(inputs: Inputs, row: dict):
    """A table's user cell: a link to the user's page when the user has one."""
    href = inputs.links.user(row["tenant_id"], row["user_key"])
    return Link(row["user"] or "", href) if href else row["user"]


def policy_label(row: dict) -> str:
    """A policy's name, marked when the row is a report-only result and the name does not say so."""
    label = row["label"] or row["policy_key"]
    return label + " (report-only)" if row["report_only"] and "report-only" not in label.lower() else label
