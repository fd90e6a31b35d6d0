"""The nightly run: source -> raw + normalised store -> cause tags and findings -> run summary.

The source is Microsoft Graph (`signins pull`, incremental) or files (the bundled sample, or a file or
folder of exports). Validation (Great Expectations), dashboards and alerts join this flow as their
issues land ([4/7], [5/7]); today it lands the source, tags the causes and reports what it did.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from signins import PROJECT_ROOT, blobs
from signins.load import FileOutcome, expand_paths, ingest_paths
from signins.settings import Settings
from signins.store import connect
from signins.tagging import TagOutcome, tag
from transforms.thresholds import load_thresholds

SAMPLE = PROJECT_ROOT / "data" / "sample"


@dataclass
class Landed:
    """What the source step brought into the store: one row per file or per Graph event type."""

    rows: list[tuple[str, str, int, int, int]]   # (name, format, records, new sign-ins, quarantined)
    already_ingested: int = 0

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


@task(name="pull-graph", retries=2, retry_delay_seconds=[60, 300])  # the network step: the only one retried
def pull_graph(db_path: Path) -> Landed:
    """Pull new sign-ins from Microsoft Graph (resumable: a retry continues where the last try stopped)."""
    from signins.graph.pull import pull_tenant
    from signins.graph.settings import GraphSettings

    logger = get_run_logger()
    con = connect(db_path)
    try:
        outcome = asyncio.run(pull_tenant(con, db_path, GraphSettings.from_env(), None, None, None,
                                          on_line=logger.info))
    finally:
        con.close()
    return Landed([(f"Graph {e.event_type}", "graph/page", e.records, e.new_signins, e.quarantined)
                   for e in outcome.event_types])


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


def summary_markdown(landed: Landed, tags: dict, db_path: Path) -> str:
    """The run summary shown as a Prefect artifact."""
    rows = "\n".join(f"| {name} | {fmt} | {records} | {new} | {quarantined} |"
                      for name, fmt, records, new, quarantined in landed.rows)
    causes = "\n".join(f"| {cause} | {count} |" for cause, count in tags["causes"].items())
    findings = "\n".join(f"- {finding}: {user}" for finding, user in tags["findings"]) or "- none"
    return (
        "# Nightly sign-in run\n\n"
        f"Database: `{db_path}`\n\n"
        f"- sources: {len(landed.rows)} ({landed.already_ingested} already ingested)\n"
        f"- records read: {landed.records}\n"
        f"- new sign-ins: {landed.new_signins}\n"
        f"- quarantined: {landed.quarantined}\n"
        f"- MFA failures (500121) tagged this run: {tags['tagged']} ({tags['users']} users re-tagged)\n\n"
        "| source | format | records | new | quarantined |\n|---|---|---|---|---|\n" + rows + "\n\n"
        "## 500121 by primary cause (all time)\n\n| cause | failures |\n|---|---|\n" + causes + "\n\n"
        "## User findings\n\n" + findings + "\n"
    )


@flow(name="nightly")
def nightly(source: str = "sample", db_path: str | None = None, preset: str | None = None) -> dict:
    """Run the nightly pipeline once over a source (`graph`, `sample` or a path); returns the run's totals."""
    db = Path(db_path) if db_path else Settings().db_path
    landed = pull_graph(db) if source == "graph" else ingest_files(resolve_source(source), db)
    tags = tag_causes(db, preset, privileged_accounts(source))
    create_markdown_artifact(summary_markdown(landed, tags, db), key="nightly-summary",
                             description="What the nightly sign-in run loaded and found")
    return {
        "sources": len(landed.rows),
        "records": landed.records,
        "new_signins": landed.new_signins,
        "quarantined": landed.quarantined,
        "tagged": tags["tagged"],
        "findings": len(tags["findings"]),
    }
