"""Overview: 500121 per day by cause, the sign-in outcome split, the week's changes, top causes and fixes."""

from __future__ import annotations

import polars as pl

from dashboards import figures
from dashboards.pages import VERDICT_COLORS, Chart, Filters, Inputs, Page, Table, count, facet, policy_label

OUTCOME_COLORS = {
    "success": "#2ca02c",
    "interrupt": "#bcbd22",
    "MFA failure (500121)": "#d62728",
    "other failure": "#7f7f7f",
}


def build(inputs: Inputs) -> Page:
    totals = inputs.fetch("overview_totals").row(0, named=True)
    filters = daily_filters(inputs)
    daily = filters.unfiltered()
    outcomes = inputs.fetch("overview_daily_outcomes")
    week = inputs.fetch("overview_week_changes")
    top = inputs.fetch("overview_top_causes")
    return Page(
        "overview",
        "Overview",
        "MFA failures per day and cause, what changed this week, the top causes and fixes",
        summary(inputs, totals, week, top),
        [
            Chart(
                "500121 attempts per day, by primary cause",
                "Distinct MFA attempts (correlation ids) that ended in error 500121, UTC days.",
                inputs.per_day(daily) if daily.height else None,
                "No MFA failure (500121) in this window.",
                filters,
            ),
            Chart(
                "500121 attempts per day, by verdict",
                "Benign: user or device trouble; suspicious: it may be an attack; hostile: it is one "
                "(each failure's most serious verdict, with its reason on the user pages).",
                inputs.per_day(daily, "verdict", colors=VERDICT_COLORS) if daily.height else None,
                "No MFA failure (500121) in this window.",
            ),
            Chart(
                "User sign-ins per day: success, interrupt, failure",
                "Interrupts are the codes Entra's sign-in failure workbook counts as waiting on the user "
                "(50074, 50140, ...).",
                inputs.per_day(outcomes, "outcome", "signins", OUTCOME_COLORS, y_title="sign-ins"),
            ),
            Chart(
                "This week against the week before",
                "500121 attempts per primary cause in the window's last 7 days and the 7 days before.",
                figures.bars(
                    inputs.titled(week),
                    "cause",
                    {"week_before": "the 7 days before", "this_week": "last 7 days"},
                    x_title="attempts",
                    y_title="primary cause",
                    height=max(300, 60 + 34 * week.height),
                ),
            ),
            Chart(
                "Top causes",
                "500121 attempts per primary cause over the whole window.",
                figures.bars(
                    inputs.titled(top),
                    "cause",
                    {"attempts": "attempts"},
                    x_title="attempts",
                    y_title="primary cause",
                    height=max(300, 60 + 24 * top.height),
                ),
            ),
            Table(
                "Top causes and their fixes",
                "Share of the window's 500121 attempts; the fix is the cause's first step.",
                ("cause", "attempts", "users", "share %", "fix"),
                [
                    (inputs.title(r["cause"]), r["attempts"], r["users"], r["share"], r["fix"])
                    for r in top.iter_rows(named=True)
                ],
            ),
        ],
    )


def daily_filters(inputs: Inputs) -> Filters:
    """The daily chart's facts and its cause, verdict, app and failing-policy selectors."""
    facts = inputs.titled(inputs.fetch("overview_daily_facts"))
    policies = inputs.fetch("overview_filter_policies")
    rolled_up = ("app", "policy")
    return Filters(
        facts,
        "day",
        "cause",
        "attempts",
        "attempts",
        (
            facet(facts, "cause", "Cause", "attempts", rolled_up),
            facet(facts, "verdict", "Verdict", "attempts", rolled_up),
            facet(facts, "app", "App", "attempts", rolled_up),
            facet(facts, "policy", "Failing CA policy", "attempts", rolled_up, policy_names(policies)),
        ),
    )


def policy_names(policies: pl.DataFrame) -> dict[str, str]:
    """Policy (tenant/key) -> its name; a name two policies share also shows the tenant."""
    shared = policies.filter(pl.col("label").is_duplicated())["policy"].to_list()
    names = {"": "none (per-user MFA or security defaults)"}
    for row in policies.iter_rows(named=True):
        label = policy_label(row)
        names[row["policy"]] = f"{label} · tenant {row['tenant_id']}" if row["policy"] in shared else label
    return names


def summary(inputs: Inputs, totals: dict, week, top) -> list[str]:
    window = inputs.window
    lines = [
        f"From {window.since:%d %b %Y} to {window.last_day:%d %b %Y} (UTC): "
        f"{count(totals['signins'], 'user sign-in')}; "
        f"{count(totals['attempts'], 'MFA attempt')} failed with error 500121 "
        f"({count(totals['failures'], 'log row')}), hitting {count(totals['users'], 'user')}."
    ]
    if top.is_empty():
        return lines + ["No MFA failure (500121) in this window."]
    first = top.row(0, named=True)
    lines.append(
        f"The most common cause is “{inputs.title(first['cause'])}” ({first['share']}% of attempts). "
        f"Fix: {inputs.fix(first['cause'])}"
    )
    this, before = int(week["this_week"].sum()), int(week["week_before"].sum())
    change = f"{this - before:+,}" if before else "new"
    lines.append(f"Last 7 days: {count(this, 'failed attempt')} against {before:,} the week before ({change}).")
    riser = week.row(0, named=True) if week.height else None
    if riser and riser["this_week"] > riser["week_before"]:
        lines.append(
            f"Rising most: “{inputs.title(riser['cause'])}” ({riser['week_before']:,} → {riser['this_week']:,})."
        )
    return lines
