"""Runs that land files in the store itself (signins.runs.landing): kept, they equal loading the files directly;
undone (a failed gate, a run that died), they leave the store exactly as it was before them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import orjson

from signins import PROJECT_ROOT
from signins.ingest import blobs
from signins.ingest.load import ingest_paths
from signins.runs import landing
from signins.runs.gates import gate
from signins.settings import IngestLimits
from tests.conftest import FIXTURES, STORE_TABLES, Store, table_content

TABLES = [
    *STORE_TABLES,
    "ingest_log",
    "run_ingests",
    "displaced_signins",
    "displaced_auth_steps",
    "displaced_app_policy_evaluations",
    "displaced_app_device_details",
]
RECORD = json.loads((FIXTURES / "cross_format" / "graph_beta_page.json").read_text())["value"][0]
SPARSE = {"userAgent": None, "ipAddress": None, "correlationId": None, "authenticationAppDeviceDetails": None}


def signin(n: int, **changes) -> dict:
    return {**RECORD, "id": f"00000000-0000-0000-0000-{n:012d}", **changes}


def lines(path: Path, records: list[dict]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def snapshot(store: Store) -> dict:
    return {table: table_content(store, table) for table in TABLES}


def land(store: Store, run: str, files: list[Path]) -> None:
    """What a run's landing does (flows/steps.land_in_place): start the run, load its files as the run."""
    landing.start(store.con, run)
    ingest_paths(store.con, files, blobs.blob_root(store.db_path), IngestLimits(), run=run)


def test_undoing_a_run_gives_back_the_store_as_it_was(tmp_path: Path):
    """The run adds sign-ins, replaces stored ones with more complete versions (one of them twice), and
    quarantines a broken line; its undo puts everything back, the replaced versions with their children."""
    store = Store(tmp_path / "s.duckdb")
    store.ingest(lines(tmp_path / "before.jsonl", [signin(n, **SPARSE) for n in range(5)]))
    before = snapshot(store)
    fuller = lines(tmp_path / "fuller.jsonl", [signin(n, userAgent=None) for n in range(3)] + [signin(9)])
    fullest = tmp_path / "fullest.jsonl"
    fullest.write_bytes(orjson.dumps(signin(0)) + b"\n{not json\n")
    land(store, "r1", [fuller, fullest])
    assert store.scalar("SELECT count(*) FROM displaced_signins") == 3  # the versions from before the run
    assert store.scalar("SELECT count(*) FROM displaced_auth_steps") > 0
    assert store.scalar("SELECT count(*) FROM signins WHERE user_agent IS NOT NULL") == 2  # 0 (twice) and 9
    assert store.scalar("SELECT count(*) FROM quarantine") == 1
    landing.undo(store.con, "r1")
    assert snapshot(store) == before
    assert store.rows("SELECT state FROM runs") == [("undone",)]
    landing.undo(store.con, "r1")  # again: nothing left to undo
    assert snapshot(store) == before


def test_a_sign_in_the_run_added_and_replaced_is_gone_after_its_undo(tmp_path: Path):
    """Replaced within the run, its first version was the run's own: nothing of it is kept aside or put back."""
    store = Store(tmp_path / "s.duckdb")
    before = snapshot(store)
    land(store, "r1", [lines(tmp_path / "a.jsonl", [signin(1, **SPARSE)]), lines(tmp_path / "b.jsonl", [signin(1)])])
    assert store.scalar("SELECT count(*) FROM displaced_signins") == 0
    assert store.scalar("SELECT user_agent IS NOT NULL FROM signins") is True
    landing.undo(store.con, "r1")
    assert snapshot(store) == before


def test_a_kept_run_equals_loading_the_files_directly(tmp_path: Path):
    first = lines(tmp_path / "first.jsonl", [signin(n, **SPARSE) for n in range(4)])
    later = [
        lines(tmp_path / "later.jsonl", [signin(n) for n in range(2, 6)]),
        FIXTURES / "cross_format" / "azure_monitor.log",
    ]
    direct = Store(tmp_path / "direct" / "s.duckdb")
    for path in [first, *later]:
        direct.ingest(path)
    store = Store(tmp_path / "run" / "s.duckdb")
    store.ingest(first)
    land(store, "r1", later)
    counts = landing.keep(store.con, "r1")
    for table in STORE_TABLES:
        assert table_content(store, table) == table_content(direct, table), table
    assert (counts.new_signins, counts.updated_signins) == (3, 2)
    assert store.scalar("SELECT count(*) FROM displaced_signins") == 0
    assert store.rows("SELECT state FROM runs") == [("kept",)]


def test_a_quarantined_version_gives_back_the_version_it_replaced(tmp_path: Path):
    """Below the gate's threshold, a failing row goes to quarantine; had the run's version replaced a
    stored one, that one is back, as if the run had never brought the failing version."""
    store = Store(tmp_path / "s.duckdb")
    store.ingest(lines(tmp_path / "before.jsonl", [signin(0, **SPARSE)] + [signin(n) for n in range(100, 110)]))
    kept_version = [row for row in table_content(store, "signins") if row[0].endswith("000000000000")]
    off_the_map = {**RECORD["location"], "geoCoordinates": {"latitude": 123.0, "longitude": 0.0}}
    land(
        store,
        "r1",
        [lines(tmp_path / "run.jsonl", [signin(0, location=off_the_map)] + [signin(n) for n in range(1, 40)])],
    )
    report = gate(store.con, None, max_failed_percent=5, run="r1")
    assert (report.rows, report.quarantined) == (40, 1)  # what the run wrote, not what was there before
    assert [row for row in table_content(store, "signins") if row[0].endswith("000000000000")] == kept_version
    assert store.scalar("SELECT count(*) FROM displaced_signins") == 0
    assert "latitude within -90..90" in store.scalar("SELECT reason FROM quarantine")


def test_the_next_writer_undoes_a_run_that_died_while_landing(tmp_path: Path):
    store = Store(tmp_path / "s.duckdb")
    store.ingest(lines(tmp_path / "before.jsonl", [signin(n, **SPARSE) for n in range(3)]))
    before = snapshot(store)
    land(store, "died", [lines(tmp_path / "run.jsonl", [signin(n) for n in range(6)])])
    store.con.close()  # as a killed run leaves it: landing, never gated
    done = subprocess.run(
        [sys.executable, "-m", "cli", "ingest", str(tmp_path / "before.jsonl"), "--db", str(store.db_path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "undid run died: it had died while landing its files" in done.stderr
    assert "SKIP" in done.stdout  # the file from before the run is still known as ingested
    store = Store(store.db_path)
    assert {**snapshot(store), "ingest_log": None} == {**before, "ingest_log": None}  # but the SKIP line
