"""Assemble a sample: tenant, scenarios, baseline, rendered records and ground truth."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from .baseline import baseline_rows
from .ids import stream
from .policies import SAMPLE_POLICY_COUNT
from .records import build_record
from .scenarios import plan
from .tenant import Tenant, build_tenant

DEFAULT_SEED = 500121
DEFAULT_USERS = 250
DEFAULT_DAYS = 30
DEFAULT_END = date(2026, 11, 27)


@dataclass
class Sample:
    """A generated sample: records newest first, one ground-truth dict per 500121 record.

    A ground-truth ``cause`` is the cause the record was generated from; ``noise`` names the kind of
    ambiguity or log noise it was built with ("" for a clean record, whose cause is also its primary cause).
    """

    tenant: Tenant
    records: list
    truth: list

    def counts(self) -> dict:
        """Record counts by error code, event type and ground-truth cause."""
        return {
            "records": len(self.records),
            "by_error_code": _sorted(Counter(str(r["status"]["errorCode"]) for r in self.records)),
            "by_event_type": _sorted(Counter(r["signInEventTypes"][0] for r in self.records)),
            "by_cause": _sorted(Counter(t["cause"] for t in self.truth)),
            "by_noise": _sorted(Counter(t["noise"] for t in self.truth if t["noise"])),
        }


def generate_sample(
    seed: int = DEFAULT_SEED,
    users: int = DEFAULT_USERS,
    days: int = DEFAULT_DAYS,
    end_date: date = DEFAULT_END,
    activity_seed: int | None = None,
    ca_policies: int = SAMPLE_POLICY_COUNT,
) -> Sample:
    """Simulate ``days`` days ending on ``end_date`` (inclusive, UTC) for a tenant of ``users``."""
    start = end_date - timedelta(days=days - 1)
    tenant = build_tenant(seed, users, start, days, ca_policies)
    if activity_seed is not None:
        tenant.seed = activity_seed  # same people, different weeks (used by the bulk generator)
    planner = plan(tenant)
    rows = planner.rows + baseline_rows(tenant, planner.blackouts) + planner.late
    lo = datetime.combine(start, time(0), tzinfo=UTC)
    hi = lo + timedelta(days=days)
    rows = [r for r in rows if lo <= r.when < hi]
    rng = stream(tenant.seed, "records")
    records, truth = [], []
    for row in rows:
        record = build_record(row, tenant.policies, rng)
        records.append(record)
        if row.extra.get("cause"):
            truth.append(_truth(record, row.extra))
    records.sort(key=lambda r: (r["createdDateTime"], r["id"]), reverse=True)
    truth.sort(key=lambda t: (t["created_date_time"], t["id"]))
    return Sample(tenant, records, truth)


def _truth(record: dict, tags: dict) -> dict:
    return {
        "id": record["id"],
        "correlation_id": record["correlationId"],
        "user_principal_name": record["userPrincipalName"],
        "created_date_time": record["createdDateTime"],
        "cause": tags["cause"],
        "scenario": tags["scenario"],
        "noise": tags.get("noise", ""),
        "verdict": tags["verdict"],
    }


def _sorted(counter: Counter) -> dict:
    return dict(sorted(counter.items()))
