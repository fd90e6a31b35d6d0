"""The steps every run shares, thin over signins.*: one run at a time per database; the source lands
(files: in the store itself, batch by batch; Graph pulls: in a staging store of the run's own); Great
Expectations gates what landed; files whose data fails the gates are undone, a staging store that passes
is merged into the store in one transaction; causes are tagged; dashboards, a summary artifact and
alerts are written.

A run that fails anywhere before its data passed the gates leaves the store exactly as it was: files
landed in place are undone (at once, or by the next run if this one died), a failed staging store is
kept for inspection. A run that fails after that leaves a consistent store, and the next run completes
the work (every step is idempotent).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from dashboards.site import build_report, tenant_sites, write_overview
from flows.pulls import dask_task_runner
from flows.reports import write_tenant_sites
from signins.analysis.baselines import describe
from signins.analysis.tagging import tag
from signins.errors import GateFailed, IngestError
from signins.graph.fleet import TenantResult, raise_for_failures
from signins.ingest.privileged import PrivilegedList
from signins.ingest.privileged import record as record_privileged
from signins.ingest.staging import MergeOutcome, create_staging, discard, merge_staging, staging_path
from signins.runs import alerts, landing
from signins.runs.gates import GateReport, gate
from signins.settings import Settings
from signins.store.database import connect, query
from signins.text import markdown_text
from transforms.thresholds import load_thresholds


@dataclass(frozen=True)
class LandedSource:
    """One file, or one Graph tenant's event type, that a run landed."""

    name: str
    format: str
    records: int
    new_signins: int
    quarantined: int


@dataclass
class Landed:
    """What the source step brought into the store (or the staging store): one entry per file or per
    Graph tenant and event type."""

    sources: list[LandedSource]
    already_ingested: int = 0
    tenants: list[TenantResult] = field(default_factory=list)  # Graph: every tenant, pulled or failed
    unreadable: list[str] = field(default_factory=list)  # files that could not be read: their FAIL lines

    @property
    def records(self) -> int:
        return sum(s.records for s in self.sources)

    @property
    def quarantined(self) -> int:
        return sum(s.quarantined for s in self.sources)


@dataclass
class RunRecord:
    """Where a run keeps what it found (`<db>.runs/<run>/`), and when it started."""

    name: str
    folder: Path
    started: datetime

    @classmethod
    def new(cls, db: Path, name: str | None = None) -> RunRecord:
        started = datetime.now(UTC)
        name = name or f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"
        return cls(name, db.with_name(db.name + ".runs") / name, started)

    def save(self, filename: str, content: dict) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / filename
        path.write_text(json.dumps(content, indent=2, default=str))
        return path


@task(name="validate")
def validate(
    path: Path,
    window: tuple[datetime, datetime] | None,
    max_failed_percent: float,
    record: RunRecord,
    in_place: bool = False,
) -> GateReport:
    """The Great Expectations gates on a staging store, or (`in_place`) on what the run landed in the
    store at `path`; their results are saved with the run."""
    con = connect(path)
    try:
        report = gate(con, window, max_failed_percent, run=record.name if in_place else None)
    except GateFailed as failed:
        record.save("validation.json", failed.report.to_dict())
        raise
    finally:
        con.close()
    record.save("validation.json", report.to_dict())
    return report


@task(name="merge")
def merge(db: Path, staging: Path) -> MergeOutcome:
    """The staging store into the store, in one transaction."""
    con = connect(db)
    try:
        return merge_staging(con, staging)
    finally:
        con.close()


