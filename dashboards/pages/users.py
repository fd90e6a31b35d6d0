"""Users: recurrence per user (failure days, streaks), a user x day heatmap, a timeline of each failure's cause."""

from __future__ import annotations

import polars as pl

from dashboards import figures
from dashboards.pages import Chart, Inputs, Page, Table, count
from dashboards.queries import TOP_TIMELINE


def build(inputs: Inputs) -> Page:
    days = inputs.window.thresholds["recurring_window_days"]
    ranked = inputs.fetch("users_ranked")
    grid = inputs.fetch("users_heatmap")
    timeline = inputs.fetch("users_timeline").filter(pl.col("rank") <= TOP_TIMELINE)
    users = ranked["user"].to_list()
    return Page(
        "users",
        "Users (recurrence)",
        "Who fails MFA again and again: failure days, streaks, causes over time",
        summary(inputs, ranked),
        [
            Chart(
                "Users ranked by recurrence",
                f"Distinct UTC days with a 500121: the most within any {days} days, and in the last 30 days; "
                "the current streak counts consecutive failure days up to the window's last day.",
                figures.bars(
                    ranked,
                    "user",
                    {
                        "days_recurring": f"failure days within {days}",
                        "days_30": "failure days, last 30",
                        "current_streak": "current streak (days)",
                    },
                    x_title="days",
                    y_title="user",
                    height=max(300, 60 + 40 * ranked.height),
                ),
            ),
            Table(
                "Recurring users",
                "Findings are the cause engine's (recurring, privileged_lockout, fatigue_then_success).",
                (
                    "user",
                    f"days within {days}",
                    "days (last 30)",
                    "current streak",
                    "longest streak",
                    "attempts",
                    "dominant cause",
                    "last failure (UTC)",
                    "findings",
                ),
                [
                    (
                        r["user"],
                        r["days_recurring"],
                        r["days_30"],
                        r["current_streak"],
                        r["longest_streak"],
                        r["attempts"],
                        r["dominant_cause"],
                        f"{r['last_at']:%Y-%m-%d %H:%M}",
                        r["findings"],
                    )
                    for r in ranked.iter_rows(named=True)
                ],
            ),
            Chart(
                "500121 attempts per user and day",
                "The most recurrent users, in rank order; empty cells had no failure.",
                figures.heatmap(
                    grid,
                    "day",
                    "user",
                    "attempts",
                    x_values=inputs.days(),
                    y_values=users,
                    x_title="day (UTC)",
                    y_title="user",
                    z_title="attempts",
                ),
            ),
            Chart(
                f"Timeline of the top {TOP_TIMELINE} users, by cause",
                "Each marker is an hour with failures, coloured by the primary cause and sized by attempts.",
                figures.timeline(
                    timeline,
                    "hour",
                    "user",
                    "cause",
                    "attempts",
                    y_values=users[:TOP_TIMELINE],
                    x_title="time (UTC)",
                    y_title="user",
                    colors=inputs.cause_colors(),
                ),
            ),
        ],
    )


def summary(inputs: Inputs, ranked: pl.DataFrame) -> list[str]:
    days, min_days = inputs.window.thresholds["recurring_window_days"], inputs.window.thresholds["recurring_min_days"]
    if ranked.is_empty():
        return ["No user failed MFA (500121) in this window."]
    recurring = ranked.filter(pl.col("days_recurring") >= min_days)
    streaking = ranked.filter(pl.col("current_streak") >= 2)
    first = ranked.row(0, named=True)
    lines = [
        f"{count(recurring.height, 'user')} failed MFA on at least {min_days} distinct days within {days}: "
        "these are the users to call, because the failure will come back until its cause is fixed.",
        f"Most persistent: {first['user']}, failing on {first['days_recurring']} days within {days}, "
        f"mostly “{inputs.title(first['dominant_cause'])}”. Fix: {inputs.fix(first['dominant_cause'])}",
    ]
    if streaking.height:
        lines.append(f"{count(streaking.height, 'user')} failed on each of the last 2 or more days (a current streak).")
    return lines
