"""The database itself: corrupt, truncated, from an older schema, read-only, on a full disk. Each gives a
one-line error with exit code 3 (or migrates) and leaves the data that was there intact."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from reliability.snapshot import RUN_COLUMNS, checksum, compare_stores
from signins import PROJECT_ROOT
from signins.store.database import LATEST_VERSION, connect, migrate, migrations, schema_version
from tests.conftest import FIXTURES, OLDER_FORMS, fill_older_store, rows_of

INPUT = FIXTURES / "cross_format" / "azure_monitor.log"
# A migrated sign-in has no version_hash (sql/schema/009_tenant_identity.sql): compared without it.
MIGRATED = RUN_COLUMNS | {"version_hash"}
# every command that opens the store for writing or reading, with what it needs besides --db
COMMANDS = [
    ("ingest", str(INPUT)),
    ("tag",),
    ("explain", "some-id"),
    ("export", "causes", "--out", "{tmp}/x.csv"),
    ("evaluate",),
    ("report", "--out", "{tmp}/report"),
]


def signins(tmp: Path, db: Path, *args: str) -> subprocess.CompletedProcess:
    argv = [a.format(tmp=tmp) for a in args]
    return subprocess.run(
        [sys.executable, "-m", "cli", *argv, "--db", str(db)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_one_line_error(done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 3, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1 and done.stderr.startswith("error: ")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def small_store(tmp_path_factory) -> Path:
    """A real store with sign-ins, raw records and a quarantine row (the fixture page + a bad line)."""
    folder = tmp_path_factory.mktemp("small")
    bad = folder / "bad.log"
    bad.write_bytes(INPUT.read_bytes() + b"{not json\n")
    db = folder / "signins.duckdb"
    assert (
        signins(folder, db, "ingest", str(FIXTURES / "cross_format" / "graph_beta_page.json"), str(bad)).returncode == 5
    )
    return db


@pytest.mark.parametrize("damage", ["corrupt", "truncated"])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_damaged_database_is_one_line_error_and_untouched(tmp_path, small_store, damage, command):
    db = tmp_path / "signins.duckdb"
    if damage == "corrupt":
        db.write_bytes(os.urandom(300_000))
    else:
        data = small_store.read_bytes()
        db.write_bytes(data[: len(data) // 2])
    before = digest(db)
    assert_one_line_error(signins(tmp_path, db, *command))
    assert digest(db) == before


@pytest.mark.parametrize("version", [v for v, _ in migrations()][:-1])
def test_every_older_schema_migrates_without_losing_data(tmp_path, tagged_sample, version):
    db = tmp_path / f"v{version}.duckdb"
    old = duckdb.connect(str(db))
    assert migrate(old, until=version) == version == schema_version(old)
    counts = fill_older_store(old, tagged_sample)
    old.close()
    assert counts["signins"] > 0 and sum(counts.values()) > counts["signins"]
    con = connect(db)  # today's code
    try:
        assert schema_version(con) == LATEST_VERSION
        kept = {t: n for t, n in counts.items() if t not in OLDER_FORMS}  # gone tables: their rows live on elsewhere
        # the summary of the older history is a cache: schemas 15 and 17 empty it, the next tagging run builds it
        rebuilt = {t: 0 for t in ("history_summary", "history_summary_state") if t in kept and version < 17}
        assert {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0] for t in kept} == kept | rebuilt
        # a version stored before schema 9 has no version_hash (sql/schema/009_tenant_identity.sql)
        assert checksum(con, "signins", MIGRATED) == checksum_of(tagged_sample, "signins")
        if "user_findings" in counts:  # the migration to schema 12 counts each finding's attempts as tagging does
            findings = (  # the kinds of finding tagging made at schema 12
                "SELECT user_key, finding, failures, attempts FROM user_findings "
                "WHERE finding IN ('recurring', 'privileged_lockout', 'fatigue_then_success') ORDER BY ALL"
            )
            assert con.execute(findings).fetchall() == rows_of(tagged_sample, findings)
    finally:
        con.close()


def checksum_of(db: Path, table: str) -> tuple[int, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return checksum(con, table, MIGRATED)
    finally:
        con.close()


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here (needs root or CAP_SYS_ADMIN): {done.stderr.strip()}")


@contextlib.contextmanager
def mounted(*args: str, at: Path):
    at.mkdir(parents=True, exist_ok=True)
    _mount(*args, str(at))
    try:
        yield at
    finally:
        subprocess.run(["umount", "-l", str(at)], check=True)


@pytest.mark.parametrize("command", [c for c in COMMANDS if c[0] != "report"], ids=lambda c: c[0])
def test_read_only_location_is_one_line_error(tmp_path, small_store, command):
    """A read-only bind mount of the store's folder (chmod does not stop root). `report` only reads: it works."""
    shutil.copytree(small_store.parent, tmp_path / "rw")
    with mounted("--bind", str(tmp_path / "rw"), at=tmp_path / "ro") as ro:
        _mount("-o", "remount,bind,ro", str(ro))
        before = digest(ro / small_store.name)
        assert_one_line_error(signins(tmp_path, ro / small_store.name, *command))
        assert digest(ro / small_store.name) == before


def test_full_disk_is_one_line_error_and_keeps_what_was_there(tmp_path, small_store):
    """A tmpfs just larger than the store; ingesting 100 MB into it fills it."""
    big = tmp_path / "big.log"
    line = INPUT.read_bytes().splitlines()[0]
    big.write_bytes(
        b"".join(line.replace(b'"properties": {', b'"properties": {"n%d": 1, ' % i) + b"\n" for i in range(20_000))
    )
    size = sum(p.stat().st_size for p in small_store.parent.rglob("*") if p.is_file()) + 512 * 1024
    with mounted("-t", "tmpfs", "-o", f"size={size}", "tmpfs", at=tmp_path / "small-disk") as disk:
        shutil.copytree(small_store.parent, disk / "store")
        db = disk / "store" / small_store.name
        assert_one_line_error(signins(tmp_path, db, "ingest", str(big)))
        _mount("-o", f"remount,size={size + 256 * 1024 * 1024}", str(disk))  # room again: what was there is intact
        assert all(d.lost == 0 for d in compare_stores(small_store, db))