@task(name="tag-causes")
def tag_causes(db: Path, preset: str | None, privileged: PrivilegedList | None) -> dict:
    """Keep the source's privileged accounts, tag new MFA failures with their causes and rebuild the
    findings (incremental); what is new."""
    thresholds = load_thresholds(preset=preset)
    con = connect(db)
    try:
        if privileged:
            record_privileged(con, privileged)
        before = _findings(con)
        outcome = tag(con, thresholds)
        after = _findings(con)
        causes = dict(
            con.execute("SELECT primary_cause, count(*) FROM cause_tags GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
        )
        rising = query(con, "runs/policies_rising.sql").fetchall()
    finally:
        con.close()
    new = [row for key, row in after.items() if before.get(key) != row]
    return {
        "tagged": outcome.tagged,
        "users": outcome.users,
        "causes": causes,
        "new_findings": new,
        "findings": len(after),
        "rising_policies": rising,
        "thresholds": describe(outcome.baselines, outcome.thresholds),
    }


def _findings(con) -> dict[tuple, dict]:
    relation = query(con, "runs/findings.sql")
    columns = relation.columns
    rows = [dict(zip(columns, row, strict=True)) for row in relation.fetchall()]
    return {(row["finding"], row["tenant_id"], row["user_key"]): row for row in rows}


@task(name="write-report")
def write_report(db: Path, out: Path) -> Path:
    """Write the dashboards (static site) over the last 30 days of the store; returns its index page."""
    return build_report(db, out).index


def write_dashboards(db: Path, out: Path, settings: Settings) -> Path:
    """The dashboards; returns the landing page. A store of several tenants gets a site per tenant, written
    at once on Dask as the pulls are ($SIGNINS_DASK_SCHEDULER; one after another when `off`), and the
    tenants overview linking them."""
    sites = tenant_sites(db, None, None, None)
    if sites is None or settings.dask_scheduler == "off":
        return write_report(db, out)
    runner = dask_task_runner(settings.dask_scheduler)
    write_tenant_sites.with_options(task_runner=runner)(db, out, sites.window.since, sites.window.until, sites.folders)
    write_overview(out, sites, None)
    return out / "index.html"


def pulled_window(staging: Path, started: datetime) -> tuple[datetime, datetime] | None:
    """The window the run's pulls read, from its staging store; None when it pulled nothing."""
    con = connect(staging)
    try:
        start, end = query(con, "runs/pulled_window.sql", {"run_started": started}).fetchall()[0]
    finally:
        con.close()
    return (start, end) if start is not None else None


def land_gated(
    db: Path, land: Callable[[Path], Landed], record: RunRecord, settings: Settings, graph_window: bool = False
) -> tuple[Landed, GateReport, MergeOutcome]:
    """Land a source with `land(staging path)` into a new staging store, gate it, merge it into the store.

    The caller holds the run lock. A gate failure keeps the staging store (`failed-<run>.duckdb`) for
    inspection and leaves the store as it was.
    """
    staging = staging_path(db, record.name)
    con = connect(db)
    try:
        create_staging(con, staging)
    finally:
        con.close()
    landed = land(staging)
    window = pulled_window(staging, record.started) if graph_window else None
    try:
        report = validate(staging, window, settings.gate_max_failed_percent, record)
    except GateFailed:
        kept = staging.with_name(f"failed-{staging.name}")
        staging.rename(kept)
        get_run_logger().error("the staging store of the failed run is kept for inspection: %s", kept)
        raise
    merged = merge(db, staging)
    discard(staging)
    return landed, report, merged


def land_in_place(
    db: Path, land: Callable[[Path, str], Landed], record: RunRecord, settings: Settings
) -> tuple[Landed, GateReport, MergeOutcome]:
    """Land files with `land(store path, run name)` in the store itself, gate what the run wrote there, and
    keep it; if anything fails first (the gates, the landing), undo it. The caller holds the run lock."""
    with connect(db) as con:
        landing.start(con, record.name)
    try:
        landed = land(db, record.name)
        report = validate(db, None, settings.gate_max_failed_percent, record, in_place=True)
        with connect(db) as con:
            counts = landing.keep(con, record.name)
    except Exception:
        _undo(db, record.name)
        raise
    return landed, report, MergeOutcome(counts.new_signins, counts.updated_signins)


def _undo(db: Path, run: str) -> None:
    """Undo a failed run now; should that fail too, the next run does it (its error is the one raised)."""
    logger = get_run_logger()
    try:
        with connect(db) as con:
            landing.undo(con, run)
    except Exception as exc:  # noqa: BLE001
        logger.error("the failed run could not be undone now (%s); the next run undoes it", str(exc).splitlines()[0])
        return
    logger.error("the failed run was undone: the store is as it was before it")


def finish(
    db: Path,
    landed: Landed,
    report: GateReport,
    merged: MergeOutcome,
    record: RunRecord,
    *,
    preset: str | None,
    privileged: PrivilegedList | None,
    out: Path,
    settings: Settings,
) -> dict:
    """Tag, write the dashboards, the summary artifact and the run record, send alerts; the run's totals."""
    tags = tag_causes(db, preset, privileged)
    dashboards = write_dashboards(db, out, settings)
    create_markdown_artifact(
        summary_markdown(db, landed, report, merged, tags, dashboards),
        key="nightly-summary",
        description="What the sign-in run loaded and found",
    )
    delivered = alerts.send(settings.notify_url, alerts.finding_alerts(tags["new_findings"]))
    if delivered:
        get_run_logger().info("%d alert(s) sent", delivered)
    record.save(
        "summary.json",
        {
            "landed": asdict(landed) | {"tenants": [t.line for t in landed.tenants]},
            "merged": asdict(merged),
            "tagged": tags["tagged"],
            "new_findings": tags["new_findings"],
            "dashboards": str(dashboards),
        },
    )
    raise_for_failures(landed.tenants)  # after the merge and tagging: the other tenants' data is used
    if landed.unreadable:  # likewise after the files that could be read were landed and tagged
        raise IngestError(f"{len(landed.unreadable)} file(s) could not be read: " + "; ".join(landed.unreadable))
    return {
        "sources": len(landed.sources),
        "records": landed.records,
        "new_signins": merged.new_signins,
        "updated_signins": merged.updated_signins,
        "quarantined": landed.quarantined + report.quarantined,
        "tagged": tags["tagged"],
        "findings": tags["findings"],
        "new_findings": len(tags["new_findings"]),
        "report": str(dashboards),
        "run_record": str(record.folder),
    }


@contextmanager
def exclusive_run(db: Path, settings: Settings) -> Iterator[RunRecord]:
    """Hold the database's run lock for a run (undoing first a run that died while landing); a failure of
    the run is sent as an alert, then raised."""
    try:

        def waiting(holder: str) -> None:
            get_run_logger().info("waiting for process %s, which is writing to %s", holder, db)

        with landing.writing(db, settings.run_wait_seconds, waiting) as undone:
            if undone:
                get_run_logger().warning("undid the run(s) that had died while landing: %s", ", ".join(undone))
            yield RunRecord.new(db)
    except Exception as exc:
        alerts.send(settings.notify_url, [alerts.Alert("signin-analytics: run failed", str(exc).splitlines()[0])])
        raise


def run(
    db: Path,
    land: Callable[..., Landed],
    *,
    in_place: bool = False,
    preset: str | None = None,
    privileged: PrivilegedList | None = None,
    out: Path,
    graph_window: bool = False,
) -> dict:
    """One run: land a source (files `in_place` with `land(store path, run name)`, else with `land(staging
    path)`), gate, keep or merge, tag, report, summarise, alert."""
    settings = Settings(db_path=db)
    with exclusive_run(db, settings) as record:
        landed, report, merged = (
            land_in_place(db, land, record, settings)
            if in_place
            else land_gated(db, land, record, settings, graph_window)
        )
        return finish(
            db, landed, report, merged, record, preset=preset, privileged=privileged, out=out, settings=settings
        )


def summary_markdown(
    db: Path, landed: Landed, report: GateReport, merged: MergeOutcome, tags: dict, dashboards: Path
) -> str:
    """The run summary shown as a Prefect artifact. File, user, policy and tenant names and enum values
    come from outside: each is escaped as Markdown text (markdown_text)."""
    md = markdown_text
    rows = "\n".join(
        f"| {md(s.name)} | {md(s.format)} | {s.records} | {s.new_signins} | {s.quarantined} |" for s in landed.sources
    )
    causes = "\n".join(f"| {md(cause)} | {count} |" for cause, count in tags["causes"].items())
    new_findings = (
        "\n".join(
            f"- {md(f['finding'])}: {md(f['user_principal_name'] or f['user_key'])} in tenant {md(f['tenant_id'])} "
            f"({md(f['detail'])})"
            for f in tags["new_findings"]
        )
        or "- none"
    )
    rising = "\n".join(
        f"| {md(tenant)} | {md(policy)} | {previous} | {last} |"
        for tenant, policy, last, previous in tags["rising_policies"]
    )
    tenants = "".join(f"- {md(result.line)}\n" for result in landed.tenants)
    unreadable = "".join(f"- {md(line)}\n" for line in landed.unreadable)
    new_values = "".join(
        f"- {md(column)}: {', '.join(md(v) for v in values)}\n" for column, values in report.new_values().items()
    )
    return (
        "# Sign-in run\n\n"
        f"Database: {md(db)}\n\nDashboards: {md(dashboards)} (open in a browser; works offline)\n\n"
        f"- sources: {len(landed.sources)} ({landed.already_ingested} already ingested)\n"
        f"- records read: {landed.records}\n"
        f"- new sign-ins: {merged.new_signins} ({merged.updated_signins} replaced by a more complete version)\n"
        f"- quarantined: {landed.quarantined} while reading, {report.quarantined} by the validation gate\n"
        f"- MFA failures (500121) tagged this run: {tags['tagged']} ({tags['users']} users re-tagged)\n\n"
        "| source | format | records | sign-ins | quarantined |\n|---|---|---|---|---|\n"
        + rows
        + "\n\n"
        + (f"## Graph tenants\n\n{tenants}\n" if tenants else "")
        + (f"## Files that could not be read\n\n{unreadable}\n" if unreadable else "")
        + (f"## New enum values (reported, not failed)\n\n{new_values}\n" if new_values else "")
        + "## Thresholds\n\n"
        + "".join(f"- {md(line.strip())}\n" for line in tags["thresholds"])
        + "\n## New findings this run\n\n"
        + new_findings
        + "\n\n"
        + (
            "## Policies whose MFA failures rose most (7 days)\n\n| tenant | policy | previous 7 days | last 7 days |\n"
            "|---|---|---|---|\n" + rising + "\n\n"
            if rising
            else ""
        )
        + "## 500121 by primary cause (all time)\n\n| cause | failures |\n|---|---|\n"
        + causes
        + "\n"
    )
