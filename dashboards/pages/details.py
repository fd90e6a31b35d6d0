"""A page per flagged user (each failure with its causes, evidence, fix and ids) and per Conditional Access
policy (its rates per method and platform, causes, conditions, users and what-if)."""

from __future__ import annotations

import json

import polars as pl

from dashboards import figures
from dashboards.links import ENTRA_SIGNIN_LOGS
from dashboards.pages import Chart, Inputs, Link, Page, Table, count, policy_label, when
from dashboards.pages.policies import advice, user_rows

USER_ROWS = 100  # newest failures listed on a user's page; `signins explain <user>` lists more


def _evidence(text: str | None) -> str:
    if not text:
        return ""
    return "; ".join(
        f"{cause}: " + ", ".join(f"{k}={v}" for k, v in fields.items()) for cause, fields in json.loads(text).items()
    )


def user_pages(inputs: Inputs, users: pl.DataFrame, pseudonymized: bool) -> list[Page]:
    failures = inputs.fetch("user_failures")
    daily = inputs.titled(inputs.fetch("user_daily"))
    by_user = {k: g for k, g in failures.group_by("tenant_id", "user_key")}
    days_by_user = {k: g for k, g in daily.group_by("tenant_id", "user_key")}
    no_failures, no_days = failures.clear(), daily.clear()
    with_page = [inputs.links.user(*key) is not None for key in zip(users["tenant_id"], users["user_key"], strict=True)]
    pages = []
    for user in users.filter(pl.Series(with_page, dtype=pl.Boolean)).iter_rows(named=True):
        key = (user["tenant_id"], user["user_key"])
        rows = by_user.get(key, no_failures)
        days = days_by_user.get(key, no_days)
        shown = f"the newest {rows.height} of {user['attempts']:,}" if user["attempts"] > rows.height else "every"
        columns = ["time (UTC)", "app", "method", "device", "place", "primary cause", "verdict", "all causes", "fix",
                   "sign-in (request) id", "correlation id"]  # fmt: skip
        if not pseudonymized:  # evidence holds IPs, places and device names; the portal link leads to names
            columns[8:8] = ["evidence"]
            columns.append("Entra sign-in logs")
        table_rows = []
        for r in rows.iter_rows(named=True):
            row = [when(r["created_at"]), r["app"], r["mfa_method"], f"{r['os']} / {r['browser']}",
                   f"{r['ip'] or ''} {r['country']}".strip(), inputs.title(r["primary_cause"]),
                   f"{r['verdict']}: {r['verdict_reason']}",
                   ", ".join(inputs.title(c) for c in r["causes"]), inputs.fix(r["primary_cause"]),
                   r["signin_id"], r["correlation_id"]]  # fmt: skip
            if not pseudonymized:
                row[8:8] = [_evidence(r["evidence"])]
                row.append(Link("open the log, search the request id", ENTRA_SIGNIN_LOGS))
            table_rows.append(tuple(row))
        summary = [
            f"{user['user']} (tenant {user['tenant_id'] or 'unnamed'}): "
            f"{count(user['attempts'], 'failed MFA attempt')} "
            f"in the window, from {when(user['first_at'])} to {when(user['last_at'])} UTC"
            + (f"; recurring since {user['recurring_since']:%Y-%m-%d}." if user["recurring"] else "."),
            f"Mostly “{inputs.title(user['dominant_cause'])}”. Tell the user: {inputs.fix(user['dominant_cause'])}",
        ]
        if user["findings"]:
            summary.append("Findings: " + ", ".join(user["findings"]) + ".")
        summary.append("In a terminal: `signins explain <user principal name>` lists the same failures and more.")
        pages.append(
            Page(
                inputs.links.user_slug(*key),
                str(user["user"]),
                "one user's failures",
                summary,
                [
                    Chart(
                        "500121 attempts per day, by primary cause",
                        "UTC days of the window.",
                        inputs.per_day(days),
                    ),  # fmt: skip
                    Table(
                        f"Failures: {shown}, newest first",
                        "Quote the request and correlation ids to support.",
                        tuple(columns),
                        table_rows,
                    ),  # fmt: skip
                ],
                in_nav=False,
            )
        )
    return pages


