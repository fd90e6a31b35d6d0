"""The nightly run: source -> raw + normalised store -> cause tags and findings -> dashboards -> run summary.

The source is Microsoft Graph (`signins pull`, incremental) or files (the bundled sample, or a file or
folder of exports). Validation (Great Expectations) and alerts join this flow as their issue lands
([5/7]); today it lands the source, tags the causes, writes the dashboards and reports what it did.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from dashboards.site import build_report
from signins import PROJECT_ROOT, blobs
from signins.graph.fleet import TENANT_ERRORS, TenantResult, raise_for_failures
from signins.graph.pull import PullOutcome
from signins.load import FileOutcome, expand_paths, ingest_paths
from signins.settings import Settings, env
from signins.store import connect
from signins.tagging import TagOutcome, tag
from transforms.thresholds import load_thresholds

SAMPLE = PROJECT_ROOT / "data" / "sample"
REPORT_DIR = PROJECT_ROOT / "data" / "report"


@dataclass
class Landed:
    """What the source step brought into the store: one row per file or per Graph event type."""

    rows: list[tuple[str, str, int, int, int]]   # (name, format, records, new sign-ins, quarantined)
    already_ingested: int = 0
    tenants: list[TenantResult] = field(default_factory=list)   # Graph: every tenant, pulled or failed

    @property
    def records(self) -> int:
        return sum(r[2] for r in self.rows)

    @property
    def new_signins(self) -> int:
        return sum(r[3] for r in self.rows)

    @property
    def quarantined(self) -> int:
        return sum(r[4] for r in self.rows)


def resolve_source(source: str) -> list[Path]:
    """The files a source names: `sample` (the bundled tenant) or a file or folder of exports."""
    if source == "sample":
        return [SAMPLE / "signins"]
    return [Path(source)]


def privileged_accounts(source: str) -> list[str]:
    """The sample tenant names its privileged accounts; other sources use the thresholds file."""
    if source != "sample":
        return []
    return [u["user_principal_name"] for u in json.loads((SAMPLE / "tenant.json").read_text())["privileged_users"]]


@task(name="ingest-files")
def ingest_files(paths: list[Path], db_path: Path) -> Landed:
    """Land files into the raw layer and the normalised store (idempotent)."""
    settings = Settings(db_path=db_path)
    files, _ = expand_paths(paths)
    con = connect(db_path, settings.duckdb_memory_limit)
    try:
        logger = get_run_logger()
        outcomes: list[FileOutcome] = ingest_paths(con, files, blobs.blob_root(db_path), settings.limits,
                                                   on_file=lambda outcome: logger.info(outcome.summary()))
    finally:
        con.close()
    return Landed([(o.path.name, o.format, o.records, o.new_signins, o.quarantined) for o in outcomes],
                  sum(o.already_ingested for o in outcomes))


def _graph_unavailable(task, task_run, state) -> bool:
    """Retry a tenant's pull only when Graph was unavailable; access and settings errors need a person."""
    from signins.graph.errors import GraphUnavailableError

    return isinstance(state.result(raise_on_failure=False), GraphUnavailableError)


# The network step, one run per tenant, the only task retried (SIGNINS_PULL_TASK_RETRY_DELAYS).
@task(name="pull-graph-tenant", task_run_name="pull-graph-{name}", retry_condition_fn=_graph_unavailable)
def pull_graph_tenant(db_path: Path, tenants_file: Path | None, name: str) -> PullOutcome:
    """Pull one tenant from Microsoft Graph (resumable: a retry continues where the last try stopped)."""
    from signins.graph.fleet import pull_one
    from signins.graph.settings import GraphSettings
    from signins.graph.tenants import load_tenants, select

    tenant = select(load_tenants(tenants_file), name)[0] if tenants_file else None
    con = connect(db_path)
    try:
        outcome = pull_one(con, db_path, tenant, GraphSettings.from_env())
    finally:
        con.close()
    logger = get_run_logger()
    for event_type in outcome.event_types:
        logger.info("%s %s", name, event_type.summary())
    for warning in outcome.warnings:
        logger.warning(warning)
    return outcome


