"""Tag the store's 500121 sign-ins with causes, incrementally, and rebuild the findings built on them.

Features depend only on a user's own history, and look only so far ahead and back in it (HistoryReach);
the one exception, how many users failed a password from a failure's IP in the hour before, re-tags the
users it reaches (sql/causes/05_pending_users.sql).
So a run re-tags the sign-ins of users with sign-ins loaded since the last run, from a little before the
earliest of those on, reading the history that can still change their features (sql/causes/05 and 07:
the few older sign-ins that decide a feature come from a summary of the users' history that each run
moves on, sql/causes/06 and 18), and the result equals a full re-tag: the work of a nightly run follows
the night's data, not the size of the store. Users are tagged in buckets so memory stays bounded; the
watermark moves only after every bucket is written, so a run that dies is redone whole by the next one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta

import duckdb
import polars as pl

from signins.analysis import baselines
from signins.errors import StoreError
from signins.store.database import query, run_script
from transforms.causes import tag_causes
from transforms.features import SESSION_NEIGHBOUR_WINDOW, signin_features
from transforms.rules import load_escalations, load_rules
from transforms.thresholds import Thresholds

BUCKET_ROWS = 500_000  # sign-ins tagged at once: bounds tagging's peak memory (benchmarks/README.md)
HOUR_BEFORE = timedelta(hours=1)  # what a failure's facts read before it (sql/causes/10_signin_facts.sql)


@dataclass(frozen=True)
class HistoryReach:
    """How far the features of a sign-in look in its user's history (transforms/features.py), beyond the
    few older sign-ins that decide the features without a window (sql/causes/07_history_rows.sql).

    A sign-in loaded now can change the features of the user's sign-ins up to `ahead` before it (the
    windows that look forward: a success within the hour, a fatigue burst, a session error of the same
    attempt); those read every sign-in up to `back` before them, and the 500121 failures up to
    `failures_back` (failure_days_14, and the failures of an attempt fatigue counts once)."""

    ahead: timedelta
    back: timedelta
    failures_back: timedelta

    @classmethod
    def of(cls, thresholds: Thresholds) -> HistoryReach:
        fatigue = timedelta(minutes=thresholds.fatigue_window_minutes)
        success = timedelta(minutes=thresholds.success_after_fatigue_minutes)
        back = max(fatigue, SESSION_NEIGHBOUR_WINDOW, HOUR_BEFORE)
        # failure_days_14 counts UTC days: a day more than the window, from the earliest sign-in re-tagged
        return cls(
            ahead=max(fatigue, success, SESSION_NEIGHBOUR_WINDOW, HOUR_BEFORE),
            back=back,
            failures_back=back + timedelta(days=thresholds.recurring_window_days + 1),
        )


@dataclass
class TagOutcome:
    users: int
    signins_read: int
    tagged: int
    full: bool
    history_built: bool  # the summary of the older history was built anew (a longer run; 06_history_summary.sql)
    thresholds: Thresholds  # those the tags were made with: the values set, and each tenant's learned ones
    baselines: list[baselines.Baseline]  # each tenant's, when baselines are on
    relearned: bool = False  # the baselines were learned again (and the tags made again when they changed)


def _thresholds_json(thresholds: Thresholds) -> str:
    values = {f.name: getattr(thresholds, f.name) for f in fields(thresholds)}
    return json.dumps(values, sort_keys=True, default=lambda v: dict(v) if hasattr(v, "items") else list(v))


def prepare_facts(
    con: duckdb.DuckDBPyConnection, thresholds: Thresholds, since: datetime | None, tenant: str | None = None
) -> bool:
    """The sign-in facts a run re-tagging what was loaded after `since` (a load time; None: everything), of
    one tenant or of every tenant (None), reads: the view `signin_facts`, over the temp tables
    `pending_users` (whom to re-tag from when, reading how far back) and `history_rows` (the older sign-ins
    that still decide a feature, from the summary of the older history). Returns whether that summary had
    to be built anew to serve the run (sql/causes/06_history_summary.sql says when): up to the day the run
    starts reading."""
    reach = HistoryReach.of(thresholds)
    run_script(
        con,
        "causes/05_pending_users.sql",
        {
            "since": since,
            "tenant": tenant,
            "retag_margin": reach.ahead,
            "context_margin": reach.back,
            "failures_margin": reach.failures_back,
        },
    )
    run_script(con, "causes/06_history_summary.sql", {"since": since})
    start = None
    if since is not None and not _summary_serves(con):
        (start,) = con.execute("SELECT date_trunc('day', min(context_from)) FROM pending_users").fetchall()[0]
    if start is not None:
        con.execute("BEGIN TRANSACTION")
        run_script(con, "causes/18_summarise_history.sql", {"until": start})
        con.execute("COMMIT")
        run_script(con, "causes/06_history_summary.sql", {"since": since})
    run_script(con, "causes/07_history_rows.sql")
    run_script(con, "causes/10_signin_facts.sql")
    return start is not None


def _summary_serves(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute("SELECT count(*) FROM summary_in_use").fetchall()[0][0] == 1


def _users_to_tag(
    con: duckdb.DuckDBPyConnection, thresholds: Thresholds, full: bool, tenant: str | None
) -> tuple[bool, datetime | None, bool]:
    """Prepare the facts of what to re-tag; returns (full re-tag?, the load time the run will have covered,
    the summary of the older history built anew?)."""
    state = con.execute("SELECT loaded_until, thresholds FROM tag_state WHERE id = 1").fetchall()
    full = full or not state or state[0][1] != _thresholds_json(thresholds)
    until = con.execute("SELECT max(loaded_at) FROM signins").fetchall()[0][0]
    built = prepare_facts(con, thresholds, None if full else state[0][0], tenant)
    return full, until, built


def _bucket_facts(con: duckdb.DuckDBPyConnection, buckets: int) -> None:
    """Temp table `bucket_facts`: the pending users' facts, each row with its user's bucket."""
    run_script(con, "causes/12_bucket_facts.sql", {"buckets": buckets})


def _tag_bucket(
    con: duckdb.DuckDBPyConnection, bucket: int, buckets: int, rules, escalations, thresholds
) -> tuple[int, int]:
    facts = query(con, "causes/14_bucket_facts_slice.sql", {"bucket": bucket}).pl()
    features = signin_features(facts.lazy(), thresholds)
    tags = tag_causes(features, rules, thresholds, escalations).collect(engine="in-memory")
    con.register("new_tags", tags.with_columns(pl.lit(datetime.now(UTC)).alias("tagged_at")))
    try:
        run_script(con, "causes/16_replace_tags.sql", {"buckets": buckets, "bucket": bucket})
        (kept,) = con.execute("SELECT count(*) FROM kept_tags").fetchall()[0]
    finally:
        con.unregister("new_tags")
    return facts.height, kept


def _previous_watermark(con: duckdb.DuckDBPyConnection, until: datetime | None) -> datetime | None:
    """What had been loaded by the previous tagging run that brought new sign-ins: the last run's watermark
    when this one brings more, else the one before (a run that brings nothing changes no finding)."""
    state = con.execute("SELECT loaded_until, previous_loaded_until FROM tag_state WHERE id = 1").fetchall()
    if not state:
        return None
    loaded_until, previous = state[0]
    return loaded_until if until is not None and (loaded_until is None or until > loaded_until) else previous


def rebuild_findings(con: duckdb.DuckDBPyConnection, thresholds: Thresholds, loaded_before=None) -> None:
    """User findings and per-policy daily counts, from cause_tags (cheap: aggregates). `loaded_before`: what
    the previous run knew (None: nothing), for the users who became recurring since."""
    run_script(
        con,
        "causes/20_user_findings.sql",
        {
            "recurring_min_days": thresholds.recurring_min_days,
            "recurring_window_days": thresholds.recurring_window_days,
            "lockout_hours": float(thresholds.privileged_lockout_hours),
            "privileged": [upn.lower() for upn in thresholds.privileged_accounts],
            "loaded_before": loaded_before,
            "recurring_by_tenant": thresholds.by_tenant("recurring_min_days"),
        },
    )
    run_script(con, "causes/30_policy_daily.sql")


def tag(
    con: duckdb.DuckDBPyConnection, thresholds: Thresholds, full: bool = False, tenant: str | None = None
) -> TagOutcome:
    """Tag what changed since the last run (or everything), then rebuild the findings; with baselines on,
    learn each tenant's when they are stale, and tag again with them when they changed.

    With `tenant`, only that tenant's users are tagged, and the watermark stays where it was: the next run
    over every tenant still tags the others' new sign-ins (and this tenant's again, to the same tags).
    Baselines are learned by runs over every tenant."""
    used = baselines.effective(con, thresholds)
    outcome = _tag_with(con, used, full, tenant)
    if tenant is not None or not baselines.stale(con, thresholds):
        return outcome
    try:
        con.execute("BEGIN TRANSACTION")
        baselines.learn(con, thresholds)
        con.execute("COMMIT")
    except duckdb.Error as exc:
        con.execute("ROLLBACK")
        raise StoreError(f"learning the baselines failed: {str(exc).splitlines()[0]}") from exc
    learned = baselines.effective(con, thresholds)
    if learned.per_tenant != used.per_tenant:  # the settings of the tags changed: a full re-tag
        outcome = _tag_with(con, learned, full, None)
    outcome.baselines, outcome.relearned = baselines.stored(con, thresholds), True
    return outcome


def _tag_with(con: duckdb.DuckDBPyConnection, thresholds: Thresholds, full: bool, tenant: str | None) -> TagOutcome:
    rules, escalations = load_rules(), load_escalations()
    read = tagged = 0
    try:
        full, until, history_built = _users_to_tag(con, thresholds, full, tenant)
        loaded_before = _previous_watermark(con, until)
        users, rows = con.execute("SELECT count(*), coalesce(sum(n), 0) FROM pending_users").fetchall()[0]
        buckets = max(1, -(-int(rows) // BUCKET_ROWS))
        _bucket_facts(con, buckets)
        for bucket in range(buckets):
            con.execute("BEGIN TRANSACTION")
            got = _tag_bucket(con, bucket, buckets, rules, escalations, thresholds)
            con.execute("COMMIT")
            read, tagged = read + got[0], tagged + got[1]
        # every pending user's facts: not kept for the connection's life
        con.execute("DROP TABLE bucket_facts")
        con.execute("DROP TABLE IF EXISTS kept_tags")
        con.execute("BEGIN TRANSACTION")
        rebuild_findings(con, thresholds, loaded_before)
        history_built = history_built or not _summary_serves(con)
        run_script(con, "causes/18_summarise_history.sql", {"until": None})  # on to a day before the latest
        if tenant is None:  # one tenant's run has not tagged the others' new sign-ins
            con.execute(
                "INSERT OR REPLACE INTO tag_state (id, loaded_until, thresholds, tagged_at, previous_loaded_until) "
                "VALUES (1, ?, ?, now(), ?)",
                [until, _thresholds_json(thresholds), loaded_before],
            )
        con.execute("COMMIT")
    except duckdb.Error as exc:
        try:
            con.execute("ROLLBACK")
        except duckdb.TransactionException:  # it failed outside a transaction (finding users, building facts)
            pass
        raise StoreError(f"tagging failed: {str(exc).splitlines()[0]}") from exc
    return TagOutcome(users, read, tagged, full, history_built, thresholds, baselines.stored(con, thresholds))


def findings_per_kind(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    """How many users each kind of finding names, by kind."""
    return con.execute("SELECT finding, count(*) FROM user_findings GROUP BY 1 ORDER BY 1").fetchall()
