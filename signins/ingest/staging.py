"""A run's own store: the run lands its source in a staging store beside the database, where it is
validated, then merged into the store in one transaction.

So a run that fails (a validation gate, a crash, a kill) leaves the store exactly as it was, and the
next run starts a fresh staging store and does the work again (every step is idempotent). The same
merge lets independent workers (one per tenant) each fill a staging store of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from signins.errors import StoreError
from signins.ingest import blobs
from signins.store.database import connect, run_script


@dataclass
class MergeOutcome:
    new_signins: int
    updated_signins: int


def staging_path(db_path: Path, name: str) -> Path:
    """Where a run called `name` keeps its staging store: `<db>.staging/<name>.duckdb`."""
    return db_path.with_name(db_path.name + blobs.STAGING_SUFFIX) / f"{name}.duckdb"


def discard(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


def create_staging(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """A fresh staging store at `path`, seeded with the files the store has ingested and its pull watermarks."""
    path.parent.mkdir(parents=True, exist_ok=True)
    discard(path)
    connect(path).close()  # creates the schema
    con.execute("ATTACH ? AS staging", [str(path)])
    try:
        run_script(con, "merge/05_seed_staging.sql")
    finally:
        con.execute("DETACH staging")


def merge_staging(con: duckdb.DuckDBPyConnection, path: Path) -> MergeOutcome:
    """Merge the staging store at `path` into the store, in one transaction."""
    con.execute("ATTACH ? AS staging (READ_ONLY)", [str(path)])
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            run_script(con, "merge/10_staging_into_store.sql")
            run_script(con, "ca_sets/drop_released.sql")
            new, updated = con.execute(
                "SELECT count(*) FILTER (is_new), count(*) FILTER (NOT is_new) FROM merge_winners"
            ).fetchall()[0]
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise StoreError(f"merging {path} into the store failed: {str(exc).splitlines()[0]}") from exc
    finally:
        con.execute("DETACH staging")
    return MergeOutcome(new, updated)
