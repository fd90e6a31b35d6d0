"""Policies (CA tuning): per Conditional Access policy, the failures it demanded over time and what they share."""

from __future__ import annotations

import polars as pl

from dashboards import figures
from dashboards.pages import Chart, Inputs, Page, Table, count

BREAKDOWNS = {
    "cause": "primary cause",
    "platform": "device platform",
    "country": "country",
    "condition": "matched condition",
}


def labelled(frame: pl.DataFrame) -> pl.DataFrame:
    """Add `label`: the policy name, marked when the row is a report-only result and the name does not say so."""
    marked = pl.col("report_only") & ~pl.col("policy").str.to_lowercase().str.contains("report-only", literal=True)
    return frame.with_columns(
        pl.when(marked).then(pl.col("policy") + " (report-only)").otherwise(pl.col("policy")).alias("label")
    )


def build(inputs: Inputs) -> Page:
    min_days = inputs.window.thresholds["recurring_min_days"]
    policies = labelled(inputs.fetch("policies_summary"))
    daily = labelled(inputs.fetch("policies_daily"))
    breakdown = labelled(inputs.fetch("policies_breakdown"))
    height = max(300, 80 + 36 * policies.height)
    sections = [
        Chart(
            "500121 attempts each policy demanded, per day",
            "Report-only policies are dashed: the failures they would have caused if enforced.",
            figures.daily_lines(
                daily, "day", "label", "failures", dashed="report_only", x_title="day (UTC)", y_title="attempts"
            ),
        ),
        Chart(
            "Users per policy, and recurring users",
            f"Distinct users whose MFA the policy demanded and failed; recurring: on at least {min_days} "
            "distinct days.",
            figures.bars(
                policies,
                "label",
                {"users": "users", "recurring_users": f"users failing on ≥ {min_days} days"},
                x_title="users",
                y_title="policy",
                height=height,
            ),
        ),
    ]
    for dimension, name in BREAKDOWNS.items():
        part = breakdown.filter(pl.col("dimension") == dimension)
        sections.append(
            Chart(
                f"Per policy: attempts by {name}",
                _NOTES[dimension],
                figures.stacked_bars(
                    part,
                    "label",
                    "value",
                    "attempts",
                    x_title="policy",
                    y_title="attempts",
                    horizontal=True,
                    height=height,
                    colors=inputs.cause_colors() if dimension == "cause" else None,
                ),
            )
        )
    sections.append(
        Table(
            "Policies whose MFA challenge fails most, and what to review",
            "MFA challenges: the window's sign-ins the policy applied to (success or failure). What "
            "to review follows from the policy's dominant cause.",
            (
                "policy",
                "mode",
                "MFA challenges",
                "500121 attempts",
                "failure rate %",
                "users",
                "recurring users",
                "dominant cause",
                "what to review",
            ),
            [
                (
                    r["policy"],
                    "report-only" if r["report_only"] else "enforced",
                    r["challenges"],
                    r["failures"],
                    r["failure_rate"],
                    r["users"],
                    r["recurring_users"],
                    inputs.title(r["top_cause"]),
                    inputs.fix(r["top_cause"]),
                )
                for r in policies.iter_rows(named=True)
            ],
        )
    )
    return Page(
        "policies",
        "Policies (CA tuning)",
        "Per Conditional Access policy: failures over time, users, recurrence, causes, platforms, places",
        summary(inputs, policies),
        sections,
    )


_NOTES = {
    "cause": "What made the MFA fail, per policy that demanded it.",
    "platform": "Operating system of the device that signed in.",
    "country": "Where the sign-in came from (country or region of the IP).",
    "condition": "Conditions of the policy the sign-in satisfied (Graph conditionsSatisfied).",
}


def summary(inputs: Inputs, policies: pl.DataFrame) -> list[str]:
    if policies.is_empty():
        return ["No Conditional Access policy demanded an MFA that failed (500121) in this window."]
    enforced = policies.filter(~pl.col("report_only"))
    report_only = policies.filter(pl.col("report_only"))
    lines = [f"{count(enforced.height, 'enforced policy', 'enforced policies')} demanded an MFA that failed (500121)."]
    if enforced.height:
        top = enforced.row(0, named=True)
        rate = f", {top['failure_rate']}% of its {top['challenges']:,} MFA challenges" if top["failure_rate"] else ""
        lines.append(
            f"“{top['policy']}” demanded the most: {count(top['failures'], 'failed attempt')}{rate}, "
            f"{count(top['users'], 'user')} ({top['recurring_users']:,} recurring), mostly "
            f"“{inputs.title(top['top_cause'])}”."
        )
    if report_only.height:
        names = ", ".join(f"“{name}”" for name in report_only["policy"].to_list()[:3])
        lines.append(
            f"Report-only: {names} would have added {count(int(report_only['failures'].sum()), 'failed attempt')} "
            "if enforced; review them before switching them on."
        )
    return lines
