"""Baselines per tenant: what counts as MFA fatigue and as recurring, learned from each tenant's own tags.

A tenant where users routinely deny or miss a few prompts in a row, or fail on a few days a fortnight,
would drown its analysts in findings at thresholds set for another tenant. With `baseline_days` set,
each tenant's threshold is one more than the upper fence of what its own users usually did in that many
days (sql/baselines/learn.sql), never below the value set, and only when enough was seen to learn from.
The values are kept in `tenant_baselines` and learned again every `baseline_refresh_days` days.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb

from signins.store.database import query
from signins.text import printable
from transforms.thresholds import LEARNED_SETTINGS, Thresholds

# What each learned value is counted over, for the output.
SAMPLES = {"fatigue_min_attempts": "user-windows with a denied or unanswered prompt", "recurring_min_days": "users"}


@dataclass(frozen=True)
class Baseline:
    tenant_id: str
    setting: str
    value: int  # what tagging uses for the tenant
    floor: int  # the value set
    observed: float | None  # the upper fence seen
    sample: int


def learned_value(observed: float | None, sample: int, floor: int, min_sample: int) -> int:
    """One more than the observed fence, never below the floor; the floor when too little was seen."""
    if observed is None or sample < min_sample:
        return floor
    return max(floor, math.floor(observed) + 1)


def _learned_from(thresholds: Thresholds) -> str:
    """The settings a baseline depends on, as JSON: a change to any of them makes it stale."""
    names = (
        "baseline_days", "baseline_sigmas", "baseline_min_sample", "fatigue_window_minutes",
        "recurring_window_days", *LEARNED_SETTINGS,
    )  # fmt: skip
    return json.dumps({name: getattr(thresholds, name) for name in names}, sort_keys=True)


def learn(con: duckdb.DuckDBPyConnection, thresholds: Thresholds) -> list[Baseline]:
    """Learn every tenant's baselines from its tags and keep them (the caller holds a transaction)."""
    observed = query(
        con,
        "baselines/learn.sql",
        {
            "days": thresholds.baseline_days,
            "sigmas": thresholds.baseline_sigmas,
            "window_minutes": thresholds.fatigue_window_minutes,
            "recurring_window_days": thresholds.recurring_window_days,
        },
    ).fetchall()
    baselines = []
    for tenant, setting, seen, sample in observed:
        floor = getattr(thresholds, setting)
        value = learned_value(seen, sample, floor, thresholds.baseline_min_sample)
        baselines.append(Baseline(tenant, setting, value, floor, seen, sample))
    con.execute("DELETE FROM tenant_baselines")
    now, learned_from = datetime.now(UTC), _learned_from(thresholds)
    con.executemany(
        "INSERT INTO tenant_baselines VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [[b.tenant_id, b.setting, b.value, b.floor, b.observed, b.sample, learned_from, now] for b in baselines],
    )
    return baselines


def stored(con: duckdb.DuckDBPyConnection, thresholds: Thresholds) -> list[Baseline]:
    """The baselines kept, learned with these settings (none when baselines are off)."""
    if not thresholds.baseline_days:
        return []
    rows = con.execute(
        "SELECT tenant_id, setting, value, floor, observed, sample FROM tenant_baselines "
        "WHERE learned_from = ? ORDER BY tenant_id, setting",
        [_learned_from(thresholds)],
    ).fetchall()
    return [Baseline(*row) for row in rows]


def stale(con: duckdb.DuckDBPyConnection, thresholds: Thresholds) -> bool:
    """Baselines are on, and none were learned with these settings within `baseline_refresh_days`."""
    if not thresholds.baseline_days:
        return False
    (fresh,) = con.execute(
        "SELECT count(*) FROM tenant_baselines WHERE learned_from = ? AND learned_at > ?",
        [_learned_from(thresholds), datetime.now(UTC) - timedelta(days=thresholds.baseline_refresh_days)],
    ).fetchall()[0]
    return fresh == 0


def effective(con: duckdb.DuckDBPyConnection, thresholds: Thresholds) -> Thresholds:
    """The thresholds with each tenant's learned values (those above the value set)."""
    learned: dict[str, dict[str, int]] = {}
    for baseline in stored(con, thresholds):
        if baseline.value != baseline.floor:
            learned.setdefault(baseline.tenant_id, {})[baseline.setting] = baseline.value
    return thresholds.with_learned(learned)


def describe(baselines: list[Baseline], thresholds: Thresholds) -> list[str]:
    """The thresholds in effect, one line per setting that can be learned, then one per tenant that
    learned its own."""
    if not thresholds.baseline_days:
        return [
            "thresholds: "
            + ", ".join(f"{name} {getattr(thresholds, name)}" for name in LEARNED_SETTINGS)
            + " (set; baselines per tenant are off: baseline_days = 0)"
        ]
    lines = [
        f"thresholds: learned per tenant from its last {thresholds.baseline_days} days (one more than the upper "
        f"fence, the median + {thresholds.baseline_sigmas:g} robust standard deviations, at least the value set, "
        f"from at least {thresholds.baseline_min_sample} seen)"
    ]
    for b in baselines:
        seen = "nothing seen" if b.observed is None else f"fence {b.observed:g} over {b.sample:,} {SAMPLES[b.setting]}"
        lines.append(f"  tenant {printable(b.tenant_id)}: {b.setting} {b.value} ({seen}; set {b.floor})")
    return lines
