"""Report benchmark: `signins report` over a synthetic store of D days x N sign-ins a day.

The store is written directly with DuckDB SQL (benchmarks/report_bench.sql, one day per statement
batch: sign-ins, their CA policy rows, and cause tags for the 2 % that are 500121 with the sample
tenant's cause mix), then the findings and per-policy tables are rebuilt with the project's SQL (not
timed). The report then runs in a fresh process, timed end to end, and the site's size is checked.

Usage: .venv/bin/python benchmarks/report_bench.py [--days 30] [--per-day 1000000] [--users 50000]
       [--db PATH] (reused when it exists) [--runs 1] [--baseline DIR]
Targets: the report in < 15 s; the whole site (every file, plotly.min.js included) < 25 MB.
--baseline DIR (another checkout of the project, e.g. `git worktree add DIR <commit>`) runs that
version's report in turn with this one, run for run on the same store, and prints the ratio of their
median times: a change's effect measured in one sitting, whatever the machine's speed that day.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from signins.analysis.tagging import rebuild_findings  # noqa: E402
from signins.store.database import connect  # noqa: E402
from transforms.thresholds import load_thresholds  # noqa: E402

START = datetime(2026, 11, 1, tzinfo=UTC)
GENERATOR = Path(__file__).with_name("report_bench.sql")
MAX_SITE_BYTES = 25_000_000
SLOTS = 1000  # the cause mix as 1,000 slots a failure's hash picks from


def generate(db: Path, days: int, per_day: int, users: int) -> None:
    """Write the synthetic store: sign-ins, CA policy rows, cause tags, then findings and policy days."""
    con = connect(db)
    try:
        truth = str(REPO / "data" / "sample" / "ground_truth.csv")
        con.execute(f"""CREATE TEMP TABLE mix AS
            WITH counts AS (SELECT cause, count(*) AS n FROM read_csv('{truth}') GROUP BY cause),
            slots AS (SELECT cause FROM counts, range(CAST(round({SLOTS} * n / (SELECT sum(n) FROM counts)) AS BIGINT)))
            SELECT cause, row_number() OVER (ORDER BY cause) - 1 AS slot, count(*) OVER () AS slots FROM slots""")
        con.execute("SET VARIABLE start = ?::TIMESTAMPTZ", [START])
        con.execute("SET VARIABLE per_day = ?::BIGINT", [per_day])
        con.execute("SET VARIABLE users = ?::BIGINT", [users])
        script = GENERATOR.read_text(encoding="utf-8")
        for day in range(days):
            started = time.perf_counter()
            con.execute("SET VARIABLE day = ?::BIGINT", [day])
            con.execute(script)
            print(f"  day {day + 1}/{days}: {time.perf_counter() - started:.1f} s", flush=True)
        rebuild_findings(con, load_thresholds())
    finally:
        con.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--baseline", type=Path, default=None, help="another checkout to compare with")
    args = parser.parse_args()
    db = args.db or Path(tempfile.gettempdir()) / f"report-bench-{args.days}x{args.per_day}.duckdb"
    if not db.exists():
        print(f"generating {args.days} days x {args.per_day:,} sign-ins into {db} ...", flush=True)
        started = time.perf_counter()
        generate(db, args.days, args.per_day, args.users)
        print(f"generated in {time.perf_counter() - started:.0f} s ({db.stat().st_size / 2**30:.1f} GiB)")
    passed, times = True, {"this": [], "baseline": []}
    for run in range(1, args.runs + 1):
        if args.baseline:
            times["baseline"].append(run_report(args.baseline, db, f"baseline run {run}")[0])
        seconds, site = run_report(REPO, db, f"run {run}")
        times["this"].append(seconds)
        passed = passed and seconds < 15 and site < MAX_SITE_BYTES
    if args.baseline:
        this, baseline = statistics.median(times["this"]), statistics.median(times["baseline"])
        print(f"median {this:.1f} s against the baseline's {baseline:.1f} s: {this / baseline:.2f}x")
    return 0 if passed else 1


def run_report(source: Path, db: Path, label: str) -> tuple[float, int]:
    """`signins report` of the project at `source` over `db` in a fresh process: seconds and site bytes."""
    out = Path(tempfile.mkdtemp(prefix="report-bench-site-"))
    started = time.perf_counter()
    command = [sys.executable, "-m", "cli", "report", "--db", str(db), "--out", str(out)]
    subprocess.run(command, check=True, cwd=source, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    files = [path for path in out.rglob("*") if path.is_file()]
    site = sum(path.stat().st_size for path in files)
    largest = max(files, key=lambda path: path.stat().st_size)
    print(
        f"{label}: report {seconds:.1f} s (target < 15 s); site {site / 1e6:.1f} MB in {len(files)} files "
        f"(target < 25 MB); largest {largest.relative_to(out)} {largest.stat().st_size / 1e6:.2f} MB",
        flush=True,
    )
    return seconds, site


if __name__ == "__main__":
    sys.exit(main())
