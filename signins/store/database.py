"""The DuckDB store: open a database file, apply schema migrations, run .sql files."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import duckdb

from signins import SQL_DIR
from signins.errors import StoreError
from signins.settings import Settings

SCHEMA_DIR = SQL_DIR / "schema"
_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


def sql_text(relative: str) -> str:
    """The text of a .sql file under sql/."""
    return (SQL_DIR / relative).read_text(encoding="utf-8")


def migrations() -> list[tuple[int, Path]]:
    """Schema migrations in order: sql/schema/NNN_name.sql, NNN = the version it brings the store to."""
    found = []
    for path in sorted(SCHEMA_DIR.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return found


LATEST_VERSION = migrations()[-1][0]


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The version the database is at (0 for an empty database)."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ).fetchall()[0][0]
    if not exists:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchall()[0][0]


def migrate(con: duckdb.DuckDBPyConnection, until: int = LATEST_VERSION) -> int:
    """Bring the database to the latest schema (or to `until`), one transaction per migration; returns the version."""
    current = schema_version(con)
    if current > LATEST_VERSION:
        raise StoreError(
            f"database schema version {current} is newer than this program supports ({LATEST_VERSION}); "
            "upgrade signin-analytics"
        )
    for version, path in migrations():
        if version <= current or version > until:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
            )
            con.execute(path.read_text(encoding="utf-8"))
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [version, path.name])
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise StoreError(f"{path.name}: migration to version {version} failed: {exc}") from exc
    return max(current, min(until, LATEST_VERSION))


FILE_HEADERS = 3 * 4096  # DuckDB's main header and its two database headers precede the blocks
CHECKPOINT_THRESHOLD = "1GB"  # of write-ahead log before DuckDB checkpoints (see connect)


_opened: set[Path] = set()  # files this process has opened: their blocks may be ahead of the file


def _refuse_truncated(con: duckdb.DuckDBPyConnection, db_path: Path) -> None:
    """A truncated file opens and fails only when a read reaches the missing blocks (reads before that
    give wrong answers; a write may overwrite what was left), so it is refused at once. Checked on a
    process's first open only, and not while a write-ahead log is pending: in both cases blocks may
    exist that are not in the file yet.

    The blocks in use must fit in the file; free ones need not: a checkpoint cuts free blocks off the
    end of the file while the header still counts them (seen on a 5 M-sign-in store: 4 blocks)."""
    wal = db_path.with_name(db_path.name + ".wal")
    path = db_path.resolve()
    first = path not in _opened
    _opened.add(path)
    if not first or not db_path.is_file() or (wal.exists() and wal.stat().st_size):
        return
    ((block_size, blocks),) = con.execute("SELECT block_size, used_blocks FROM pragma_database_size()").fetchall()
    expected, size = FILE_HEADERS + block_size * blocks, db_path.stat().st_size
    if blocks and size < expected:
        con.close()
        raise StoreError(
            f"{db_path}: the database file is truncated ({size} bytes, its blocks need {expected}); "
            "restore it from a backup"
        )


def require_store(db_path: Path | str) -> None:
    """A command that reads the store needs one: a missing file is an error, and nothing is created."""
    if not Path(db_path).is_file():
        raise StoreError(f"{db_path}: no database here (check --db or $SIGNINS_DB)")


def connect(db_path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the database and bring it to the latest schema, within the memory
    budget and spill directory of the settings (SIGNINS_DUCKDB_MEMORY_LIMIT, _TEMP_DIRECTORY)."""
    db_path = Path(db_path)
    if not read_only:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    settings = Settings(db_path=db_path)
    config = {
        key: value
        for key, value in (
            ("memory_limit", settings.duckdb_memory_limit),
            ("temp_directory", settings.duckdb_temp_directory),
        )
        if value
    }
    # A checkpoint rewrites the tables' unfinished row groups: at DuckDB's default (a 16 MB log) an
    # ingest checkpoints every other batch, and that work grows with the store (it came to cost more
    # than the commits). A crash still loses nothing: the log is replayed on the next open.
    config["checkpoint_threshold"] = CHECKPOINT_THRESHOLD
    try:
        con = duckdb.connect(str(db_path), read_only=read_only, config=config)
    except duckdb.Error as exc:
        raise StoreError(f"{db_path}: cannot open the database: {str(exc).splitlines()[0]}") from exc
    _refuse_truncated(con, db_path)
    con.execute("SET TimeZone = 'UTC'")
    if not read_only:
        migrate(con)
    return con


@functools.cache
def statements(relative: str) -> tuple[str, ...]:
    """The statements of a .sql file under sql/ (split at semicolons that end a line)."""
    text = sql_text(relative)
    parts = [p.strip() for p in text.replace("\r\n", "\n").split(";\n")]
    return tuple(
        p.rstrip(";")
        for p in parts
        if p and not all(line.strip().startswith("--") or not line.strip() for line in p.splitlines())
    )


def _used(statement: str, params: dict) -> dict:
    """The named parameters a statement uses (DuckDB refuses unused ones); comments do not count."""
    code = "\n".join(line for line in statement.splitlines() if not line.lstrip().startswith("--"))
    return {k: v for k, v in params.items() if f"${k}" in code}


def run_script(con: duckdb.DuckDBPyConnection, relative: str, params: dict | None = None) -> None:
    """Run a .sql file statement by statement, binding the named parameters each statement uses."""
    for statement in statements(relative):
        used = _used(statement, params or {})
        con.execute(statement, used) if used else con.execute(statement)


def query(con: duckdb.DuckDBPyConnection, relative: str, params: dict | None = None) -> duckdb.DuckDBPyRelation:
    """The result of a .sql file that holds one SELECT, with the named parameters it uses bound."""
    (statement,) = statements(relative)
    return con.sql(statement, params=_used(statement, params or {}) or None)
