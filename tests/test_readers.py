"""Commands that only read the store (report, export, explain, evaluate, export-parquet) behave like the
writers: a missing store is one line and exit 3, creating nothing; while a writer holds the store they
wait for it (then exit 10); they never see the data of a run that died before its gates."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from signins import PROJECT_ROOT
from signins.ingest import blobs
from signins.ingest.load import ingest_paths
from signins.runs import landing
from signins.settings import IngestLimits
from signins.store.runlock import run_lock
from tests.conftest import FIXTURES, Store

PAGE = FIXTURES / "cross_format" / "graph_beta_page.json"
HOLD = (
    "import sys, time; from pathlib import Path; from signins.store.runlock import run_lock\n"
    "with run_lock(Path(sys.argv[1]), shared=sys.argv[3] == 'reader'):\n"
    "    print('held', flush=True); time.sleep(float(sys.argv[2]))\n"
)
READERS = {
    "report": ["report", "--out", "{tmp}/site"],
    "export": ["export", "causes", "--out", "{tmp}/causes.csv"],
    "explain": ["explain", "some-id"],
    "evaluate": ["evaluate", "--truth", str(PROJECT_ROOT / "data" / "sample" / "ground_truth.csv")],
    "export-parquet": ["export-parquet", "--out", "{tmp}/history"],
}


def signins(tmp: Path, db: Path, args: list[str], wait: str = "1") -> subprocess.CompletedProcess:
    argv = [a.replace("{tmp}", str(tmp)) for a in args]
    return subprocess.run(
        [sys.executable, "-m", "cli", *argv, "--db", str(db)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "SIGNINS_RUN_WAIT_SECONDS": wait},
    )


@pytest.fixture(scope="module")
def tagged(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("tagged") / "s.duckdb"
    for command in (["ingest", str(PAGE)], ["tag"]):
        done = signins(db.parent, db, command)
        assert done.returncode == 0, done.stderr
    return db


@pytest.mark.parametrize("command", [*READERS, "tag"])
def test_a_missing_store_is_one_line_and_exit_3_and_nothing_is_created(tmp_path: Path, command: str):
    db = tmp_path / "typo" / "s.duckdb"
    done = signins(tmp_path, db, READERS.get(command, ["tag"]))
    assert done.returncode == 3, done.stderr
    assert done.stderr.splitlines() == [f"error: {db}: no database here (check --db or $SIGNINS_DB)"]
    assert not db.parent.exists()


@pytest.mark.parametrize("command", READERS)
def test_a_reader_waits_for_a_writer_then_refuses(tagged: Path, tmp_path: Path, command: str):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tagged), "60", "exclusive"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        done = signins(tmp_path, tagged, READERS[command])
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 10, done.stderr
    assert done.stderr.splitlines()[0].startswith(f"waiting up to 1 s for process {holder.pid}")
    assert "another run is writing to this database" in done.stderr


def test_readers_read_together_and_a_writer_waits_for_them(tagged: Path, tmp_path: Path):
    reader = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tagged), "60", "reader"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert reader.stdout.readline().strip() == "held"
        read = signins(tmp_path, tagged, READERS["export"])
        written = signins(tmp_path, tagged, ["tag"])
    finally:
        reader.kill()
        reader.wait()
    assert read.returncode == 0, read.stderr
    assert written.returncode == 10
    assert "other processes are reading or writing this database" in written.stderr


def test_a_reader_never_sees_a_run_that_died_before_its_gates(tmp_path: Path):
    """The reader undoes the dead run first, as the next writer would."""
    store = Store(tmp_path / "s.duckdb")
    store.ingest(PAGE)
    other = tmp_path / "other.json"
    other.write_text(PAGE.read_text().replace('"id": "', '"id": "x-'))
    landing.start(store.con, "died")
    ingest_paths(store.con, [other], blobs.blob_root(store.db_path), IngestLimits(), run="died")
    assert store.scalar("SELECT count(*) FROM signins") == 2
    store.con.close()  # as a killed run leaves it: landing, never gated
    done = signins(tmp_path, store.db_path, ["export", "causes", "--out", "{tmp}/c.csv"])
    assert done.returncode == 0, done.stderr
    store = Store(store.db_path)
    assert store.rows("SELECT run_name, state FROM runs") == [("died", "undone")]
    assert store.scalar("SELECT count(*) FROM signins") == 1


def test_run_lock_readers_hold_it_together(tmp_path: Path):
    db = tmp_path / "s.duckdb"
    with run_lock(db, shared=True), run_lock(db, shared=True):
        pass
