"""Great Expectations gates at the two boundaries of a run's data: the raw layer and the normalised
sign-ins the run landed, in the store itself (files: signins.runs.landing, undone if the gates fail) or in a
staging store (Graph pulls: signins.ingest.staging, checked before they are merged).

What a failure means is part of each check: a `row` check names the sign-ins that fail it, which go
to quarantine with the check's name; a `table` check failing, or row failures above the threshold,
fails the gate (the run stops and the store stays as it was); a `report` check lists values of an
enum column that are new to us (Microsoft adds enum members), which is worth knowing, not failing.
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

import duckdb
import great_expectations as gx
from great_expectations import expectations as ge
from great_expectations.execution_engine import pandas_execution_engine

from signins.errors import GateFailed
from signins.ingest.shapes import EVENT_TYPES
from signins.store.database import query, run_script

# GX fingerprints every in-memory batch smaller than HASH_THRESHOLD (a hash of every row) for a batch
# marker this project never reads: over a third of the gate's time. No frame is below 0.
pandas_execution_engine.HASH_THRESHOLD = 0

# Enum columns and the values Graph documents for them; others are reported as new (the columns are
# also listed in sql/validation/signins.sql).
KNOWN_VALUES = {
    "event_type": list(EVENT_TYPES),
    "conditional_access_status": ["success", "failure", "notApplied", "unknownFutureValue"],
    "risk_level_during_signin": ["none", "low", "medium", "high", "hidden", "unknownFutureValue"],
    "risk_state": [
        "none",
        "confirmedSafe",
        "remediated",
        "dismissed",
        "atRisk",
        "confirmedCompromised",
        "unknownFutureValue",
    ],
    "authentication_requirement": ["singleFactorAuthentication", "multiFactorAuthentication"],
    "user_type": ["member", "guest", "unknownFutureValue"],
}
FORMAT_PATTERN = r"^(?:graph|graph-legacy|diag|log-analytics|elastic-[a-z-]+|portal-csv)/(?:ndjson|document|page|csv)$"
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
SLICE_ROWS = 500_000  # rows checked at once (a pandas frame each)


@dataclass(frozen=True)
class Check:
    name: str
    level: str  # row, table or report
    expectation: ge.Expectation


def raw_checks() -> list[Check]:
    return [
        Check("raw record keys are unique", "table", ge.ExpectColumnValuesToBeUnique(column="record_key")),
        Check("every raw record has a sign-in id", "table", ge.ExpectColumnValuesToNotBeNull(column="signin_id")),
        Check("every raw record's time parsed", "table", ge.ExpectColumnValuesToNotBeNull(column="created_at")),
        Check(
            "raw record formats are known",
            "table",
            ge.ExpectColumnValuesToMatchRegex(column="format", regex=FORMAT_PATTERN),
        ),
    ]


def normalised_checks(window: tuple[datetime, datetime] | None) -> list[Check]:
    earliest, latest = window or (EARLIEST, datetime.now(UTC) + timedelta(days=1))
    return [
        Check("one row per sign-in (tenant and id)", "table", ge.ExpectColumnValuesToBeUnique(column="signin_key")),
        Check(
            "sign-in time within the window read",
            "row",
            ge.ExpectColumnValuesToBeBetween(column="created_at", min_value=earliest, max_value=latest),
        ),
        Check("error code present and an integer", "row", ge.ExpectColumnValuesToNotBeNull(column="error_code")),
        Check(
            "latitude within -90..90",
            "row",
            ge.ExpectColumnValuesToBeBetween(column="latitude", min_value=-90, max_value=90),
        ),
        Check(
            "longitude within -180..180",
            "row",
            ge.ExpectColumnValuesToBeBetween(column="longitude", min_value=-180, max_value=180),
        ),
        *(
            Check(
                f"{column} holds known values",
                "report",
                ge.ExpectColumnDistinctValuesToBeInSet(column=column, value_set=values),
            )
            for column, values in KNOWN_VALUES.items()
        ),
    ]


@dataclass
class CheckResult:
    boundary: str
    name: str
    level: str
    success: bool
    unexpected: int = 0
    examples: list[str] = field(default_factory=list)  # a few distinct failing (or new) values


@dataclass
class GateReport:
    """What the gates found, saved with the run."""

    rows: int = 0
    results: list[CheckResult] = field(default_factory=list)
    quarantined: int = 0
    passed: bool = True
    message: str = ""

    def new_values(self) -> dict[str, list[str]]:
        return {
            r.name.removesuffix(" holds known values"): r.examples
            for r in self.results
            if r.level == "report" and not r.success
        }

    def to_dict(self) -> dict:
        return asdict(self)


@functools.lru_cache(maxsize=1)
def _batch_definition():
    context = gx.get_context(mode="ephemeral")
    context.enable_analytics(False)  # whatever the environment says
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    asset = context.data_sources.add_pandas("run").add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole")


def _validate(frame, checks: list[Check], boundary: str, key: str) -> tuple[list[CheckResult], dict[str, set]]:
    """Run the checks on a frame: their results, and per row check the keys of the rows failing it."""
    suite = gx.ExpectationSuite(name=boundary, expectations=[c.expectation for c in checks])
    outcome = (
        _batch_definition()
        .get_batch(batch_parameters={"dataframe": frame})
        .validate(suite, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [key]})
    )
    results, failing = [], {}
    for check, result in zip(checks, outcome.results, strict=True):
        details = result.result or {}
        examples = list(dict.fromkeys(str(v) for v in details.get("partial_unexpected_list") or []))[:5]
        results.append(
            CheckResult(
                boundary,
                check.name,
                check.level,
                bool(result.success),
                int(details.get("unexpected_count") or 0),
                examples,
            )
        )
        if check.level == "row" and not result.success:
            failing[check.name] = {row[key] for row in details.get("unexpected_index_list") or []}
    return results, failing


def _validate_table(
    con: duckdb.DuckDBPyConnection, table: str, key: str, checks: list[Check], boundary: str
) -> tuple[int, list[CheckResult], dict[str, set]]:
    """`_validate` over a table read in slices of at most SLICE_ROWS rows (sql/validation/<table>.sql),
    so memory stays bounded; also its row count. Rows are sliced by the hash of their key, so the rows
    a uniqueness check compares share a slice."""
    rows = query(con, f"validation/{table}_count.sql").fetchall()[0][0]
    slices = -(-rows // SLICE_ROWS)
    merged: dict[str, CheckResult] = {}
    failing: dict[str, set] = {}
    for part in range(slices):
        # through Arrow: a third of the time of DuckDB's own .df() for the same frame
        frame = query(con, f"validation/{table}.sql", {"slices": slices, "part": part}).to_arrow_table().to_pandas()
        results, failed = _validate(frame, checks, boundary, key) if len(frame) else ([], {})
        for result in results:
            seen = merged.setdefault(result.name, CheckResult(boundary, result.name, result.level, True))
            seen.success &= result.success
            seen.unexpected += result.unexpected
            seen.examples = list(dict.fromkeys(seen.examples + result.examples))[:5]
        for name, keys in failed.items():
            failing.setdefault(name, set()).update(keys)
    return rows, list(merged.values()), failing


def gate(
    con: duckdb.DuckDBPyConnection,
    window: tuple[datetime, datetime] | None,
    max_failed_percent: float,
    run: str | None = None,
) -> GateReport:
    """Check a staging store, or what a `run` landed in the store (signins.runs.landing); quarantine the sign-ins
    that fail row checks; GateFailed if the gate fails.

    The report is complete either way (GateFailed carries it as `.report`), so the run can save it.
    """
    if run:
        run_script(con, "validation/05_scope_run.sql", {"run": run})
    else:
        run_script(con, "validation/05_scope_store.sql")
    report = GateReport()
    _, raw_results, _ = _validate_table(con, "raw_records", "record_key", raw_checks(), "raw")
    report.rows, normalised_results, failing = _validate_table(
        con, "signins", "signin_key", normalised_checks(window), "normalised"
    )
    report.results = raw_results + normalised_results
    failed_tables = [r.name for r in report.results if r.level == "table" and not r.success]
    failed_ids = set().union(*failing.values()) if failing else set()
    percent = 100 * len(failed_ids) / max(report.rows, 1)
    if failed_tables:
        report.message = f"failed: {', '.join(failed_tables)}"
    elif percent > max_failed_percent:
        worst = max(failing, key=lambda name: len(failing[name]))
        report.message = (
            f"{len(failed_ids)} of {report.rows} sign-ins ({percent:.1f}%) failed row checks, above the "
            f"{max_failed_percent:g}% threshold (most: {worst})"
        )
    if report.message:
        report.passed = False
        raise GateFailed(f"validation gate {report.message}; the store was left as it was", report)
    _quarantine(con, failing, run)
    report.quarantined = len(failed_ids)
    return report


def _quarantine(con: duckdb.DuckDBPyConnection, failing: dict[str, set], run: str | None) -> None:
    rows = {}
    for name, keys in failing.items():
        for signin_key in keys:
            rows.setdefault(signin_key, f"failed validation: {name}")
    if not rows:
        return
    con.execute("CREATE OR REPLACE TEMP TABLE gate_failures (tenant_id VARCHAR, id VARCHAR, reason VARCHAR)")
    con.executemany(
        "INSERT INTO gate_failures VALUES (?, ?, ?)", [[*json.loads(key), reason] for key, reason in rows.items()]
    )
    con.execute("BEGIN TRANSACTION")
    run_script(con, "validation/10_quarantine_failures.sql")
    run_script(con, "ca_sets/drop_released.sql")
    if run:
        con.execute("CREATE OR REPLACE TEMP TABLE restoring AS SELECT tenant_id, id FROM gate_failures")
        run_script(con, "runs/restore_displaced.sql", {"run": run})  # a replaced version comes back
    con.execute("COMMIT")
