"""Shared fixtures: a fresh store per test, and helpers to ingest files into it."""

from __future__ import annotations

from pathlib import Path

import pytest

from signins import PROJECT_ROOT, blobs
from signins.load import FileOutcome, ingest_file
from signins.settings import IngestLimits
from signins.store import connect

PUBLIC = PROJECT_ROOT.parent / "shared" / "datasets" / "public"
FIXTURES = Path(__file__).parent / "fixtures"


class Store:
    """A real DuckDB file in a temporary folder, with its blob store."""

    def __init__(self, db_path: Path):
        self.db_path = db_path
        self.con = connect(db_path)

    def ingest(self, path: Path, limits: IngestLimits | None = None) -> FileOutcome:
        return ingest_file(self.con, path, blobs.blob_root(self.db_path), limits or IngestLimits())

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params: list | None = None):
        return self.rows(sql, params)[0][0]

    def checksum(self, table: str) -> tuple[int, int]:
        """(row count, order-independent hash of every column except load times)."""
        excluded = {"loaded_at", "ingested_at", "ingest_id", "quarantined_at"}
        columns = [c for (c,) in self.rows(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position", [table])
            if c not in excluded]
        row = ", ".join(f'"{c}"' for c in columns)
        return tuple(self.rows(f"SELECT count(*), coalesce(sum(hash(({row}))), 0) FROM {table}")[0])


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "signins.duckdb")
    yield store
    store.con.close()


@pytest.fixture(scope="session")
def public_dir() -> Path:
    assert PUBLIC.is_dir(), f"the public datasets are expected at {PUBLIC}"
    return PUBLIC
