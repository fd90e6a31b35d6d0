"""What the store records about the files a load reads: which are loaded already (by where they lie, or by
their content), which an earlier attempt began, and one ingest_log row per file read.

Each of these reads or writes the rows of many files at once: a folder of thousands of small files costs
a few statements, not a few per file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from signins.ingest.arrow import column
from signins.ingest.writer import Member
from signins.text import path_text


@dataclass(frozen=True)
class Stat:
    """Where a file lies, and what its size and modification time say of its content."""

    path: Path
    key: str  # absolute path, as stored
    size: int
    modified_ns: int

    @classmethod
    def of(cls, path: Path) -> Stat | None:
        try:
            stat = path.stat()
        except OSError:  # gone, or not ours to see: reported when it is read
            return None
        return cls(path, path_text(path.absolute()), stat.st_size, stat.st_mtime_ns)


def _registered(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table, sql: str) -> list[tuple]:
    con.register(name, table)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.unregister(name)


def known(con: duckdb.DuckDBPyConnection, stats: list[Stat]) -> dict[Path, str]:
    """The files that were loaded before as they are now: path -> content hash."""
    if not stats:
        return {}
    table = pa.table(
        {
            "path": column([s.key for s in stats], pa.string()),
            "size_bytes": column([s.size for s in stats], pa.int64()),
            "modified_ns": column([s.modified_ns for s in stats], pa.int64()),
        }
    )
    rows = _registered(
        con,
        "stat_rows",
        table,
        "SELECT s.path, k.file_sha256 FROM stat_rows AS s JOIN known_files AS k USING (path, size_bytes, modified_ns) "
        "WHERE k.file_sha256 IN (SELECT file_sha256 FROM ingest_log WHERE NOT already_ingested)",
    )
    by_key = dict(rows)
    return {s.path: by_key[s.key] for s in stats if s.key in by_key}


def ingested(con: duckdb.DuckDBPyConnection, hashes: list[str]) -> set[str]:
    """Of these content hashes, those a finished load has read."""
    return _among(con, hashes, "SELECT file_sha256 FROM ingest_log WHERE NOT already_ingested")


def begun(con: duckdb.DuckDBPyConnection, hashes: list[str]) -> set[str]:
    """Of these content hashes, those an earlier load began (their raw_files row is written with their
    first records)."""
    return _among(con, hashes, "SELECT file_sha256 FROM raw_files")


def _among(con: duckdb.DuckDBPyConnection, hashes: list[str], rows: str) -> set[str]:
    if not hashes:
        return set()
    table = pa.table({"file_sha256": column(hashes, pa.string())})
    return {
        sha
        for (sha,) in _registered(
            con, "hash_rows", table, f"SELECT file_sha256 FROM hash_rows WHERE file_sha256 IN ({rows})"
        )
    }


def log(con: duckdb.DuckDBPyConnection, members: list[Member], run: str | None, stats: dict[Path, Stat]) -> None:
    """The ingest_log rows of files read to the end (or skipped), the run_ingests rows of a run's files
    that wrote nothing (a file that wrote records has one from its first batch: signins.ingest.writer),
    and the known_files rows of the files loaded whose size and time did not change while they were read."""
    if not members:
        return
    outcomes = [m.outcome for m in members]
    table = pa.table(
        {
            "ingest_id": column([m.ingest_id for m in members], pa.string()),
            "file_sha256": column([o.sha256 for o in outcomes], pa.string()),
            "path": column([path_text(o.path) for o in outcomes], pa.string()),
            "format": column([o.format for o in outcomes], pa.string()),
            "records": column([o.records for o in outcomes], pa.int64()),
            "new_signins": column([o.new_signins for o in outcomes], pa.int64()),
            "updated_signins": column([o.updated_signins for o in outcomes], pa.int64()),
            "quarantined": column([o.quarantined for o in outcomes], pa.int64()),
            "already_ingested": column([o.already_ingested for o in outcomes], pa.bool_()),
            "notes": column([o.notes for o in outcomes], pa.list_(pa.string())),
            "started_at": column([m.started for m in members], pa.timestamp("us", tz="UTC")),
        }
    )
    unregistered = pa.table(
        {
            "ingest_id": column([m.ingest_id for m in members if not m.registered], pa.string()),
            "file_sha256": column([m.sha256 for m in members if not m.registered], pa.string()),
        }
    )
    now = {path: Stat.of(path) for path in (o.path for o in outcomes)}
    unchanged = [m for m in members if (s := stats.get(m.outcome.path)) and now.get(m.outcome.path) == s]
    remembered = pa.table(
        {
            "path": column([stats[m.outcome.path].key for m in unchanged], pa.string()),
            "size_bytes": column([stats[m.outcome.path].size for m in unchanged], pa.int64()),
            "modified_ns": column([stats[m.outcome.path].modified_ns for m in unchanged], pa.int64()),
            "file_sha256": column([m.sha256 for m in unchanged], pa.string()),
        }
    )
    con.register("logged", table)
    con.register("remembered", remembered)
    con.register("unregistered", unregistered)
    try:
        con.execute("BEGIN TRANSACTION")
        if run:
            con.execute("INSERT INTO run_ingests SELECT ?, ingest_id, file_sha256 FROM unregistered", [run])
        con.execute("INSERT INTO ingest_log SELECT *, now() FROM logged")
        con.execute("INSERT OR REPLACE INTO known_files SELECT *, now() FROM remembered")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        for name in ("logged", "remembered", "unregistered"):
            con.unregister(name)
