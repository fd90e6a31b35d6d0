"""Baselines per tenant (signins.analysis.baselines, sql/baselines/learn.sql): each tenant learns what
counts as MFA fatigue and as recurring from its own tags, never below the values set."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from signins.analysis.baselines import describe, learned_value
from signins.analysis.tagging import tag
from tests.conftest import Store
from tests.test_dashboards_report import tables_of
from tests.test_incremental_tagging import TONIGHT, record, write
from transforms.thresholds import load_thresholds

LEARNING = load_thresholds(overrides={"baseline_days": 30, "baseline_min_sample": 100})
NOISY, QUIET, SMALL = (f"{n}{n}{n}{n}{n}{n}{n}{n}-0000-4000-8000-000000000000" for n in (1, 2, 3))


@pytest.mark.parametrize(
    "observed, sample, floor, expected",
    [
        (9.45, 120, 5, 10),  # one more than the fence
        (2.0, 500, 5, 5),  # never below the value set
        (9.45, 99, 5, 5),  # too little seen to learn from
        (None, 0, 3, 3),  # nothing seen
        (5.0, 100, 5, 6),  # the fence itself is usual: one more
    ],
)
def test_a_learned_value_is_one_more_than_the_fence_and_never_below_the_value_set(observed, sample, floor, expected):
    assert learned_value(observed, sample, floor, min_sample=100) == expected


def prompts(tenant: str, users: int, sizes: tuple[int, ...], first: int) -> list[dict]:
    """Each user of the tenant denies one run of prompts (sizes in turn), a minute apart, on one day."""
    records = []
    for u in range(users):
        size = sizes[u % len(sizes)]
        start = TONIGHT - timedelta(days=u % 20, hours=u % 7)
        for i in range(size):
            n = first + len(records)
            when = start + timedelta(minutes=i)
            records.append(record(n, when, code=500121, user=f"{tenant[0]}u{u}") | {"resourceTenantId": tenant})
    return records


def fatigue_users(store: Store, tenant: str) -> int:
    return store.scalar(
        "SELECT count(DISTINCT user_key) FROM cause_tags WHERE tenant_id = ? AND list_contains(causes, 'mfa_fatigue')",
        [tenant],
    )


def test_a_noisy_tenant_learns_its_own_fatigue_threshold_and_a_quiet_one_keeps_the_value_set(tmp_path: Path):
    """In the noisy tenant every user denies 4 or 6 prompts in a row: at 5 half of them are 'fatigue'.
    Its median is 5 and its robust deviation 1.48, so it learns 10 (5 + 3 x 1.48, plus one); the quiet
    tenant's users deny one prompt each and keep 5; a tenant of 30 users saw too little to learn from."""
    records = prompts(NOISY, 120, (4, 6), 0) + prompts(QUIET, 110, (1,), 10_000) + prompts(SMALL, 30, (6,), 20_000)
    store = Store(tmp_path / "s.duckdb")
    store.ingest(write(tmp_path / "all.json", records))
    outcome = tag(store.con, load_thresholds())  # baselines off: 5 everywhere
    assert (fatigue_users(store, NOISY), fatigue_users(store, SMALL)) == (60, 30)
    assert outcome.baselines == [] and "baselines per tenant are off" in describe([], outcome.thresholds)[0]

    outcome = tag(store.con, LEARNING)
    learned = {(b.tenant_id, b.setting): (b.value, b.sample) for b in outcome.baselines}
    assert learned[(NOISY, "fatigue_min_attempts")] == (10, 120)
    assert learned[(QUIET, "fatigue_min_attempts")] == (5, 110)
    assert learned[(SMALL, "fatigue_min_attempts")] == (5, 30)
    assert outcome.relearned and outcome.full  # the tags were made again with the learned values
    assert dict(outcome.thresholds.per_tenant) == {NOISY: {"fatigue_min_attempts": 10}}
    assert (fatigue_users(store, NOISY), fatigue_users(store, SMALL)) == (0, 30)
    lines = describe(outcome.baselines, outcome.thresholds)
    assert f"tenant {NOISY}: fatigue_min_attempts 10 (fence 9.4478 over 120 user-windows" in "\n".join(lines)

    again = tag(store.con, LEARNING)  # fresh baselines: nothing relearned, nothing re-tagged
    assert (again.relearned, again.full, again.tagged) == (False, False, 0)
    assert again.thresholds.per_tenant == outcome.thresholds.per_tenant
    # a value set above what a tenant learned is the floor: the setting wins
    strict = tag(store.con, load_thresholds(overrides={"baseline_days": 30, "fatigue_min_attempts": 12}))
    assert {b.tenant_id: b.value for b in strict.baselines if b.setting == "fatigue_min_attempts"} == {
        NOISY: 12, QUIET: 12, SMALL: 12,
    }  # fmt: skip


