"""Small runs of the benchmarks (benchmarks/pipeline.py, ingest_grid.py, ingest_profile.py,
pull_budget.py): every stage and contender runs and processes what it was given; the table is written."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import orjson
import polars as pl

from benchmarks.pipeline import CONTENDERS, STAGES, Contender, Measured, day_line, measure, table
from signins import PROJECT_ROOT


def run_benchmark(command: list[str], timeout: int) -> subprocess.CompletedProcess:
    """A benchmark script run from the repository root, as its README says."""
    return subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout)


def test_pipeline_benchmark_smoke_run(tmp_path):
    out = tmp_path / "pipeline.md"
    result = run_benchmark(
        [
            sys.executable,
            "benchmarks/pipeline.py",
            "--records",
            "400",
            "--workdir",
            str(tmp_path),
            "--out",
            str(out),
            "--memory-limit",
            "1GB",
            "--stages",
            *STAGES,
            "--history-days",
            "2",
        ],
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    assert [(m["stage"], m["contender"]) for m in measured] == [(c.stage, c.name) for c in CONTENDERS]
    rows = {m["contender"]: m["rows"] for m in measured}
    assert rows["signins ingest"] == rows["pandas json_normalize"] == rows["signins gates"] == 400
    assert rows["signins tag"] == rows["polars features + causes"] == rows["pandas features + causes"] > 0
    assert all(m["seconds"] > 0 and m["peak_rss_mib"] > 50 for m in measured)
    table = out.read_text()
    assert "400 Graph beta sign-ins" in table and "memory limit 1GB" in table
    assert table.count("\n| ") == len(CONTENDERS) + 1 + 3  # the header and one row per contender; the history
    assert "| 1 | " in table and "| 2 | " in table and "| 3 | " not in table  # ...of two days
    assert not list(tmp_path.glob("pipeline-bench-*")), "the work folder is removed"


def test_rounds_give_medians_and_the_median_of_ratios_within_a_round():
    """A baseline is compared with the contender run next to it, not with another round's."""
    ingest, pandas = (
        next(c for c in CONTENDERS if c.name == name) for name in ("signins ingest", "pandas json_normalize")
    )
    rounds = [
        [Measured(ingest, 10.0, 19.0, 3000.0, 1000), Measured(pandas, 40.0, 40.0, 500.0, 1000)],
        [Measured(ingest, 20.0, 38.0, 3500.0, 1000), Measured(pandas, 60.0, 60.0, 550.0, 1000)],
        [Measured(ingest, 12.0, 23.0, 3100.0, 1000), Measured(pandas, 42.0, 42.0, 520.0, 1000)],
    ]
    rows = table(rounds, 1000, 10_000_000, None).splitlines()
    assert "Medians of 3 rounds" in rows[0]
    # seconds: median 12 (10-20); MB/s and records/s from the median; CPU median; the highest peak;
    # ratios 4.0, 3.0 and 3.5: median 3.5
    assert (
        rows[4]
        == "| ingest | signins ingest | 12.00 (10.0-20.0) | 1 | 83 | 23.0 | 3,500 | 3.50x pandas json_normalize |"
    )
    # ratios 4.0, 3.0 and 2.5: median 3.0, where the ratio of the medians would be 40 / 12 = 3.33
    rounds[2][1] = Measured(pandas, 30.0, 30.0, 520.0, 1000)
    assert table(rounds, 1000, 10_000_000, None).splitlines()[4].endswith("| 3.00x pandas json_normalize |")
    assert table(rounds[:1], 1000, 10_000_000, None).splitlines()[4] == (
        "| ingest | signins ingest | 10.00 | 1 | 100 | 19.0 | 3,000 | 4.00x pandas json_normalize |"
    )


def test_a_day_of_the_history_is_new_sign_ins_of_the_same_users_on_that_day():
    line = (
        b'{"id":"b0e4952d-f717-4f9b-a49b-aba447339800","createdDateTime":"2026-11-27T23:43:22Z",'
        b'"userId":"44c6ec45-9d47-4d19-b0b9-03a2a73734e8","correlationId":"ef1ffaa8-3278-4612-8569-2b0f39de5a9b",'
        b'"originalRequestId":"fd8fd8a0-e7d5-4c60-b683-d9918eef7600",'
        b'"authenticationDetails":[{"authenticationStepDateTime":"2026-11-27T23:43:22Z"}]}'
    )
    assert json.loads(day_line(line, 3)) == {
        "id": "d003-b0e4952d-f717-4f9b-a49b-aba447339800",
        "createdDateTime": "2026-11-03T23:43:22Z",
        "userId": "44c6ec45-9d47-4d19-b0b9-03a2a73734e8",
        "correlationId": "d003-ef1ffaa8-3278-4612-8569-2b0f39de5a9b",
        "originalRequestId": "d003-fd8fd8a0-e7d5-4c60-b683-d9918eef7600",
        "authenticationDetails": [{"authenticationStepDateTime": "2026-11-03T23:43:22Z"}],
    }


def test_a_contenders_peak_memory_is_its_own_not_that_of_the_benchmark_process():
    """The benchmark process may hold a store's facts when it starts a contender: ru_maxrss would count
    them (the started process inherits its parent's high-water mark), VmHWM does not."""
    held = b"x" * (400 * 2**20)  # noqa: F841  (resident in this process while the contenders run)
    small = Contender("report", "allocates 20 MiB", "", "kept = b'x' * (20 * 2**20)")
    large = Contender("report", "allocates 600 MiB", "", "kept = b'x' * (600 * 2**20)")
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    assert measure(small, {"RECORDS": 1}, env).peak_rss_mib < 300
    assert measure(large, {"RECORDS": 1}, env).peak_rss_mib >= 600


