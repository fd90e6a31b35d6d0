"""Run the report's SQL (sql/report/*.sql) over the store with bound parameters; small frames out."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

from signins import SQL_DIR
from signins.errors import SigninsError, StoreError
from signins.store.database import LATEST_VERSION, connect, query, require_store, run_script, schema_version
from transforms.thresholds import load_thresholds

TAGGED_SCHEMA = 2  # cause_tags, user_findings and policy_daily exist from this schema version on
TOP = 25  # rows of a ranking (users, risky sign-ins, values per breakdown)
TOP_TIMELINE = 10  # users drawn one line each on the timeline
TOP_BURSTS = 200  # fatigue bursts drawn (the most serious first)
SETTINGS = ("recurring_window_days", "recurring_min_days", "fatigue_window_minutes")


class WindowError(SigninsError):
    """--since is not before --until: a usage error."""

    exit_code = 2


@dataclass(frozen=True)
class Window:
    """The report's time window [since, until), UTC, and the settings the tags were made with."""

    since: datetime
    until: datetime
    thresholds: dict

    @property
    def last_day(self) -> date:
        return (self.until - timedelta(microseconds=1)).date()

    def params(self) -> dict:
        """The parameters every report query may bind."""
        return {
            "since": self.since,
            "until": self.until,
            "last_day": self.last_day,
            "top": TOP,
            "bursts": TOP_BURSTS,
            "window_days": self.thresholds["recurring_window_days"],
            "min_days": self.thresholds["recurring_min_days"],
            "min_days_by_tenant": [
                {"k": tenant, "v": values["recurring_min_days"]}
                for tenant, values in sorted(self.thresholds["per_tenant"].items())
                if "recurring_min_days" in values
            ],
            "window_minutes": self.thresholds["fatigue_window_minutes"],
        }


def open_store(db_path: Path) -> duckdb.DuckDBPyConnection:
    """Open the store read-only (a report never writes it); refuse a store that was never tagged."""
    require_store(db_path)
    con = connect(db_path, read_only=True)
    con.execute("SET enable_progress_bar = false")  # the command prints its own lines
    version = schema_version(con)
    if version < TAGGED_SCHEMA:
        con.close()
        raise StoreError(f"{db_path}: the store has no cause tags yet; run `signins tag` first")
    if version < LATEST_VERSION:  # a read-only connection cannot migrate
        con.close()
        raise StoreError(
            f"{db_path}: the store is at schema version {version} and the report reads version {LATEST_VERSION}; "
            "run `signins tag` once to upgrade it"
        )
    return con


def resolve_window(con: duckdb.DuckDBPyConnection, since: datetime | None, until: datetime | None) -> Window:
    """The window the report covers (default: the 30 days ending with the newest sign-in's day)."""
    start, end, stored = _result(
        con, "report/00_window.sql", {"since": since, "until": until}, lambda rel: rel.fetchall()[0]
    )
    stored, defaults = json.loads(stored) if stored else {}, load_thresholds()
    thresholds = {key: stored.get(key, getattr(defaults, key)) for key in SETTINGS}
    thresholds["per_tenant"] = stored.get("per_tenant", {})  # what each tenant learned (its baselines)
    if start >= end:
        raise WindowError(
            f"the report window is empty: --since {start:%Y-%m-%d %H:%M} is not before "
            f"--until {end:%Y-%m-%d %H:%M} (the default --until is the day after the newest sign-in)"
        )
    return Window(start, end, thresholds)


SCOPE_SCRIPTS = ("10_scope", "20_findings", "30_policies")  # in order: each reads the temp tables before it
# The pages' queries are named after the page that reads them first; the pages are built in this order.
PAGE_ORDER = ("triage", "overview", "users", "policies", "security", "patterns", "user")


def page_queries() -> list[str]:
    """Every page query of sql/report/ (the scripts named by a number build the working set), in the
    order the pages are built."""
    names = [path.stem for path in (SQL_DIR / "report").glob("*.sql") if not path.stem[0].isdigit()]
    return sorted(names, key=lambda name: (PAGE_ORDER.index(name.split("_")[0]), name))


def build_scope(con: duckdb.DuckDBPyConnection, window: Window) -> None:
    """Materialise the working set every page query reads (temp tables): the window's failures, users,
    findings, policies and prompt counts."""
    for name in SCOPE_SCRIPTS:
        try:
            run_script(con, f"report/{name}.sql", window.params())
        except duckdb.Error as exc:
            raise StoreError(f"report/{name}.sql: {str(exc).splitlines()[0]}") from exc


def frame(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> pl.DataFrame:
    """The result of sql/report/<name>.sql as a polars frame."""
    return _result(con, f"report/{name}.sql", params, lambda rel: rel.pl())


def _result(con: duckdb.DuckDBPyConnection, relative: str, params: dict, fetch: Callable):
    """Run the query and fetch its result; a database error becomes a one-line StoreError."""
    try:
        return fetch(query(con, relative, params))
    except duckdb.Error as exc:
        raise StoreError(f"{relative}: {str(exc).splitlines()[0]}") from exc
