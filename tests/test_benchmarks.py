"""A small run of the pipeline benchmark (benchmarks/pipeline.py): every stage and contender runs and
processes what it was given; the table is written."""

from __future__ import annotations

import json
import subprocess
import sys

from benchmarks.pipeline import CONTENDERS
from signins import PROJECT_ROOT


def test_pipeline_benchmark_smoke_run(tmp_path):
    out = tmp_path / "pipeline.md"
    result = subprocess.run([sys.executable, "benchmarks/pipeline.py", "--records", "400", "--workdir", str(tmp_path),
                             "--out", str(out), "--memory-limit", "1GB"],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    assert [(m["stage"], m["contender"]) for m in measured] == [(c.stage, c.name) for c in CONTENDERS]
    rows = {m["contender"]: m["rows"] for m in measured}
    assert rows["signins ingest"] == rows["pandas json_normalize"] == rows["signins gates"] == 400
    assert rows["signins tag"] == rows["polars features + causes"] == rows["pandas features + causes"] > 0
    assert all(m["seconds"] > 0 and m["peak_rss_mib"] > 50 for m in measured)
    table = out.read_text()
    assert "400 Graph beta sign-ins" in table and "memory limit 1GB" in table
    assert table.count("\n| ") == len(CONTENDERS) + 1   # the header and one row per contender
    assert not list(tmp_path.glob("pipeline-bench-*")), "the work folder is removed"