def policy_pages(inputs: Inputs, policies: pl.DataFrame) -> list[Page]:
    keys = ["tenant_id", "policy_key", "report_only"]
    rates = {k: g for k, g in inputs.fetch("policies_rates").group_by(keys)}
    breakdown = {k: g for k, g in inputs.fetch("policies_breakdown").group_by(keys)}
    users = {k: g for k, g in inputs.fetch("policies_users").group_by(keys)}
    daily = {k: g for k, g in inputs.fetch("policies_daily").group_by(keys)}
    whatif = {k: g for k, g in inputs.fetch("policies_whatif").group_by("tenant_id", "policy_key")}
    empty_rates = inputs.fetch("policies_rates").clear()
    pages = []
    for p in policies.iter_rows(named=True):
        key = tuple(p[k] for k in keys)
        own = rates.get(key, empty_rates).with_columns(
            (100 * pl.col("failures") / pl.col("prompts")).round(1).alias("failure_rate")
        )
        methods = own.filter(pl.col("dimension") == "method")
        sections = [
            Table(
                "Prompts and failures per MFA method and platform",
                "Prompts: sign-ins this policy applied to with an MFA prompt or a 500121; failures: the 500121 "
                "among them where this policy's requirement failed.",
                ("by", "value", "prompts", "500121 sign-ins", "failure rate %"),
                [
                    (r["dimension"], r["value"], r["prompts"], r["failures"], r["failure_rate"])
                    for r in own.iter_rows(named=True)
                ],
            ),  # fmt: skip
            Table(
                "What its failures share",
                "500121 attempts by primary cause, platform, country and the policy conditions they matched.",
                ("by", "value", "attempts"),
                [
                    (
                        r["dimension"],
                        inputs.title(r["value"]) if r["dimension"] == "cause" else r["value"],
                        r["attempts"],
                    )
                    for r in breakdown.get(key, pl.DataFrame()).iter_rows(named=True)
                ],
            ),  # fmt: skip
            Chart(
                "500121 attempts it caused, per day",
                "UTC days of the window.",
                figures.stacked_bars(
                    daily[key].with_columns(pl.lit("500121 attempts").alias("series")),
                    "day",
                    "series",
                    "attempts",
                    x_title="day (UTC)",
                    y_title="attempts",
                    days=(inputs.window.since.date(), inputs.window.last_day),
                )
                if key in daily
                else None,
                "This policy caused no 500121 in this window.",
            ),  # fmt: skip
            Table(
                "Users whose MFA it demanded failed",
                "Every user, most attempts first.",
                ("user", "attempts", "dominant cause", "last failure (UTC)"),
                user_rows(inputs, users.get(key, pl.DataFrame())),
            ),  # fmt: skip
        ]
        if p["report_only"]:
            hits = whatif.get((p["tenant_id"], p["policy_key"]), pl.DataFrame())
            sections.append(
                Table(
                    "Succeeded sign-ins it would have blocked or challenged",
                    "Per user and app; expected failures at the user's own 500121 rate (the tenant's when the "
                    "user had no prompt).",
                    (
                        "user",
                        "app",
                        "sign-ins",
                        "interrupted (challenge)",
                        "user's failure rate %",
                        "expected MFA failures",
                    ),
                    [
                        (
                            r["user"],
                            r["app"],
                            r["signins"],
                            r["interrupted"],
                            round(100 * r["user_rate"], 1),
                            round(r["expected_failures"], 2),
                        )
                        for r in hits.iter_rows(named=True)
                    ],
                )  # fmt: skip
            )
        names = [n for n in p["names"] if n != p["label"]]
        summary = [
            f"{policy_label(p)}: {'report-only' if p['report_only'] else 'enforced'}; policy id "
            f"{p['policy_id'] or 'not given by the source'}; tenant {p['tenant_id'] or 'unnamed'}.",
            f"Grant controls: {', '.join(p['grants']) or 'none recorded'}; authentication strength: "
            f"{p['authentication_strength'] or 'none'}." + (f" Also named: {', '.join(names)}." if names else ""),
            f"{p['prompts']:,} prompts demanded, {p['failures']:,} failed with 500121"
            + (f" ({p['failure_rate']}%)" if p["failure_rate"] is not None else "")
            + f"; {count(p['users'], 'user')}, {p['recurring_users']:,} recurring.",
        ]
        owner = advice(inputs, p, methods)
        if owner:
            summary.append("Advice: " + owner)
        pages.append(
            Page(inputs.links.policy_slug(*key), policy_label(p), "one policy", summary, sections, in_nav=False)
        )
    return pages
