"""One run at a time per database: a second run waits, then refuses with a clear message."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from signins.runlock import RunLocked, run_lock

HOLD = "import sys, time; from pathlib import Path; from signins.runlock import run_lock\n" \
       "with run_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(float(sys.argv[2]))\n"


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
