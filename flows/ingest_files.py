"""A drop folder of exports (portal downloads, Log Analytics or Azure Monitor exports): land whatever
is new in it (files ingested before are skipped by content hash) in the store, gate it (undone if it
fails), tag and report."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from prefect import flow

from flows.nightly import REPORT_DIR, land_files
from flows.steps import run
from signins.settings import Settings


@flow(name="ingest_files")
def ingest_files(folder: str, db_path: str | None = None, preset: str | None = None, out: str | None = None) -> dict:
    """Run the pipeline over a folder (or file) of exports; returns the run's totals."""
    db = Path(db_path) if db_path else Settings().db_path
    return run(
        db, partial(land_files, [Path(folder)]), in_place=True, preset=preset, out=Path(out) if out else REPORT_DIR
    )
