"""Cause tags per 500121 sign-in from its features and the rules: pure polars, no I/O."""

from __future__ import annotations

import polars as pl

from transforms.columns import ALL_COLUMNS
from transforms.rules import Escalation, Rule, evaluate, evidence_columns, load_escalations

TAG_COLUMNS = [
    "tenant_id",
    "signin_id",
    "correlation_id",
    "user_key",
    "user_principal_name",
    "created_at",
    "error_code",
    "primary_cause",
    "causes",
    "confidence",
    "evidence",
    "fix",
    "policies",
    "report_only_policies",
    "requirement_providers",
    "mfa_method",
    "mfa_result",
    "hours_since_last_success",
    "success_within_hour",
    "verdict",
    "verdict_reason",
    # the hour before the failure (transforms/FEATURES.md)
    "password_failures_hour",
    "password_failure_ips_hour",
    "spray_users_hour",
    "mfa_interrupts_hour",
    "ca_blocks_hour",
    "password_known_elsewhere",
]
SEVERITY = {"benign": 0, "suspicious": 1, "hostile": 2}


def _evidence(rules: list[Rule]) -> pl.Expr:
    """{cause: {field: value}} as JSON text, for every cause that applies."""
    parts = []
    for rule in rules:
        fields = evidence_columns(rule) or ["is_mfa_failure"]
        shown = [pl.col(f).round(2) if ALL_COLUMNS.get(f) == pl.Float64 else pl.col(f) for f in fields]
        encoded = pl.struct(shown).struct.json_encode()
        parts.append(pl.when(pl.col(f"cause_{rule.id}")).then(pl.lit(f'"{rule.id}":') + encoded))
    joined = pl.concat_list(parts).list.drop_nulls().list.join(",")
    return (pl.lit("{") + joined + pl.lit("}")).alias("evidence")


def _verdict(rules: list[Rule], escalations: list[Escalation], thresholds) -> list[pl.Expr]:
    """The most serious verdict among every cause that applies (and the conditions that raise it) and the
    escalations that hold, with its reason; on a tie, the cause first in priority order, then the
    escalations in their order."""
    cases = [
        (pl.col(f"cause_{rule.id}") & condition, verdict, reason)
        for rule in rules
        for condition, verdict, reason in rule.verdicts(thresholds)
    ]
    cases += [(e.condition(thresholds), e.verdict, e.reason) for e in escalations]
    worst = pl.max_horizontal([pl.when(held).then(pl.lit(SEVERITY[verdict])) for held, verdict, _ in cases])
    chosen = lambda pick: pl.coalesce(  # noqa: E731
        [
            pl.when(held & (worst == SEVERITY[verdict])).then(pl.lit(pick(verdict, reason)))
            for held, verdict, reason in cases
        ]
    )
    return [chosen(lambda v, r: v).alias("verdict"), chosen(lambda v, r: r).alias("verdict_reason")]


def tag_causes(
    features: pl.LazyFrame, rules: list[Rule], thresholds, escalations: list[Escalation] | None = None
) -> pl.LazyFrame:
    """One row per 500121 sign-in with its primary cause, every cause, confidence, evidence, fix and verdict
    (raised by the escalations: those of transforms/escalations.yaml unless given)."""
    escalations = load_escalations() if escalations is None else escalations
    ordered = sorted(rules, key=lambda rule: rule.priority)
    fired = [pl.when(pl.col(f"cause_{r.id}")).then(pl.lit(r.id)) for r in ordered]
    # The first cause in priority order that fires, or the later one it gives way to.
    primary = pl.coalesce([pl.when(pl.col(f"cause_{r.id}")).then(r.primary(thresholds)) for r in ordered])
    confidence = pl.coalesce(
        [pl.when(pl.col("primary_cause") == r.id).then(pl.col(f"confidence_{r.id}")) for r in ordered]
    )
    fixes = {r.id: r.fix for r in ordered}
    return (
        evaluate(features.filter(pl.col("is_mfa_failure")), ordered, thresholds)
        .with_columns(
            primary.alias("primary_cause"),
            pl.concat_list(fired).list.drop_nulls().alias("causes"),
            _evidence(ordered),
            *_verdict(ordered, escalations, thresholds),
        )
        .with_columns(
            confidence.fill_null(0.0).alias("confidence"),
            pl.col("primary_cause").replace_strict(fixes, return_dtype=pl.String).alias("fix"),
            pl.col("ca_failure_policies").alias("policies"),
            pl.col("ca_report_only_failure_policies").alias("report_only_policies"),
        )
        .select(TAG_COLUMNS)
    )
