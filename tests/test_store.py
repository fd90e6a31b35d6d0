"""The store's schema versioning and its errors."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from signins import PROJECT_ROOT
from signins.errors import StoreError
from signins.store.database import LATEST_VERSION, connect, migrate, migrations, schema_version
from tests.conftest import CHILD_TABLES, Store, fill_older_store, table_content


def test_a_new_database_is_at_the_latest_version(tmp_path: Path):
    con = connect(tmp_path / "s.duckdb")
    assert schema_version(con) == LATEST_VERSION == migrations()[-1][0]
    applied = con.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    assert [v for v, _ in applied] == [v for v, _ in migrations()]


def test_reopening_applies_nothing_twice(tmp_path: Path):
    connect(tmp_path / "s.duckdb").close()
    con = connect(tmp_path / "s.duckdb")
    assert con.execute("SELECT count(*) FROM schema_migrations").fetchall()[0][0] == len(migrations())


def test_migration_files_are_numbered_without_gaps():
    versions = [v for v, _ in migrations()]
    assert versions == list(range(1, len(versions) + 1))


def test_a_database_from_a_newer_program_is_refused(tmp_path: Path):
    path = tmp_path / "s.duckdb"
    connect(path).close()
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_migrations VALUES (?, 'future.sql', now())", [LATEST_VERSION + 1])
    con.close()
    with pytest.raises(StoreError, match="newer than this program supports"):
        connect(path)


def test_a_file_that_is_not_a_database_gives_one_line(tmp_path: Path):
    path = tmp_path / "s.duckdb"
    path.write_bytes(b"this is not a database" * 1000)
    with pytest.raises(StoreError) as info:
        connect(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
    assert path.read_bytes() == b"this is not a database" * 1000


def test_condition_flags_have_names(tmp_path: Path):
    con = connect(tmp_path / "s.duckdb")
    names = lambda flags: con.execute("SELECT ca_condition_names(?)", [flags]).fetchall()[0][0]
    assert names(11) == ["application", "users", "location"]
    assert names(256 | 4) == ["devicePlatform", "deviceState"]
    assert names(0) is None


def _older_store(path: Path, version: int, latest: Path) -> None:
    """A store at schema `version` holding what the `latest` store holds, as that version kept it."""
    con = duckdb.connect(str(path))
    migrate(con, until=version)
    fill_older_store(con, latest)
    con.close()


@pytest.fixture
def landed(tmp_path: Path) -> Path:
    """A latest store with a sample page, and versions of some of its sign-ins kept aside by a landing run
    (005_runs.sql), policy lists and Authenticator rows among them."""
    store = Store(tmp_path / "latest.duckdb")
    store.ingest(PROJECT_ROOT / "data" / "sample" / "signins" / "page-0001.json.gz")
    con = store.con
    con.execute(
        "INSERT INTO displaced_signins SELECT 'r1', * FROM signins WHERE id IN "
        "(SELECT signin_id FROM signin_app_policy_evaluations UNION SELECT signin_id FROM signin_ca_policies)"
    )
    for table in CHILD_TABLES:
        mirror = table.replace("signin_", "displaced_", 1)
        if table != "signin_ca_policies":  # kept as a policy list since schema 8
            con.execute(
                f"INSERT INTO {mirror} SELECT 'r1', * FROM {table} WHERE signin_id IN "
                "(SELECT id FROM displaced_signins)"
            )
    con.close()
    return store.db_path


def test_a_version_5_store_gets_the_time_of_each_child_rows_sign_in(tmp_path: Path, landed: Path):
    """Schema 6 (sql/schema/006_child_times.sql): child rows, and their mirrors kept for a landing run
    (005_runs.sql), carry their sign-in's time. The loader writes it; the migration fills what was there."""
    path = tmp_path / "s.duckdb"
    _older_store(path, 5, landed)
    store, latest = Store(path), Store(landed)  # opening migrates
    assert schema_version(store.con) == LATEST_VERSION
    assert {table: table_content(store, table) for table in CHILD_TABLES} == {
        table: table_content(latest, table) for table in CHILD_TABLES
    }
    for table in CHILD_TABLES:
        assert store.scalar(f"SELECT count(*) FROM {table}") > 0
        assert (
            store.scalar(
                f"SELECT count(*) FROM {table} c JOIN signins s ON s.id = c.signin_id "
                "WHERE c.signin_created_at IS DISTINCT FROM s.created_at"
            )
            == 0
        )
    for table in CHILD_TABLES:
        if table != "signin_ca_policies":  # kept as a policy list since schema 8
            mirror = table.replace("signin_", "displaced_", 1)
            assert store.scalar(f"SELECT count(*) FROM {mirror}") > 0
            assert (
                store.scalar(
                    f"SELECT count(*) FROM {mirror} c JOIN displaced_signins s ON s.id = c.signin_id "
                    "WHERE c.signin_created_at IS DISTINCT FROM s.created_at"
                )
                == 0
            )


