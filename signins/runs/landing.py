"""Runs that land files in the store itself, batch by batch, and stay only if their data passes the gates.

A run is `landing` from its start until the validation gates have passed (`kept`). Until then it can
be undone, in one transaction, back to the store as it was before it: when its data fails a gate, and
when it died first (the next run undoes it before anything else). Landing in place spares a run the copy
of everything it read from a staging store into the store (signins.ingest.staging, still used by Graph pulls).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from signins.errors import StoreError
from signins.store.database import LATEST_VERSION, connect, query, require_store, run_script, schema_version
from signins.store.runlock import run_lock


@dataclass
class RunCounts:
    new_signins: int
    updated_signins: int


def start(con: duckdb.DuckDBPyConnection, run: str) -> None:
    con.execute("INSERT INTO runs VALUES (?, 'landing', now(), NULL)", [run])


def keep(con: duckdb.DuckDBPyConnection, run: str) -> RunCounts:
    """The run's data passed the gates: it stays, and what it replaced is let go. What it added."""
    counts = RunCounts(*query(con, "runs/run_counts.sql", {"run": run}).fetchall()[0])
    _in_transaction(con, run, "keeping", ["runs/drop_displaced.sql", "ca_sets/drop_released.sql", "runs/kept.sql"])
    return counts


def undo(con: duckdb.DuckDBPyConnection, run: str) -> None:
    """Put the store back as it was before the run (idempotent: an undone run has nothing left)."""
    _in_transaction(con, run, "undoing", ["runs/undo.sql", "ca_sets/drop_released.sql", "runs/restore_displaced.sql"])


def undo_unfinished(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Undo the runs that died while landing (the caller holds the run lock, so none is alive); their names."""
    names = [
        name
        for (name,) in con.execute("SELECT run_name FROM runs WHERE state = 'landing' ORDER BY started_at").fetchall()
    ]
    for name in names:
        undo(con, name)
    return names


@contextmanager
def writing(
    db_path: Path, wait_seconds: float, on_wait: Callable[[str], None] | None = None, create: bool = True
) -> Iterator[list[str]]:
    """Write to the store as its only writer: hold its run lock (signins.store.runlock; waiting up to
    `wait_seconds` for another writer, telling `on_wait`), and first undo the runs that died while
    landing. Yields their names. Every writer (runs, `signins ingest`, `pull`, `tag`) writes so: nothing
    else writes while a run can still be undone, so undoing it touches nothing but what it wrote.
    Without `create`, a store that does not exist is an error (a mistyped --db), not a new empty one."""
    if not create:
        require_store(db_path)
    with run_lock(db_path, wait_seconds, on_wait):
        with connect(db_path) as con:
            undone = undo_unfinished(con)
        yield undone


def _in_transaction(con: duckdb.DuckDBPyConnection, run: str, doing: str, scripts: list[str]) -> None:
    con.execute("BEGIN TRANSACTION")
    try:
        for script in scripts:
            run_script(con, script, {"run": run})
        con.execute("COMMIT")
    except duckdb.Error as exc:
        con.execute("ROLLBACK")
        raise StoreError(f"{doing} run {run} failed: {str(exc).splitlines()[0]}") from exc


@contextmanager
def reading(db_path: Path, wait_seconds: float, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Read the store as no writer is changing it: hold its run lock shared (other readers go on; writers,
    and runs, wait until the reading is done, as readers wait for them), and open it read-only inside.

    A store that needs a writer first (a run that died while landing, whose ungated data a reader must
    not see, or an older schema) gets one: the reader writes as `writing` does, then reads."""
    require_store(db_path)
    while True:
        with run_lock(db_path, wait_seconds, on_wait, shared=True):
            with connect(db_path, read_only=True) as con:
                ready = not _needs_writer(con)
            if ready:
                yield
                return
        with writing(db_path, wait_seconds, on_wait):
            pass


def _needs_writer(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store holds a run that died while landing, or is at an older schema (read-only)."""
    if schema_version(con) < LATEST_VERSION:
        return True
    return con.execute("SELECT count(*) > 0 FROM runs WHERE state = 'landing'").fetchall()[0][0]
