"""One writer at a time per database: a second one waits, then refuses with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from signins import PROJECT_ROOT
from signins.store.runlock import RunLocked, run_lock

HOLD = (
    "import sys, time; from pathlib import Path; from signins.store.runlock import run_lock\n"
    "with run_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(float(sys.argv[2]))\n"
)


def test_a_second_run_in_another_process_is_refused_with_the_holder(tmp_path: Path):
    db = tmp_path / "s.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db), "30"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunLocked, match=f"another run is writing to this database \\(process {holder.pid}\\)"):
            with run_lock(db, wait_seconds=0.5):
                pass
    finally:
        holder.kill()
        holder.wait()
    with run_lock(db):  # a killed holder leaves no lock behind
        pass


def test_a_second_run_in_the_same_process_waits_for_the_first(tmp_path: Path):
    db = tmp_path / "s.duckdb"
    events = []

    def second():
        with run_lock(db, wait_seconds=10):
            events.append("second")

    with run_lock(db):
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)
        events.append("first done")
    thread.join()
    assert events == ["first done", "second"]


def test_a_command_that_would_write_waits_for_the_writer_saying_so_then_refuses(tmp_path: Path):
    """`signins ingest` (like `pull` and `tag`) takes the run lock too: it says whom it waits for."""
    db = tmp_path / "s.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db), "30"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        done = subprocess.run(
            [sys.executable, "-m", "cli", "ingest", str(tmp_path), "--db", str(db)],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "SIGNINS_RUN_WAIT_SECONDS": "1"},
        )
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 10
    assert done.stderr.splitlines() == [
        f"waiting up to 1 s for process {holder.pid}, which is writing to {db} ($SIGNINS_RUN_WAIT_SECONDS)",
        f"error: {db}: another run is writing to this database (process {holder.pid}); waited 1 s; "
        "try again when it has finished",
    ]
