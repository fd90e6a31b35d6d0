"""`signins export-parquet`: the store's tables as Hive-partitioned Parquet, round-tripped through DuckDB."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from signins.analysis.parquet_export import DayWindow, export_files, export_parquet

OTHER_TENANT = "contoso-2"

# Per table: the columns whose order-independent hash must survive the round trip. tenant_id and day
# (the partition folders) are added to every table, so the children's partition values are checked too.
KEY_COLUMNS = {
    "signins": "id, created_at, error_code, user_principal_name, requirement_providers",
    "signin_auth_steps": "signin_id, step_no, step_at, method, result_detail, succeeded",
    "signin_ca_policies": "signin_id, policy_no, policy_id, result, enforced_grant_controls, conditions_satisfied",
    "signin_app_policy_evaluations": "signin_id, evaluation_no, policy_name, status",
    "signin_app_device_details": "signin_id, app_version, operating_system",
    "cause_tags": "signin_id, primary_cause, causes, confidence, created_at, evidence::VARCHAR",
}
# The same rows as the export query makes them, straight from the store.
# A sign-in of no known tenant ('' in the store) reads back with a NULL tenant.
STORE_ROWS = {
    "signins": "SELECT * REPLACE (nullif(tenant_id, '') AS tenant_id), (created_at AT TIME ZONE 'UTC')::DATE AS day "
    "FROM signins",
    "cause_tags": "SELECT * REPLACE (nullif(tenant_id, '') AS tenant_id), (created_at AT TIME ZONE 'UTC')::DATE AS day "
    "FROM cause_tags",
}
CHILD_ROWS = (
    "SELECT c.* REPLACE (nullif(c.tenant_id, '') AS tenant_id), (s.created_at AT TIME ZONE 'UTC')::DATE AS day "
    "FROM {table} c JOIN signins s ON s.tenant_id = c.tenant_id AND s.id = c.signin_id"
)
# Where each table names the sign-in a row belongs to.
SIGNIN_KEYS = {
    "signins": "id",
    "signin_auth_steps": "signin_id",
    "signin_app_policy_evaluations": "signin_id",
    "signin_app_device_details": "signin_id",
    "cause_tags": "signin_id",
}
TABLES = list(KEY_COLUMNS)
PARTITION = re.compile(r"^tenant_id=[^/]+/day=\d{4}-\d{2}-\d{2}/[^/]+\.parquet$")


def exported(table: str, out: Path) -> str:
    return (
        f"read_parquet('{out / table}/**/*.parquet', hive_partitioning = true, "
        f"hive_types = {{'tenant_id': 'VARCHAR', 'day': 'DATE'}})"
    )


def summary(con: duckdb.DuckDBPyConnection, table: str, source: str) -> tuple[int, int]:
    """(rows, order-independent checksum of the key columns plus tenant_id and day)."""
    keys = f"{KEY_COLUMNS[table]}, tenant_id, day"
    return con.execute(f"SELECT count(*), coalesce(sum(hash({keys})), 0) FROM ({source})").fetchone()


def store_summary(db: Path, table: str) -> tuple[int, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return summary(con, table, STORE_ROWS.get(table, CHILD_ROWS.format(table=table)))


def export_summary(out: Path, table: str, where: str = "") -> tuple[int, int]:
    with duckdb.connect() as con:
        return summary(con, table, f"SELECT * FROM {exported(table, out)} {where}")


def files(out: Path) -> dict[str, int]:
    """Every file under the export (hidden staging excluded): relative path -> inode."""
    return {
        str(p.relative_to(out)): p.stat().st_ino
        for p in out.rglob("*")
        if p.is_file() and not p.relative_to(out).parts[0].startswith(".")
    }


@pytest.fixture(scope="module")
def store_db(tagged_sample: Path, tmp_path_factory) -> Path:
    """A copy of the tagged sample tenant where some sign-ins (with their rows) belong to a second tenant
    and some to none."""
    db = tmp_path_factory.mktemp("parquet") / "store.duckdb"
    shutil.copy(tagged_sample, db)
    with duckdb.connect(str(db)) as con:
        for table, key in SIGNIN_KEYS.items():
            con.execute(f"UPDATE {table} SET tenant_id = ? WHERE hash({key}) % 5 = 0", [OTHER_TENANT])
            con.execute(f"UPDATE {table} SET tenant_id = '' WHERE hash({key}) % 97 = 1")
    return db


@pytest.fixture(scope="module")
def full_export(store_db: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export") / "history"
    export_parquet(store_db, out)
    return out


def test_the_export_files_name_the_tables():
    assert [table for table, _ in export_files()] == TABLES


@pytest.mark.parametrize("table", TABLES)
def test_every_table_round_trips(store_db: Path, full_export: Path, table: str):
    rows, checksum = store_summary(store_db, table)
    assert rows > 0, f"the sample has no {table} rows: the round trip would prove nothing"
    assert export_summary(full_export, table) == (rows, checksum)


def test_the_layout_is_hive_tenant_then_day(store_db: Path, full_export: Path):
    written = files(full_export)
    assert {path.split("/")[0] for path in written} == set(TABLES)
    for path in written:
        assert PARTITION.match(path.split("/", 1)[1]), path
    tenants = {p.split("/")[1] for p in written if p.startswith("signins/")}
    with duckdb.connect(str(store_db), read_only=True) as con:
        real = {t for (t,) in con.execute("SELECT DISTINCT tenant_id FROM signins WHERE tenant_id <> ''").fetchall()}
    assert tenants == {f"tenant_id={t}" for t in real} | {"tenant_id=__HIVE_DEFAULT_PARTITION__"}
    assert not (full_export / ".staging").exists()


def test_a_missing_tenant_reads_back_as_null(store_db: Path, full_export: Path):
    with duckdb.connect(str(store_db), read_only=True) as con:
        expected = con.execute("SELECT count(*) FROM signins WHERE tenant_id = ''").fetchone()[0]
    with duckdb.connect() as con:
        got = con.execute(
            f"SELECT count(*) FROM {exported('signins', full_export)} WHERE tenant_id IS NULL"
        ).fetchone()[0]
    assert expected > 0 and got == expected


def file_rows(out: Path) -> dict[str, tuple[int, int]]:
    """Per exported file: (rows, checksum of its key columns); row order inside a file may differ run to run."""
    with duckdb.connect() as con:
        return {
            table + "/" + name.split(f"/{table}/", 1)[1]: (rows, checksum)
            for table in TABLES
            for name, rows, checksum in con.execute(
                f"SELECT filename, count(*), sum(hash({KEY_COLUMNS[table]})) "
                f"FROM read_parquet('{out / table}/**/*.parquet', filename = true) GROUP BY filename"
            ).fetchall()
        }


def test_rerunning_changes_nothing(store_db: Path, tmp_path: Path):
    out = tmp_path / "history"
    export_parquet(store_db, out)
    before = file_rows(out), {t: export_summary(out, t) for t in TABLES}
    results = export_parquet(store_db, out)
    assert (file_rows(out), {t: export_summary(out, t) for t in TABLES}) == before
    assert set(file_rows(out)) == set(files(out))
    assert all(r.removed == 0 for r in results)


def test_a_window_exports_only_its_days(store_db: Path, tmp_path: Path):
    out = tmp_path / "history"
    days = _days(store_db)
    first, end = days[3], days[6]
    results = export_parquet(store_db, out, DayWindow(first, end))
    exported_days = {date.fromisoformat(p.split("/")[2][4:]) for p in files(out)}
    assert exported_days == set(days[3:6])
    signins = next(r for r in results if r.table == "signins")
    with duckdb.connect(str(store_db), read_only=True) as con:
        assert (
            signins.rows
            == con.execute(
                "SELECT count(*) FROM signins WHERE created_at >= ? AND created_at < ?",
                [f"{first} 00:00:00+00", f"{end} 00:00:00+00"],
            ).fetchone()[0]
        )


def test_reexporting_a_day_replaces_it_and_leaves_the_others(store_db: Path, tmp_path: Path):
    db = tmp_path / "store.duckdb"
    shutil.copy(store_db, db)
    out = tmp_path / "history"
    export_parquet(db, out)
    day = _days(db)[10]
    untouched = {p: inode for p, inode in files(out).items() if f"/day={day}/" not in p}
    with duckdb.connect(str(db)) as con:  # the other tenant's sign-ins of that day are gone, one error code changed
        con.execute(
            "DELETE FROM signins WHERE tenant_id = ? AND (created_at AT TIME ZONE 'UTC')::DATE = ?", [OTHER_TENANT, day]
        )
        con.execute(
            "UPDATE signins SET error_code = 1 WHERE (created_at AT TIME ZONE 'UTC')::DATE = ? AND tenant_id <> ?",
            [day, OTHER_TENANT],
        )

    results = export_parquet(db, out, DayWindow(day, date.fromordinal(day.toordinal() + 1)))

    assert next(r for r in results if r.table == "signins").removed == 1
    assert not (out / "signins" / f"tenant_id={OTHER_TENANT}" / f"day={day}").exists()
    assert export_summary(out, "signins") == store_summary(db, "signins")
    assert {p: (out / p).stat().st_ino for p in untouched} == untouched  # the same files, not rewritten


def test_a_crashed_exports_leftovers_are_removed(store_db: Path, tmp_path: Path):
    out = tmp_path / "history"
    leftover = out / ".staging" / "dead" / "new" / "signins" / "tenant_id=x" / "day=2020-01-01" / "data_0.parquet"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half a file")
    export_parquet(store_db, out, DayWindow(*_days(store_db)[:2]))
    assert not (out / ".staging").exists()
    assert not any("day=2020-01-01" in p for p in files(out))


def signins(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli", "export-parquet", *args], capture_output=True, text=True, timeout=120
    )


def test_the_command_prints_a_line_per_table(store_db: Path, tmp_path: Path):
    days = _days(store_db)
    result = signins(
        "--db", str(store_db), "--out", str(tmp_path / "h"), "--since", str(days[0]), "--until", f"{days[0]}T06:00:00Z"
    )  # a time inside a day includes that day
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == TABLES
    assert {p.split("/")[2] for p in files(tmp_path / "h")} == {f"day={days[0]}"}


@pytest.mark.parametrize(
    "since, until", [("' OR 1=1 --", None), ("2025-01-02", "2025-01-01"), ("2025-01-01", "1; DROP TABLE signins")]
)
def test_a_bad_window_is_one_line_and_exit_2(store_db: Path, tmp_path: Path, since: str, until: str | None):
    result = signins(
        "--db", str(store_db), "--out", str(tmp_path / "h"), "--since", since, *(["--until", until] if until else [])
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error: --")
    assert not (tmp_path / "h").exists()


def _days(db: Path) -> list[date]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [
            d
            for (d,) in con.execute(
                "SELECT DISTINCT (created_at AT TIME ZONE 'UTC')::DATE FROM signins ORDER BY 1"
            ).fetchall()
        ]
