"""History beyond one database file: the normalised and tagged tables as Parquet, Hive-partitioned.

`OUT/<table>/tenant_id=<t>/day=<YYYY-MM-DD>/*.parquet`, one folder per file in sql/parquet/ (the
file name minus its number is the table). Spark, Trino or DuckDB read it as partitioned tables.

How a re-run stays safe. DuckDB's own options do not fit: OVERWRITE empties the whole target folder
first (every other day too, and readers see it empty while COPY runs) and OVERWRITE_OR_IGNORE writes
new files beside or over the old ones in place (a reader can see half a day, or a day twice). So each
table is written by COPY into a staging folder, `OUT/.staging/<run>/` (inside OUT, so that renames stay
on one file system; the leading dot hides it from Spark, Trino and `OUT/<table>/**` globs), and then
published partition by partition: a new partition is renamed into place, an existing one is
exchanged with its replacement in one atomic rename (Linux renameat2 RENAME_EXCHANGE; elsewhere two
renames, with a moment where the partition is missing), and a partition of the exported window that
the store no longer has is moved out. A reader thus sees every partition either old or new, never half
written and never twice. Tables are published one after another: during a run one table may be newer
than another. A crash leaves only the staging folder, removed by the next export. One export per OUT at
a time (a file lock); a second one waits.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import functools
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import duckdb

from signins import SQL_DIR
from signins.errors import SigninsError, StoreError
from signins.ingest.timestamps import parse_utc
from signins.store.database import connect, require_store, run_script, schema_version

EXPORT_DIR = SQL_DIR / "parquet"
_DAY_FOLDER = re.compile(r"^day=(\d{4}-\d{2}-\d{2})$")
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(9999, 1, 1, tzinfo=UTC)
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class ExportUsageError(SigninsError):
    """--since / --until cannot be read or do not make a window."""

    exit_code = 2


@dataclass(frozen=True)
class DayWindow:
    """Whole UTC days [first, end); None means open on that side."""

    first: date | None = None
    end: date | None = None

    def bounds(self) -> dict[str, datetime]:
        """The created_at bounds the export queries bind."""
        return {
            "since": _midnight(self.first) if self.first else _EARLIEST,
            "until": _midnight(self.end) if self.end else _LATEST,
        }

    def holds(self, day: date) -> bool:
        return (self.first is None or day >= self.first) and (self.end is None or day < self.end)


@dataclass(frozen=True)
class TableExport:
    table: str
    rows: int
    partitions: int  # partitions written (new or replaced)
    removed: int  # partitions of the window the store no longer has


def export_files() -> list[tuple[str, str]]:
    """(table, sql/parquet file) in export order: `NN_<table>.sql`."""
    return [(path.stem.split("_", 1)[1], f"parquet/{path.name}") for path in sorted(EXPORT_DIR.glob("[0-9]*_*.sql"))]


def day_window(since: str | None, until: str | None) -> DayWindow:
    """--since / --until (ISO, UTC unless they say otherwise) widened to the whole UTC days they touch."""
    first = _parse(since, "--since").date() if since else None
    end = None
    if until:
        moment = _parse(until, "--until")
        end = moment.date() if moment.time() == time(0) else moment.date() + timedelta(days=1)
    if first and end and first >= end:
        raise ExportUsageError(f"--since {since!r} is not before --until {until!r}")
    return DayWindow(first, end)


def export_parquet(db_path: Path, out: Path, window: DayWindow = DayWindow()) -> list[TableExport]:
    """Write every table of sql/parquet/ under `out`, replacing the partitions of the window; one result per table."""
    con = _open_store(db_path)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with _export_lock(out):
            shutil.rmtree(out / ".staging", ignore_errors=True)  # a crashed export's leftovers
            staging = out / ".staging" / uuid.uuid4().hex
            try:
                return [_export_table(con, table, script, out, staging, window) for table, script in export_files()]
            finally:
                shutil.rmtree(out / ".staging", ignore_errors=True)
    except OSError as exc:
        raise StoreError(f"{out}: cannot write the export: {exc.strerror or exc}") from exc
    finally:
        con.close()


def _export_table(con, table: str, script: str, out: Path, staging: Path, window: DayWindow) -> TableExport:
    written = staging / "new" / table
    written.parent.mkdir(parents=True, exist_ok=True)
    rows = _copy(con, script, written, window)
    new = set(_partitions(written))
    target = out / table
    stale = [p for p in _partitions(target) if p not in new and window.holds(_day_of(p))]
    for partition in sorted(new):
        _publish(written / partition, target / partition)
    for partition in stale:
        _move(target / partition, staging / "old" / table / partition)
    _drop_empty_tenants(target)
    return TableExport(table, rows, len(new), len(stale))


def _copy(con, script: str, folder: Path, window: DayWindow) -> int:
    """Run one COPY (window and path bound; DuckDB streams it); the number of rows written."""
    try:
        run_script(con, script, {**window.bounds(), "path": str(folder)})
        (rows,) = con.fetchone()
    except (duckdb.Error, OSError) as exc:
        raise StoreError(f"sql/{script}: the export failed: {str(exc).splitlines()[0]}") from exc
    return rows


def _partitions(table_dir: Path) -> Iterator[Path]:
    """The `tenant_id=…/day=…` folders of a table (relative); anything else there is left alone."""
    if not table_dir.is_dir():
        return
    for tenant in sorted(table_dir.glob("tenant_id=*")):
        for day in sorted(tenant.iterdir()):
            if day.is_dir() and _DAY_FOLDER.match(day.name):
                yield day.relative_to(table_dir)


def _day_of(partition: Path) -> date:
    return date.fromisoformat(_DAY_FOLDER.match(partition.name).group(1))


def _publish(new: Path, target: Path) -> None:
    """Put a freshly written partition at `target`, atomically replacing what was there."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        os.rename(new, target)
    elif not _exchange(new, target):
        old = new.with_name(new.name + ".old")
        os.rename(target, old)
        os.rename(new, target)
    # after an exchange `new` holds the old partition: it goes with the staging folder


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step (Linux renameat2); False where that is not available."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


@functools.lru_cache(maxsize=1)
def _renameat2():
    return getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)


def _move(source: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    os.rename(source, destination)


def _drop_empty_tenants(table_dir: Path) -> None:
    for tenant in table_dir.glob("tenant_id=*") if table_dir.is_dir() else ():
        if tenant.is_dir() and not any(tenant.iterdir()):
            tenant.rmdir()


def _open_store(db_path: Path):
    require_store(db_path)
    con = connect(db_path, read_only=True)
    if schema_version(con) < 2:
        con.close()
        raise StoreError(f"{db_path}: the store has no cause tags yet (schema version < 2); run `signins tag` first")
    return con


@contextmanager
def _export_lock(out: Path) -> Iterator[None]:
    """One export per folder at a time; a second one waits for the first."""
    fd = os.open(out / ".export.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _parse(text: str, option: str) -> datetime:
    moment = parse_utc(text)
    if moment is None:
        raise ExportUsageError(
            f"{option} {text!r}: expected an ISO date or date-time, e.g. 2025-01-31 or 2025-01-31T00:00:00Z"
        )
    return moment


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)
