"""Patterns: when failures happen (hour x weekday) and with what (method, OS, client app, app, browser, country)."""

from __future__ import annotations

import polars as pl

from dashboards import figures
from dashboards.pages import Chart, Inputs, Page

DIMENSIONS = {
    "method": "MFA method",
    "os": "operating system",
    "client_app": "client app",
    "app": "application",
    "browser": "browser",
    "user_agent": "user agent",
    "country": "country",
}


def build(inputs: Inputs) -> Page:
    clock = inputs.fetch("patterns_hour_weekday").with_columns(
        pl.col("weekday").replace_strict(dict(enumerate(figures.WEEKDAYS, start=1)), return_dtype=pl.String)
    )
    breakdown = inputs.fetch("patterns_breakdown")
    sections = [
        Chart(
            "500121 attempts by hour and weekday",
            "UTC hours; Monday first.",
            figures.heatmap(
                clock,
                "hour",
                "weekday",
                "attempts",
                x_values=list(range(24)),
                y_values=list(figures.WEEKDAYS),
                x_title="hour (UTC)",
                y_title="weekday",
                z_title="attempts",
            ),
        )
    ]
    for dimension, name in DIMENSIONS.items():
        part = breakdown.filter(pl.col("dimension") == dimension)
        note = (
            "A bar chart rather than a map: a map needs country shapes fetched from the internet."
            if dimension == "country"
            else f"The {name}s with the most 500121 attempts."
        )
        sections.append(
            Chart(
                f"Failures by {name}",
                note,
                figures.bars(
                    part,
                    "value",
                    {"attempts": "attempts", "users": "users"},
                    x_title="attempts / users",
                    y_title=name,
                    height=max(300, 80 + 36 * part.height),
                ),
            )
        )
    return Page(
        "patterns",
        "Patterns",
        "When and with what MFA fails: hour x weekday, method, OS, app, country",
        summary(clock, breakdown),
        sections,
    )


def summary(clock: pl.DataFrame, breakdown: pl.DataFrame) -> list[str]:
    if clock.is_empty():
        return ["No MFA failure (500121) in this window."]
    peak = clock.sort("attempts", descending=True).row(0, named=True)
    lines = [f"Failures peak on {peak['weekday']} at {peak['hour']:02d}:00 UTC ({peak['attempts']:,} attempts)."]
    tops = {
        d: breakdown.filter(pl.col("dimension") == d).row(0, named=True)
        for d in ("method", "os", "app", "country")
        if breakdown.filter(pl.col("dimension") == d).height
    }
    lines += [
        f"Most failing {DIMENSIONS[d]}: {row['value']} ({row['attempts']:,} attempts, {row['users']:,} users)."
        for d, row in tops.items()
    ]
    return lines
