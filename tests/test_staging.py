"""A staging store merged into the store gives the store that loading the files directly gives."""

from __future__ import annotations

from pathlib import Path

from signins.ingest import blobs
from signins.ingest.staging import create_staging, merge_staging, staging_path
from tests.conftest import FIXTURES, PUBLIC, STORE_TABLES, Store
from tests.conftest import table_content as content

CROSS = FIXTURES / "cross_format"
FIRST = [CROSS / "graph_beta_page.json"]
LATER = [
    CROSS / "azure_monitor.log",
    CROSS / "log_analytics.csv",
    PUBLIC / "elastic-integrations" / "test-signinlogs-sample.log",
]
TABLES = STORE_TABLES


def staged(store: Store, files: list[Path], name: str = "run") -> Path:
    """Load `files` into a new staging store of `store` (sharing its blobs); the staging store's path."""
    path = staging_path(store.db_path, name)
    assert blobs.blob_root(path) == blobs.blob_root(store.db_path)  # raw records point into the store's blobs
    create_staging(store.con, path)
    staging = Store(path)
    for file in files:
        staging.ingest(file)
    staging.con.close()
    return path


def test_merging_a_staging_store_equals_loading_directly(tmp_path: Path):
    direct = Store(tmp_path / "direct" / "s.duckdb")
    for file in FIRST + LATER:
        direct.ingest(file)
    store = Store(tmp_path / "staged" / "s.duckdb")
    for file in FIRST:
        store.ingest(file)
    outcome = merge_staging(store.con, staged(store, LATER))
    for table in TABLES:
        assert content(store, table) == content(direct, table), table
    assert store.scalar("SELECT count(*) FROM ingest_log") == direct.scalar("SELECT count(*) FROM ingest_log") == 4
    later = "FROM ingest_log WHERE path NOT LIKE '%graph_beta%'"
    assert (outcome.new_signins, outcome.updated_signins) == tuple(
        direct.rows(f"SELECT sum(new_signins)::INT, sum(updated_signins)::INT {later}")[0]
    )
    assert outcome.new_signins > 0


def test_merging_twice_changes_nothing(tmp_path: Path):
    store = Store(tmp_path / "s.duckdb")
    path = staged(store, LATER)
    merge_staging(store.con, path)
    before = {table: content(store, table) for table in TABLES}
    again = merge_staging(store.con, path)
    assert (again.new_signins, again.updated_signins) == (0, 0)
    assert {table: content(store, table) for table in TABLES} == before


def test_a_staging_store_skips_files_the_store_has_ingested(tmp_path: Path):
    store = Store(tmp_path / "s.duckdb")
    store.ingest(FIRST[0])
    path = staging_path(store.db_path, "run")
    create_staging(store.con, path)
    staging = Store(path)
    assert staging.ingest(FIRST[0]).already_ingested
    assert staging.scalar("SELECT count(*) FROM signins") == 0