def pull_graph(db_path: Path) -> Landed:
    """Pull every tenant of $SIGNINS_TENANTS_FILE (else the one SIGNINS_* describe), each in its own task."""
    from signins.graph.settings import GraphSettings
    from signins.graph.tenants import load_tenants

    tenants_file = Path(env("SIGNINS_TENANTS_FILE")) if env("SIGNINS_TENANTS_FILE") else None
    names = [t.name for t in load_tenants(tenants_file)] if tenants_file else ["default"]
    delays = list(GraphSettings.from_env().task_retry_delays)
    pull = pull_graph_tenant.with_options(retries=len(delays), retry_delay_seconds=delays or 0)
    landed = Landed([])
    for name in names:
        result = _tenant_result(name, pull(db_path, tenants_file, name, return_state=True))
        landed.tenants.append(result)
        landed.rows += [(f"Graph {name} {e.event_type}", "graph/page", e.records, e.new_signins, e.quarantined)
                        for e in (result.outcome.event_types if result.outcome else [])]
    return landed


def _tenant_result(name: str, state) -> TenantResult:
    """The tenant's outcome, or its one-line Graph or settings error; anything else is a bug and is raised."""
    if state.is_completed():
        return TenantResult(name, outcome=state.result())
    error = state.result(raise_on_failure=False)
    if not isinstance(error, TENANT_ERRORS):
        raise error
    return TenantResult(name, error=error)


@task(name="tag-causes")
def tag_causes(db_path: Path, preset: str | None, privileged: list[str]) -> dict:
    """Tag new MFA failures with their causes and rebuild the findings (incremental)."""
    overrides = {"privileged_accounts": privileged} if privileged else None
    thresholds = load_thresholds(preset=preset, overrides=overrides)
    con = connect(db_path)
    try:
        outcome: TagOutcome = tag(con, thresholds)
        causes = dict(con.execute("SELECT primary_cause, count(*) FROM cause_tags GROUP BY 1 ORDER BY 2 DESC").fetchall())
        findings = con.execute("SELECT finding, user_principal_name FROM user_findings ORDER BY 1, 2").fetchall()
    finally:
        con.close()
    return {"tagged": outcome.tagged, "users": outcome.users, "causes": causes, "findings": findings}


@task(name="write-report")
def write_report(db_path: Path, out: Path) -> Path:
    """Write the dashboards (static site) over the last 30 days of the store; returns its index page."""
    return build_report(db_path, out).index


def summary_markdown(landed: Landed, tags: dict, db_path: Path, dashboards: Path) -> str:
    """The run summary shown as a Prefect artifact."""
    rows = "\n".join(f"| {name} | {fmt} | {records} | {new} | {quarantined} |"
                      for name, fmt, records, new, quarantined in landed.rows)
    causes = "\n".join(f"| {cause} | {count} |" for cause, count in tags["causes"].items())
    findings = "\n".join(f"- {finding}: {user}" for finding, user in tags["findings"]) or "- none"
    tenants = "".join(f"- {result.line}\n" for result in landed.tenants)
    return (
        "# Nightly sign-in run\n\n"
        f"Database: `{db_path}`\n\n"
        f"Dashboards: `{dashboards}` (open in a browser; works offline)\n\n"
        f"- sources: {len(landed.rows)} ({landed.already_ingested} already ingested)\n"
        f"- records read: {landed.records}\n"
        f"- new sign-ins: {landed.new_signins}\n"
        f"- quarantined: {landed.quarantined}\n"
        f"- MFA failures (500121) tagged this run: {tags['tagged']} ({tags['users']} users re-tagged)\n\n"
        "| source | format | records | new | quarantined |\n|---|---|---|---|---|\n" + rows + "\n\n"
        + (f"## Graph tenants\n\n{tenants}\n" if tenants else "") +
        "## 500121 by primary cause (all time)\n\n| cause | failures |\n|---|---|\n" + causes + "\n\n"
        "## User findings\n\n" + findings + "\n"
    )


@flow(name="nightly")
def nightly(source: str = "sample", db_path: str | None = None, preset: str | None = None,
            out: str | None = None) -> dict:
    """Run the nightly pipeline once over a source (`graph`, `sample` or a path); returns the run's totals."""
    db = Path(db_path) if db_path else Settings().db_path
    landed = pull_graph(db) if source == "graph" else ingest_files(resolve_source(source), db)
    tags = tag_causes(db, preset, privileged_accounts(source))
    dashboards = write_report(db, Path(out) if out else REPORT_DIR)
    create_markdown_artifact(summary_markdown(landed, tags, db, dashboards), key="nightly-summary",
                             description="What the nightly sign-in run loaded and found")
    raise_for_failures(landed.tenants)  # after tagging and the summary, so the other tenants' data is used
    return {
        "sources": len(landed.rows),
        "records": landed.records,
        "new_signins": landed.new_signins,
        "quarantined": landed.quarantined,
        "tagged": tags["tagged"],
        "findings": len(tags["findings"]),
        "report": str(dashboards),
    }