def test_a_version_7_store_keeps_each_policy_list_once_as_the_loader_does(tmp_path: Path, landed: Path):
    """Schema 8 (sql/schema/008_ca_policy_sets.sql): the policy rows of the sign-ins and of the versions a
    run kept aside become policy lists, keyed as the loader keys them, and the view shows the same rows."""
    path = tmp_path / "s.duckdb"
    _older_store(path, 7, landed)
    with duckdb.connect(str(path)) as old:
        assert old.execute("SELECT count(*) FROM displaced_ca_policies").fetchall()[0][0] > 0
    store, latest = Store(path), Store(landed)  # opening migrates
    assert schema_version(store.con) == LATEST_VERSION
    for table in ("signins", "displaced_signins", "ca_policy_sets", "signin_ca_policies"):
        # a version stored before schema 9 has no version_hash (sql/schema/009_tenant_identity.sql)
        migrated = table_content(store, table, frozenset({"version_hash"}))
        assert migrated == table_content(latest, table, frozenset({"version_hash"})), table
    assert store.scalar("SELECT count(DISTINCT ca_set) FROM ca_policy_sets") < store.scalar(
        "SELECT count(*) FROM signins WHERE ca_set IS NOT NULL"
    )
    assert (
        store.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'displaced_ca_policies'") == 0
    )


def test_a_version_10_store_gets_the_method_of_each_sign_ins_mfa_prompt_as_the_loader_does(
    tmp_path: Path, landed: Path
):
    """Schema 11 (sql/schema/011_mfa_challenges.sql): the migration fills mfa_challenge_method of the stored
    sign-ins and of the versions a run kept aside from their stored steps, as the loader reads it."""
    path = tmp_path / "s.duckdb"
    _older_store(path, 10, landed)
    store, latest = Store(path), Store(landed)  # opening migrates
    assert schema_version(store.con) == LATEST_VERSION
    for table in ("signins", "displaced_signins"):
        assert table_content(store, table) == table_content(latest, table), table
        assert store.scalar(f"SELECT count(*) FROM {table} WHERE mfa_challenge_method IS NOT NULL") > 0


def test_a_policy_without_authentication_strength_keeps_the_key_it_had(tmp_path: Path):
    """A policy list's key leaves out an absent authentication strength: lists stored before schema 11 are
    found again by the lists loaded after it; a strength makes a different list."""
    policy = "'p1', 'CA001', 'failure', ['mfa'], [], 3, 0"
    with duckdb.connect(str(tmp_path / "v10.duckdb")) as old:
        migrate(old, until=10)
        (before,) = old.execute(f"SELECT ca_set_key([ca_policy({policy})])").fetchone()
    with duckdb.connect(str(tmp_path / "v11.duckdb")) as new:
        migrate(new)
        (after, strong) = new.execute(
            f"SELECT ca_set_key([ca_policy({policy}, NULL)]), "
            f"ca_set_key([ca_policy({policy}, 'Phishing-resistant MFA')])"
        ).fetchone()
    assert after == before
    assert strong != before
