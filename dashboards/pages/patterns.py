"""Patterns: when failures happen (hour x weekday), and the failure rate of each MFA method, platform,
browser, application and client app (prompts, failures, rate: a count alone mostly shows what is used most)."""

from __future__ import annotations

import polars as pl

from dashboards import figures
from dashboards.pages import Chart, Inputs, Page, Table
from dashboards.queries import TOP

DIMENSIONS = {
    "method": "MFA method",
    "platform": "platform",
    "browser": "browser",
    "app": "application",
    "client_app": "client app",
}
MIN_PROMPTS = 20  # the summary names the worst value among those with this many prompts


def build(inputs: Inputs) -> Page:
    clock = inputs.fetch("patterns_hour_weekday").with_columns(
        pl.col("weekday").replace_strict(dict(enumerate(figures.WEEKDAYS, start=1)), return_dtype=pl.String)
    )
    rates = inputs.fetch("patterns_rates")
    countries = inputs.fetch("patterns_countries")
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
            )
            if clock.height
            else None,
            "No MFA failure (500121) in this window.",
        ),  # fmt: skip
    ]
    for dimension, name in DIMENSIONS.items():
        part = rates.filter(pl.col("dimension") == dimension)
        drawn = part.head(TOP)  # the most prompted: where a rate rests on volume and matters most
        sections.append(
            Chart(
                f"Failure rate by {name}",
                f"500121 sign-ins per 100 sign-ins with an MFA prompt, for the {drawn.height} {name}s with the "
                f"most prompts; the table lists all {part.height} with their volume.",
                figures.bars(
                    drawn,
                    "value",
                    {"failure_rate": "failure rate %"},
                    x_title="failure rate %",
                    y_title=name,
                    height=max(300, 80 + 30 * drawn.height),
                    percent=True,
                )
                if drawn.height
                else None,
                "No MFA prompt in this window.",
            )  # fmt: skip
        )
        sections.append(
            Table(
                f"Prompts, failures and rate by {name}",
                "Sign-ins with an MFA prompt (or a 500121), the 500121 among them, and the rate.",
                (name, "prompts", "500121 sign-ins", "failure rate %"),
                [(r["value"], r["prompts"], r["failures"], r["failure_rate"]) for r in part.iter_rows(named=True)],
            )
        )
    sections.append(
        Table(
            "Failures by country or region",
            "A table rather than a map: a map needs country shapes fetched from the internet.",
            ("country or region", "500121 attempts", "users"),
            countries.rows(),
        )
    )
    return Page(
        "patterns",
        "Patterns",
        "When MFA fails, and how often per method, platform, browser and app",
        summary(clock, rates),
        sections,
    )


def summary(clock: pl.DataFrame, rates: pl.DataFrame) -> list[str]:
    if clock.is_empty():
        return ["No MFA failure (500121) in this window."]
    peak = clock.sort("attempts", descending=True).row(0, named=True)
    lines = [f"Failures peak on {peak['weekday']} at {peak['hour']:02d}:00 UTC ({peak['attempts']:,} attempts)."]
    for dimension in ("method", "platform", "app"):
        part = rates.filter((pl.col("dimension") == dimension) & (pl.col("prompts") >= MIN_PROMPTS))
        if part.height:
            worst = part.sort("failure_rate", descending=True).row(0, named=True)
            lines.append(
                f"Highest failure rate by {DIMENSIONS[dimension]}: {worst['value']}, {worst['failure_rate']}% "
                f"({worst['failures']:,} of {worst['prompts']:,} prompts)."
            )
    return lines