def test_recurrence_is_learned_per_tenant_in_the_findings(tmp_path: Path):
    """A tenant whose users fail on 4 or 6 days a fortnight learns to call recurring only what is unusual
    there; the findings and the tags agree."""
    records = []
    for u in range(120):
        for d in range(4 if u % 2 else 6):
            records.append(
                record(len(records), TONIGHT - timedelta(days=2 * d), code=500121, user=f"r{u}")
                | {"resourceTenantId": NOISY}
            )
    store = Store(tmp_path / "s.duckdb")
    store.ingest(write(tmp_path / "all.json", records))
    tag(store.con, load_thresholds())
    assert store.scalar("SELECT count(*) FROM user_findings WHERE finding = 'recurring'") == 120
    outcome = tag(store.con, LEARNING)
    (baseline,) = [b for b in outcome.baselines if b.setting == "recurring_min_days"]
    assert (baseline.value, baseline.floor) == (10, 3)
    assert store.scalar("SELECT count(*) FROM user_findings WHERE finding = 'recurring'") == 0
    # the report counts recurrence with the tenant's own value too
    store.con.close()
    out = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "cli", "report", "--db", str(store.db_path), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    (users,) = tables_of(out / "users.html")
    assert len(users["rows"]) == 120 and {row[column_index(users, "recurring")] for row in users["rows"]} == {"no"}
    assert f"tenant {NOISY}: at least 10 days (its baseline)" in (out / "users.html").read_text(encoding="utf-8")


def column_index(table: dict, name: str) -> int:
    return table["columns"].index(name)


@pytest.mark.parametrize("users", [80, 600])
def test_simulated_tenants_of_any_size_keep_the_values_set_and_every_finding(tmp_path: Path, users: int):
    """The simulator's tenants are ordinary ones: learning changes no threshold and loses no fatigue burst
    or recurring user, in a tenant too small to learn from and in one more than twice the sample's size."""
    from simulator.generate import generate_sample
    from simulator.output import expected_findings, write_sample

    sample = generate_sample(seed=7, users=users, days=30)
    store = Store(tmp_path / "s.duckdb")
    for page in write_sample(sample, tmp_path / "sample"):
        if page.name.startswith("page-"):
            store.ingest(page)
    outcome = tag(store.con, LEARNING)
    assert outcome.relearned and outcome.thresholds.per_tenant == {}
    assert {b.setting: b.value for b in outcome.baselines} == {"fatigue_min_attempts": 5, "recurring_min_days": 3}
    # the small tenant saw too little to learn from; the big one learned a fence below the values set
    learned = {b.setting: b.sample >= LEARNING.baseline_min_sample and b.observed < b.floor for b in outcome.baselines}
    assert set(learned.values()) == {users > 100}
    expected = expected_findings(sample)
    found = set(store.rows("SELECT finding, user_principal_name FROM user_findings"))
    assert {("fatigue_burst", b["user_principal_name"]) for b in expected["mfa_fatigue_bursts"]} <= found
    assert {("recurring", r["user_principal_name"]) for r in expected["recurring"]} <= found