def test_the_tagging_benchmarks_facts_keep_the_contract_and_are_tagged():
    """The cause-engine benchmark builds its facts itself: a fact column added to the contract must be
    generated there too, or the benchmark stops measuring today's engine."""
    from benchmarks.tag_bench import generate_facts
    from transforms.causes import tag_causes
    from transforms.columns import FACT_COLUMNS
    from transforms.features import signin_features
    from transforms.rules import load_rules
    from transforms.thresholds import load_thresholds

    facts = generate_facts(20_000, 1_000, seed=1)
    assert facts.schema == pl.Schema(FACT_COLUMNS)
    thresholds = load_thresholds()
    tags = tag_causes(signin_features(facts.lazy(), thresholds), load_rules(), thresholds).collect()
    assert tags.height == facts.filter(pl.col("error_code") == 500121).height > 0
    assert set(tags["verdict"]) == {"benign", "suspicious", "hostile"}


def test_the_pull_budget_benchmark_compares_sized_slices_with_day_long_ones(tmp_path):
    out = tmp_path / "pull.md"
    result = run_benchmark(
        [
            sys.executable,
            "benchmarks/pull_budget.py",
            "--signins",
            "80",
            "--days",
            "12",
            "--page",
            "15",
            "--out",
            str(out),
        ],
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [
        line.split(" | ")
        for line in out.read_text().splitlines()
        if line.startswith(("| interactive", "| non", "| service", "| managed"))
    ]
    assert len(rows) == 4
    for _type, signins, pages, sized, fixed in rows:  # 20 sign-ins of each type in pages of 15
        assert (signins, pages) == ("20", "2")
        assert int(sized) <= 4 + 2 and int(fixed.rstrip(" |")) >= 12  # day-long slices: one request a day at least


def test_ingest_grid_smoke_run(tmp_path):
    """Two cells of the ingest grid, tiny: every contender stores every generated record (none
    quarantined), the table has a row per cell and contender and compares the distinct cell with the
    realistic one, and the distinct-CA file's records each have a policy list of their own in the store."""
    from benchmarks.ingest_grid import Cell
    from signins.ingest import blobs
    from signins.ingest.load import ingest_file
    from signins.settings import IngestLimits
    from signins.store.database import connect

    out, data = tmp_path / "grid.md", tmp_path / "data"
    args = ["--records", "300", "--rounds", "1", "--cells", "3kb", "3kb/ca", "--workdir", str(tmp_path)]
    result = run_benchmark(
        [sys.executable, "benchmarks/ingest_grid.py", *args, "--data-dir", str(data), "--out", str(out)],
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    contenders = ["signins ingest", "anchor: DuckDB typed read_json", "signins ingest, first 300 records"]
    assert [(m["cell"], m["contender"]) for m in measured] == [(c, n) for c in ("3kb", "3kb/ca") for n in contenders]
    assert all(m["rows"] == 300 and m["seconds"] > 0 for m in measured)
    table = out.read_text()
    assert "300 Graph beta sign-ins per cell" in table
    rows = [line for line in table.splitlines() if line.startswith("| 3kb")]
    assert [row.split(" | ")[4] for row in rows] == contenders * 2
    assert "| distinct CA result lists | 3.1 ($select) | 5 |" in rows[3]
    assert "| CA result lists | 3 | " in table  # distinct against realistic
    assert not list(tmp_path.glob("ingest-grid-*")), "the work folder is removed"

    lists = {}
    for cell in map(Cell.parse, ("3kb", "3kb/ca")):
        con = connect(tmp_path / f"{cell.name.replace('/', '-')}.duckdb")
        path = data / f"{cell.name.replace('/', '-')}-300.ndjson"
        outcome = ingest_file(con, path, blobs.blob_root(tmp_path / "blobs"), IngestLimits())
        assert (outcome.new_signins, outcome.quarantined) == (300, 0)
        lists[cell.name] = con.execute("SELECT count(DISTINCT ca_set) FROM signins").fetchone()[0]
        con.close()
    assert lists["3kb/ca"] == 300 and 10 < lists["3kb"] < 150


def test_the_ingest_profile_times_the_steps_of_a_load_and_sorts_perf_samples(tmp_path):
    """benchmarks/ingest_profile.py wraps signins.ingest's functions by name: a renamed step must show
    here, not as a profile that silently misses it."""
    from benchmarks.ingest_grid import Cell, Layout, shaped
    from benchmarks.ingest_profile import perf_categories
    from simulator.bulk import bulk_chunk

    data = tmp_path / "signins.ndjson"
    records = bulk_chunk(0)[:200]
    data.write_bytes(
        b"".join(
            orjson.dumps(shaped(r, n, Cell(5), Layout(False, 12), random.Random(1))) + b"\n"
            for n, r in enumerate(records)
        )
    )
    result = run_benchmark(
        [sys.executable, "benchmarks/ingest_profile.py", str(data), "--workdir", str(tmp_path)],
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "200 new, 0 updated, 0 already known, 0 quarantined" in result.stdout
    for step in ("sql load/20_staged_records.sql", "sql load/45_replace.sql", "sha256 of the file", "close the store"):
        assert f"| {step}" in result.stdout, step

    dump = tmp_path / "stacks.txt"
    dump.write_text(
        " 11    2000000 \n\t1 SHA256_Update (libcrypto.so)\n\t2 start_thread (libc.so)\n\n"
        " 12    6000000 \n\t3 yyjson_read_opts (_duckdb.so)\n\t4 duckdb::PhysicalProjection::Execute (_duckdb.so)\n\n"
    )
    table = perf_categories(dump)
    assert "| sha256 of the file | 0.00 | 25.0% |" in table and "| JSON parse" in table and "75.0%" in table
