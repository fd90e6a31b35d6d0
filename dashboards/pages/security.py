"""Security: MFA fatigue bursts (and those followed by a success), risky sign-ins, new places, fraud reports."""

from __future__ import annotations

import polars as pl

from dashboards import figures
from dashboards.pages import Chart, Inputs, Page, Table, count, user_cell
from dashboards.queries import TOP, TOP_BURSTS

GAVE_IN, HELD = "followed by a success within the hour", "no success after"
BURST_COLORS = {GAVE_IN: "#d62728", HELD: "#1f77b4"}


def build(inputs: Inputs) -> Page:
    bursts = inputs.fetch("security_fatigue").with_columns(
        pl.when(pl.col("followed_by_success")).then(pl.lit(GAVE_IN)).otherwise(pl.lit(HELD)).alias("outcome")
    )
    risky = inputs.fetch("security_risky_daily").with_columns(
        (pl.col("risk_level") + ", " + pl.col("outcome")).alias("series")
    )
    risky_top = inputs.fetch("security_risky_top")
    places = inputs.fetch("security_locations")
    fraud = inputs.fetch("security_fraud_daily")
    fraud_top = inputs.fetch("security_fraud_top")
    drawn = bursts.head(TOP_BURSTS)
    burst_users = drawn["user"].unique(maintain_order=True).to_list()
    return Page(
        "security",
        "Security",
        "MFA fatigue, risky sign-ins, new countries and impossible travel, fraud reports",
        summary(bursts, risky, places, fraud),
        [
            Chart(
                "MFA fatigue bursts",
                f"The {drawn.height:,} most serious of {bursts.height:,} bursts of denied or unanswered prompts (every "
                "one is in the table below), one marker each, sized by attempts; red: the user then signed in, so "
                "the attacker probably got through.",
                figures.timeline(
                    drawn,
                    "started_at",
                    "user",
                    "outcome",
                    "attempts",
                    y_values=burst_users,
                    x_title="burst start (UTC)",
                    y_title="user",
                    colors=BURST_COLORS,
                    hover={"ip": "IP", "country": "country"},
                ),
            ),
            Table(
                "Fatigue bursts",
                "Every burst, the most serious first; the ids are those of its first failure.",
                (
                    "user",
                    "started (UTC)",
                    "ended (UTC)",
                    "attempts",
                    "IP",
                    "country",
                    "then",
                    "sign-in (request) id",
                    "correlation id",
                ),
                [
                    (
                        user_cell(inputs, r),
                        r["started_at"],
                        r["ended_at"],
                        r["attempts"],
                        r["ip"],
                        r["country"],
                        r["outcome"],
                        r["signin_id"],
                        r["correlation_id"],
                    )
                    for r in bursts.iter_rows(named=True)
                ],
            ),  # fmt: skip
            Chart(
                "Risky sign-ins per day",
                "User sign-ins Identity Protection rated risky, by risk level and outcome.",
                figures.stacked_bars(risky, "day", "series", "signins", x_title="day (UTC)", y_title="sign-ins"),
            ),
            Table(
                "Most frequent risky sign-ins",
                "Grouped by user, IP, app, device and risk.",
                (
                    "user",
                    "IP",
                    "country",
                    "app",
                    "device",
                    "risk level",
                    "risk events",
                    "succeeded",
                    "failed",
                    "last (UTC)",
                ),
                [(*r[:9], f"{r[9]:%Y-%m-%d %H:%M}") for r in risky_top.iter_rows()],
            ),
            Chart(
                "New countries and impossible travel, per day",
                "500121 attempts from a country the user never signed in from successfully, or too far, too fast.",
                figures.stacked_bars(places, "day", "kind", "attempts", x_title="day (UTC)", y_title="attempts"),
            ),
            Chart(
                "New countries and impossible travel, by country",
                "",
                figures.stacked_bars(places, "country", "kind", "attempts", x_title="country", y_title="attempts"),
            ),
            Chart(
                "Fraud reports per day",
                "MFA prompts the user reported as fraud (“Report suspicious activity”).",
                figures.bars(
                    fraud,
                    "day",
                    {"reports": "reports", "users": "users"},
                    x_title="day (UTC)",
                    y_title="reports / users",
                    horizontal=False,
                ),
            ),
            Table(
                "Users reporting fraud",
                "Every user who reported a prompt as fraud, the most reports first.",
                ("user", "IP", "reports", "first (UTC)", "last (UTC)"),
                [
                    (user_cell(inputs, r), r["ip"], r["reports"], r["first_at"], r["last_at"])
                    for r in fraud_top.iter_rows(named=True)
                ],
            ),
        ],
    )


def summary(bursts: pl.DataFrame, risky: pl.DataFrame, places: pl.DataFrame, fraud: pl.DataFrame) -> list[str]:
    gave_in = bursts.filter(pl.col("followed_by_success"))["user"].unique(maintain_order=True).to_list()
    totals = (bursts.height, bursts.select(pl.struct("tenant_id", "user_key").n_unique()).item())
    lines = [f"{count(totals[0], 'MFA fatigue burst')} by {count(totals[1], 'user')}."]
    if gave_in:
        named = ", ".join(gave_in[:TOP]) + (f" and {len(gave_in) - TOP:,} more" if len(gave_in) > TOP else "")
        lines.append(
            f"Followed by a successful sign-in within the hour: {named}. Treat these accounts "
            "as compromised: block sign-in, reset the password, revoke sessions."
        )
    succeeded = int(risky.filter(pl.col("outcome") == "succeeded")["signins"].sum())
    lines.append(f"{count(int(risky['signins'].sum()), 'risky sign-in')}, {succeeded:,} of them succeeded.")
    kinds = dict(places.group_by("kind").agg(pl.col("attempts").sum()).iter_rows())
    lines.append(
        f"{count(kinds.get('new country', 0), 'failed attempt')} from a country new to the user and "
        f"{kinds.get('impossible travel', 0):,} after impossible travel."
    )
    lines.append(f"{count(int(fraud['reports'].sum()), 'MFA prompt')} reported as fraud.")
    return lines
