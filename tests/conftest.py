"""Shared fixtures: a fresh store per test, and helpers to ingest files into it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from reliability.snapshot import base_tables, checksum
from signins import PROJECT_ROOT
from signins.ingest import blobs
from signins.ingest.load import FileOutcome, ingest_file
from signins.settings import IngestLimits, switch_off_analytics
from signins.store.database import connect

switch_off_analytics()  # before any test imports Prefect or Great Expectations

FIXTURES = Path(__file__).parent / "fixtures"
# Real files others published, one folder per source (their provenance and licences beside them).
PUBLIC = FIXTURES / "public"
# The store's tables of loaded data (raw layer, sign-ins and their child rows, quarantine).
STORE_TABLES = [
    "raw_files",
    "raw_records",
    "signins",
    "signin_auth_steps",
    "signin_ca_policies",
    "ca_policy_sets",
    "signin_app_policy_evaluations",
    "signin_app_device_details",
    "quarantine",
]
CHILD_TABLES = [t for t in STORE_TABLES if t.startswith("signin_")]
LOAD_TIMES = frozenset({"loaded_at", "ingested_at", "ingest_id", "quarantined_at"})


class Store:
    """A real DuckDB file in a temporary folder, with its blob store."""

    def __init__(self, db_path: Path):
        self.db_path = db_path
        self.con = connect(db_path)

    def ingest(self, path: Path, limits: IngestLimits | None = None, tenant: str | None = None) -> FileOutcome:
        return ingest_file(self.con, path, blobs.blob_root(self.db_path), limits or IngestLimits(), tenant)

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params: list | None = None):
        return self.rows(sql, params)[0][0]

    def checksum(self, table: str) -> tuple[int, int]:
        """(row count, order-independent hash of every column except load times)."""
        return checksum(self.con, table, LOAD_TIMES)


def rows_of(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    """The rows a query gives over a closed store, read without locking it for writing (times in UTC)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def table_content(store: Store, table: str, excluded: frozenset[str] = frozenset()) -> list[tuple]:
    """A table's rows, sorted, without the columns that say when (or in which ingest) they were written,
    nor the `excluded` ones."""
    columns = [
        c
        for (c,) in store.rows(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position", [table]
        )
        if c not in LOAD_TIMES | {"first_seen_at"} | excluded
    ]
    return sorted(store.rows(f"SELECT {', '.join(columns)} FROM {table}"), key=repr)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "signins.duckdb")
    yield store
    store.con.close()


def public_files() -> list[Path]:
    """The public sample files: every file in a source's folder (not the provenance and notice beside them)."""
    return sorted(p for p in PUBLIC.glob("*/*") if p.is_file())


@pytest.fixture(scope="session")
def tagged_sample(tmp_path_factory) -> Path:
    """The sample tenant ingested and tagged once per session (privileged accounts from tenant.json); the db path."""
    import json

    from signins.analysis.tagging import tag
    from transforms.thresholds import load_thresholds

    sample = PROJECT_ROOT / "data" / "sample"
    privileged = [
        u["user_principal_name"] for u in json.loads((sample / "tenant.json").read_text())["privileged_users"]
    ]
    store = Store(tmp_path_factory.mktemp("sample") / "sample.duckdb")
    for page in sorted((sample / "signins").glob("page-*.json.gz")):
        store.ingest(page)
    tag(store.con, load_thresholds(overrides={"privileged_accounts": privileged}))
    store.con.close()
    return store.db_path


@pytest.fixture(scope="session")
def tab():
    """One tab of a headless Chromium (Debian's, driven by playwright) for the whole session."""
    from playwright.sync_api import sync_playwright

    from tests.browser import Tab, launch

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield Tab(chromium)
        chromium.close()


@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect test harness (temporary API server and database) for the session: it is slow to start."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness():
        yield


# The tables of older schemas that the latest one no longer has: where their rows are now.
OLDER_FORMS = {  # sql/schema/008_ca_policy_sets.sql: policy rows of the versions a run kept aside
    "displaced_ca_policies": "SELECT d.run_name, d.id AS signin_id, p.* EXCLUDE (ca_set), "
    "d.created_at AS signin_created_at "
    "FROM latest.displaced_signins d JOIN latest.ca_policy_sets p USING (ca_set)",
}


def fill_older_store(old: duckdb.DuckDBPyConnection, latest: Path) -> dict[str, int]:
    """Fill every table the old schema of `old` has from the `latest` store (not open elsewhere in this
    process), with the columns it had then; their row counts."""
    old.execute("ATTACH ? AS latest (READ_ONLY)", [str(latest)])
    catalog = old.execute("SELECT current_database()").fetchall()[0][0]
    counts = {}
    for table in base_tables(old, catalog):
        if table in ("schema_migrations", "ca_condition_flags"):
            continue
        columns = ", ".join(
            f'"{c}"'
            for (c,) in old.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_catalog = ? AND table_name = ?",
                [catalog, table],
            ).fetchall()
        )
        source = OLDER_FORMS.get(table, f'SELECT * FROM latest."{table}"')
        old.execute(f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM ({source})')
        counts[table] = old.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0]
    old.execute("DETACH latest")
    return counts
