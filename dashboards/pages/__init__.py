"""The report's pages: each turns the report queries' frames into a summary, charts and tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import plotly.graph_objects as go
import polars as pl
from plotly.colors import qualitative

from dashboards.queries import Window
from transforms.rules import Rule


@dataclass(frozen=True)
class Chart:
    title: str
    note: str
    figure: go.Figure


@dataclass(frozen=True)
class Table:
    title: str
    note: str
    columns: tuple[str, ...]
    rows: list[tuple]


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    purpose: str  # one line for the index
    summary: list[str]  # plain-language sentences shown first
    sections: list[Chart | Table]

    @property
    def charts(self) -> list[Chart]:
        return [s for s in self.sections if isinstance(s, Chart)]


@dataclass(frozen=True)
class Inputs:
    """What a page is built from: the report queries (bound to the window), the window, the cause catalogue."""

    fetch: Callable[[str], pl.DataFrame]
    window: Window
    causes: dict[str, Rule]

    def days(self) -> list:
        """Every UTC day of the window, oldest first."""
        first = self.window.since.date()
        return [first + timedelta(days=n) for n in range((self.window.last_day - first).days + 1)]

    def cause_colors(self) -> dict[str, str]:
        """One fixed colour per cause (catalogue order), the same on every chart."""
        palette = qualitative.Dark24
        return {cause: palette[i % len(palette)] for i, cause in enumerate(self.causes)}

    def title(self, cause: str) -> str:
        rule = self.causes.get(cause)
        return rule.title if rule else cause

    def fix(self, cause: str) -> str:
        rule = self.causes.get(cause)
        return " ".join(rule.fix.split()) if rule else ""


def count(n: int, noun: str, plural: str | None = None) -> str:
    """`1 user`, `2,300 users`."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {plural or noun + 's'}"
