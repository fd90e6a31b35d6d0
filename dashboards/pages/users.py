"""Users: every user who failed MFA, recurring users first (the cause engine's definition), with a
user x day heatmap and a timeline of each failure's cause for the most recurrent."""

from __future__ import annotations

import polars as pl

from dashboards import figures
from dashboards.pages import Chart, Inputs, Page, Table, count, user_cell
from dashboards.queries import TOP, TOP_TIMELINE


def recurring_rule(inputs: Inputs) -> str:
    thresholds = inputs.window.thresholds
    learned = sorted(
        (tenant, values["recurring_min_days"])
        for tenant, values in thresholds["per_tenant"].items()
        if "recurring_min_days" in values
    )
    own = "".join(f"; tenant {tenant}: at least {days} days (its baseline)" for tenant, days in learned)
    return (
        f"Recurring: 500121 on at least {thresholds['recurring_min_days']} distinct UTC days within "
        f"{thresholds['recurring_window_days']} days{own} (the cause engine's definition, over each user's "
        "history up to the window's end)."
    )


def build(inputs: Inputs) -> Page:
    days = inputs.window.thresholds["recurring_window_days"]
    ranked = inputs.fetch("users_ranked")
    grid = inputs.fetch("users_heatmap")
    timeline = inputs.titled(inputs.fetch("users_timeline").filter(pl.col("rank") <= TOP_TIMELINE))
    top = ranked.head(TOP)["user"].to_list()
    sections = [
        Table(
            "Every user who failed MFA",
            recurring_rule(inputs) + " Users with a page of their own link to it.",
            (
                "user",
                "recurring",
                "recurring since",
                f"most days within {days}",
                "days (last 30)",
                "current streak",
                "longest streak",
                "attempts",
                "dominant cause",
                "verdict",
                "last failure (UTC)",
                "findings",
            ),
            [
                (
                    user_cell(inputs, r),
                    r["recurring"],
                    r["recurring_since"],
                    r["days_recurring"],
                    r["days_30"],
                    r["current_streak"],
                    r["longest_streak"],
                    r["attempts"],
                    inputs.title(r["dominant_cause"]),
                    r["verdict"],
                    r["last_at"],
                    r["findings"],
                )
                for r in ranked.iter_rows(named=True)
            ],
        ),  # fmt: skip
        Chart(
            "500121 attempts per user and day",
            f"The {min(TOP, ranked.height)} most recurrent users of the {ranked.height:,} in the table above, "
            "in rank order; empty cells had no failure.",
            figures.heatmap(
                grid,
                "day",
                "user",
                "attempts",
                x_values=inputs.days(),
                y_values=top,
                x_title="day (UTC)",
                y_title="user",
                z_title="attempts",
            )
            if grid.height
            else None,
            "No user failed MFA in this window.",
        ),
        Chart(
            f"Timeline of the {min(TOP_TIMELINE, ranked.height)} most recurrent users, by cause",
            "Each marker is an hour with failures, coloured by the primary cause and sized by attempts.",
            figures.timeline(
                timeline,
                "hour",
                "user",
                "cause",
                "attempts",
                y_values=top[:TOP_TIMELINE],
                x_title="time (UTC)",
                y_title="user",
                colors=inputs.cause_colors(),
            )
            if timeline.height
            else None,
            "No user failed MFA in this window.",
        ),
    ]
    return Page(
        "users",
        "Users",
        "Every user who failed MFA, recurring users first, each linked to their failures",
        summary(inputs, ranked),
        sections,
    )


def summary(inputs: Inputs, ranked: pl.DataFrame) -> list[str]:
    if ranked.is_empty():
        return ["No user failed MFA (500121) in this window."]
    recurring = ranked.filter(pl.col("recurring"))
    streaking = ranked.filter(pl.col("current_streak") >= 2)
    first = ranked.row(0, named=True)
    lines = [
        f"{count(ranked.height, 'user')} failed MFA in this window; {count(recurring.height, 'is', 'are')} "
        "recurring: these are the users to call, because the failure comes back until its cause is fixed.",
        recurring_rule(inputs),
        f"Most persistent: {first['user']}, failing on {first['days_recurring']} days within "
        f"{inputs.window.thresholds['recurring_window_days']}, mostly “{inputs.title(first['dominant_cause'])}”. "
        f"Fix: {inputs.fix(first['dominant_cause'])}",
    ]
    if streaking.height:
        lines.append(f"{count(streaking.height, 'user')} failed on each of the last 2 or more days (a current streak).")
    pages = len(inputs.links.user_pages)
    if inputs.links.flagged > pages:
        lines.append(
            f"{inputs.links.flagged:,} users have a finding or are recurring; the {pages:,} most urgent have a page "
            "of their own. For the others, `signins explain <user principal name>` lists their failures."
        )
    return lines
