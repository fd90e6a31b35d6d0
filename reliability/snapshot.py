"""Compare two stores table by table (row counts, content checksums, rows lost or extra) and file by file.

Only columns that say *when* or *by which run* a row was written are left out. The tables that log
runs are compared as the set of files, pages and kept runs they record: a rerun adds its own lines (a
SKIP for every file it had loaded before, the pages it fetched again, a run undone or kept of its own)
and counts only what it added itself.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

RUN_COLUMNS = frozenset(
    {
        "loaded_at",
        "ingested_at",
        "ingest_id",
        "quarantined_at",
        "first_seen_at",
        "tagged_at",
        "updated_at",
        "fetched_at",
        "run_id",
        "started_at",
        "finished_at",
        "applied_at",
        "loaded_until",
        "seen_at",
        "modified_ns",  # when the file read was last changed (known_files)
    }
)
# table: (the rows compared, the per-run counters left out)
RUN_LOGS = {
    "ingest_log": ("NOT already_ingested", {"new_signins", "updated_signins"}),
    "pull_pages": ("true", {"records", "new_signins", "quarantined"}),
    "runs": ("state = 'kept'", {"run_name", "ended_at"}),  # a rerun keeps a run of its own
    "run_ingests": ("true", {"run_name"}),
}


@dataclass(frozen=True)
class TableDiff:
    table: str
    rows: tuple[int, int]  # (expected, got)
    checksums: tuple[int, int]
    lost: int  # rows expected but missing
    extra: int  # rows that should not be there (doubled)

    @property
    def equal(self) -> bool:
        return self.rows[0] == self.rows[1] and self.checksums[0] == self.checksums[1] and not self.lost + self.extra


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str, excluded: frozenset[str]) -> list[str]:
    return [
        c
        for (c,) in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_catalog = ? AND table_name = ? "
            "ORDER BY ordinal_position",
            [catalog, table],
        ).fetchall()
        if c not in excluded
    ]


def rows_sql(con: duckdb.DuckDBPyConnection, catalog: str, table: str, excluded: frozenset[str] = RUN_COLUMNS) -> str:
    """The SELECT of a table's compared rows (identifiers come from the catalog, not from input)."""
    where, counters = RUN_LOGS.get(table, ("true", set()))
    columns = ", ".join(f'"{c}"' for c in _columns(con, catalog, table, excluded | counters))
    distinct = "DISTINCT " if table in RUN_LOGS else ""
    return f'SELECT {distinct}{columns} FROM "{catalog}"."{table}" WHERE {where}'


def checksum(
    con: duckdb.DuckDBPyConnection, table: str, excluded: frozenset[str] = RUN_COLUMNS, catalog: str | None = None
) -> tuple[int, int]:
    """(row count, order-independent hash of the compared columns) of one table."""
    catalog = catalog or con.execute("SELECT current_database()").fetchall()[0][0]
    select = rows_sql(con, catalog, table, excluded)
    return tuple(con.execute(f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM ({select}) AS t").fetchall()[0])


def base_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    return [
        t
        for (t,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = ? AND table_type = 'BASE TABLE' "
            "ORDER BY 1",
            [catalog],
        ).fetchall()
    ]


def _diff(con: duckdb.DuckDBPyConnection, table: str, excluded: frozenset[str]) -> TableDiff:
    want, got = rows_sql(con, "want", table, excluded), rows_sql(con, "got", table, excluded)
    lost = con.execute(f"SELECT count(*) FROM ({want} EXCEPT ALL {got})").fetchall()[0][0]
    extra = con.execute(f"SELECT count(*) FROM ({got} EXCEPT ALL {want})").fetchall()[0][0]
    a, b = checksum(con, table, excluded, "want"), checksum(con, table, excluded, "got")
    return TableDiff(table, (a[0], b[0]), (a[1], b[1]), lost, extra)


def compare_stores(expected: Path, actual: Path, excluded: frozenset[str] = RUN_COLUMNS) -> list[TableDiff]:
    """Every table of both databases (opened read-only), compared."""
    con = duckdb.connect()
    try:
        con.execute("ATTACH ? AS want (READ_ONLY)", [str(expected)])
        con.execute("ATTACH ? AS got (READ_ONLY)", [str(actual)])
        tables, others = base_tables(con, "want"), base_tables(con, "got")
        if tables != others:
            raise AssertionError(f"tables in only one of the stores: {sorted(set(tables) ^ set(others))}")
        return [_diff(con, table, excluded) for table in tables]
    finally:
        con.close()


def blob_digests(db_path: Path) -> dict[str, str]:
    """{blob path: sha256 of its bytes} of a store's blob store (hidden temporary files not included)."""
    root = db_path.with_name(db_path.name + ".blobs")
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def leftovers(db_path: Path) -> list[str]:
    """Files a finished run should not leave behind: temporary blobs, pulled pages not yet removed."""
    blobs = db_path.with_name(db_path.name + ".blobs")
    pulls = db_path.with_name(db_path.name + ".pulls")
    found = [p for p in blobs.rglob(".*") if p.is_file()] + [p for p in pulls.rglob("*") if p.is_file()]
    return sorted(str(p.relative_to(db_path.parent)) for p in found)
