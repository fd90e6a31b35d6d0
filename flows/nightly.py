"""The nightly run: source -> raw + normalised store -> cause tags and findings -> run summary.

Validation (Great Expectations), dashboards and alerts join this flow as their issues land ([4/7],
[5/7]); today it lands the source, tags the causes and reports what it did.
"""

from __future__ import annotations

import json
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


def resolve_source(source: str) -> list[Path]:
    """The files a source names: `sample` (the bundled tenant) or a file or folder of exports."""
    if source == "sample":
        return [SAMPLE / "signins"]
    if source == "graph":
        raise ValueError("the Graph source arrives with issue [3/7] (signins pull); use `sample` or a path for now")
    return [Path(source)]


def privileged_accounts(source: str) -> list[str]:
    """The sample tenant names its privileged accounts; other sources use the thresholds file."""
    if source != "sample":
        return []
    return [u["user_principal_name"] for u in json.loads((SAMPLE / "tenant.json").read_text())["privileged_users"]]


@task(name="ingest-files")
def ingest_files(paths: list[Path], db_path: Path) -> list[FileOutcome]:
    """Land files into the raw layer and the normalised store (idempotent)."""
    settings = Settings(db_path=db_path)
    files, _ = expand_paths(paths)
    con = connect(db_path, settings.duckdb_memory_limit)
    try:
        logger = get_run_logger()
        return ingest_paths(con, files, blobs.blob_root(db_path), settings.limits,
                            on_file=lambda outcome: logger.info(outcome.summary()))
    finally:
        con.close()


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


def summary_markdown(outcomes: list[FileOutcome], tags: dict, db_path: Path) -> str:
    """The run summary shown as a Prefect artifact."""
    rows = "\n".join(
        f"| {o.path.name} | {o.format} | {o.records} | {o.new_signins} | {o.updated_signins} | {o.quarantined} |"
        for o in outcomes)
    causes = "\n".join(f"| {cause} | {count} |" for cause, count in tags["causes"].items())
    findings = "\n".join(f"- {finding}: {user}" for finding, user in tags["findings"]) or "- none"
    return (
        "# Nightly sign-in run\n\n"
        f"Database: `{db_path}`\n\n"
        f"- files: {len(outcomes)} ({sum(o.already_ingested for o in outcomes)} already ingested)\n"
        f"- records read: {sum(o.records for o in outcomes)}\n"
        f"- new sign-ins: {sum(o.new_signins for o in outcomes)}\n"
        f"- quarantined: {sum(o.quarantined for o in outcomes)}\n"
        f"- MFA failures (500121) tagged this run: {tags['tagged']} ({tags['users']} users re-tagged)\n\n"
        "| file | format | records | new | updated | quarantined |\n|---|---|---|---|---|---|\n" + rows + "\n\n"
        "## 500121 by primary cause (all time)\n\n| cause | failures |\n|---|---|\n" + causes + "\n\n"
        "## User findings\n\n" + findings + "\n"
    )


@flow(name="nightly")
def nightly(source: str = "sample", db_path: str | None = None, preset: str | None = None) -> dict:
    """Run the nightly pipeline once over a source; returns the run's totals."""
    db = Path(db_path) if db_path else Settings().db_path
    outcomes = ingest_files(resolve_source(source), db)
    tags = tag_causes(db, preset, privileged_accounts(source))
    create_markdown_artifact(summary_markdown(outcomes, tags, db), key="nightly-summary",
                             description="What the nightly sign-in run loaded and found")
    return {
        "files": len(outcomes),
        "records": sum(o.records for o in outcomes),
        "new_signins": sum(o.new_signins for o in outcomes),
        "quarantined": sum(o.quarantined for o in outcomes),
        "tagged": tags["tagged"],
        "findings": len(tags["findings"]),
    }
