"""The nightly run: source -> raw + normalised store -> run summary.

Validation (Great Expectations), cause tagging and dashboards join this flow as their issues land
([2/7], [4/7], [5/7]); today it lands the source into the store and reports what it did.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from signins import PROJECT_ROOT, blobs
from signins.load import FileOutcome, expand_paths, ingest_paths
from signins.settings import Settings
from signins.store import connect

SAMPLE_SOURCE = PROJECT_ROOT / "data" / "sample" / "signins"


def resolve_source(source: str) -> list[Path]:
    """The files a source names: `sample` (the bundled tenant) or a file or folder of exports."""
    if source == "sample":
        return [SAMPLE_SOURCE]
    if source == "graph":
        raise ValueError("the Graph source arrives with issue [3/7] (signins pull); use `sample` or a path for now")
    return [Path(source)]


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


def summary_markdown(outcomes: list[FileOutcome], db_path: Path) -> str:
    """The run summary shown as a Prefect artifact."""
    rows = "\n".join(
        f"| {o.path.name} | {o.format} | {o.records} | {o.new_signins} | {o.updated_signins} | {o.quarantined} |"
        for o in outcomes
    )
    return (
        "# Nightly sign-in run\n\n"
        f"Database: `{db_path}`\n\n"
        f"- files: {len(outcomes)} ({sum(o.already_ingested for o in outcomes)} already ingested)\n"
        f"- records read: {sum(o.records for o in outcomes)}\n"
        f"- new sign-ins: {sum(o.new_signins for o in outcomes)}\n"
        f"- quarantined: {sum(o.quarantined for o in outcomes)}\n\n"
        "| file | format | records | new | updated | quarantined |\n|---|---|---|---|---|---|\n" + rows + "\n"
    )


@flow(name="nightly")
def nightly(source: str = "sample", db_path: str | None = None) -> dict:
    """Run the nightly pipeline once over a source; returns the run's totals."""
    db = Path(db_path) if db_path else Settings().db_path
    outcomes = ingest_files(resolve_source(source), db)
    create_markdown_artifact(summary_markdown(outcomes, db), key="nightly-summary",
                             description="What the nightly sign-in run loaded")
    return {
        "files": len(outcomes),
        "records": sum(o.records for o in outcomes),
        "new_signins": sum(o.new_signins for o in outcomes),
        "quarantined": sum(o.quarantined for o in outcomes),
    }
