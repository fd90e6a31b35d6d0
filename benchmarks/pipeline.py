"""The pipeline benchmark: every stage of signins, and the whole nightly flow, at a chosen size.

Generates N Graph beta sign-ins as JSON lines, then runs each stage (ingest, validate, tag, report,
nightly, history) in a fresh interpreter on the same data, each with its baselines measured in the same
run, and prints a table (also written to --out). benchmarks/README.md says what each stage and baseline
measures and how to read the table.

Usage: .venv/bin/python benchmarks/pipeline.py --records 100000 [--stages ingest tag ...] [--rounds 3]
       [--memory-limit 2GB] [--history-days 7] [--workdir DIR] [--data FILE] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import orjson
import psutil

REPO = Path(__file__).resolve().parent.parent

# The typed columns of the parse ceiling: the fields signins normalises, with the same nesting.
TYPED_COLUMNS = {
    "id": "VARCHAR",
    "createdDateTime": "TIMESTAMPTZ",
    "correlationId": "VARCHAR",
    "originalRequestId": "VARCHAR",
    "userId": "VARCHAR",
    "userPrincipalName": "VARCHAR",
    "appId": "VARCHAR",
    "appDisplayName": "VARCHAR",
    "ipAddress": "VARCHAR",
    "clientAppUsed": "VARCHAR",
    "userAgent": "VARCHAR",
    "isInteractive": "BOOLEAN",
    "status": "STRUCT(errorCode INTEGER, failureReason VARCHAR, additionalDetails VARCHAR)",
    "deviceDetail": "STRUCT(deviceId VARCHAR, operatingSystem VARCHAR, browser VARCHAR, isCompliant BOOLEAN, "
    "isManaged BOOLEAN)",
    "location": "STRUCT(city VARCHAR, countryOrRegion VARCHAR, "
    "geoCoordinates STRUCT(latitude DOUBLE, longitude DOUBLE))",
    "appliedConditionalAccessPolicies": "STRUCT(id VARCHAR, displayName VARCHAR, result VARCHAR, "
    "enforcedGrantControls VARCHAR[], conditionsSatisfied VARCHAR, conditionsNotSatisfied VARCHAR)[]",
    "authenticationDetails": "STRUCT(authenticationStepDateTime TIMESTAMPTZ, authenticationMethod VARCHAR, "
    "succeeded BOOLEAN, authenticationStepResultDetail VARCHAR, authenticationStepRequirement VARCHAR)[]",
    "riskLevelDuringSignIn": "VARCHAR",
    "riskState": "VARCHAR",
    "conditionalAccessStatus": "VARCHAR",
}


@dataclass(frozen=True)
class Contender:
    stage: str
    name: str
    setup: str  # imports and preparation, not timed
    body: str  # the timed work; it may set `rows` (what it processed), else RECORDS count
    baseline: str = ""  # the contender of the same stage this one is compared with


# Every script sees DATA (the JSON lines), WORK (a folder), DB (the stage store), FACTS (the store's
# facts as Parquet), RECORDS and COLUMNS.
CONTENDERS = [
    Contender(
        "ingest",
        "signins ingest",
        """
from signins.ingest import blobs
from signins.ingest.load import ingest_file
from signins.settings import IngestLimits
from signins.store.database import connect
""",
        """
con = connect(DB)
outcome = ingest_file(con, Path(DATA), blobs.blob_root(Path(DB)), IngestLimits())
con.close()
assert outcome.new_signins == RECORDS, outcome.summary()
""",
        baseline="pandas json_normalize",
    ),
    Contender(
        "ingest",
        "pandas json_normalize",
        """
import json
import pandas as pd
""",
        """
rows, chunk = 0, []
with open(DATA, encoding="utf-8") as fh:
    for line in fh:
        chunk.append(json.loads(line))
        if len(chunk) == 10000:
            rows += len(pd.json_normalize(chunk)); chunk = []
rows += len(pd.json_normalize(chunk)) if chunk else 0
assert rows == RECORDS
""",
    ),
    Contender(
        "ingest",
        "duckdb read_json (typed, ceiling)",
        """
import duckdb
""",
        """
con = duckdb.connect(str(Path(WORK) / "typed.duckdb"))
con.execute(f"CREATE TABLE s AS SELECT * FROM read_json(?, format='newline_delimited', columns={COLUMNS})", [DATA])
assert con.execute("SELECT count(*) FROM s").fetchall()[0][0] == RECORDS
con.close()
(Path(WORK) / "typed.duckdb").unlink()
""",
        baseline="pandas json_normalize",
    ),
    Contender(
        "validate",
        "signins gates",
        """
from signins.store.database import connect
from signins.runs.gates import gate
""",
        """
con = connect(DB)
report = gate(con, None, 5.0)
con.close()
rows = report.rows
""",
    ),
    Contender(
        "tag",
        "signins tag",
        """
from signins.store.database import connect
from signins.analysis.tagging import tag
from transforms.thresholds import load_thresholds
thresholds = load_thresholds()
""",
        """
con = connect(DB)
rows = tag(con, thresholds, full=True).signins_read
con.close()
""",
        baseline="pandas features + causes",
    ),
    Contender(
        "tag",
        "polars features + causes",
        """
import polars as pl
from transforms.causes import tag_causes
from transforms.features import signin_features
from transforms.rules import load_rules
from transforms.thresholds import load_thresholds
rules, thresholds = load_rules(), load_thresholds()
facts = pl.read_parquet(FACTS)
""",
        """
tags = tag_causes(signin_features(facts.lazy(), thresholds), rules, thresholds).collect()
rows = facts.height
""",
        baseline="pandas features + causes",
    ),
    Contender(
        "tag",
        "pandas features + causes",
        """
import pandas as pd
from benchmarks.pandas_features import primary_causes, signin_features
from transforms.thresholds import load_thresholds
thresholds = load_thresholds()
facts = pd.read_parquet(FACTS)
""",
        """
tags = primary_causes(signin_features(facts, thresholds), thresholds)
rows = len(facts)
""",
    ),
    Contender(
        "report",
        "signins report",
        """
from dashboards.site import build_report
""",
        """
build_report(Path(DB), Path(WORK) / "report")
rows = RECORDS
""",
    ),
    Contender(
        "nightly",
        "signins run (Prefect flow)",
        """
import subprocess, sys
""",
        """
db = Path(WORK) / "nightly.duckdb"
subprocess.run([sys.executable, "-m", "cli", "run", "--source", DATA, "--db", str(db),
                "--out", str(Path(WORK) / "nightly-report")], check=True, stdout=subprocess.DEVNULL)
""",
    ),
    Contender(
        "history",
        "signins run, the day after the history",
        """
import subprocess, sys
""",
        """
subprocess.run([sys.executable, "-m", "cli", "run", "--source", NEXT_DAY, "--db", HISTORY_DB,
                "--out", str(Path(WORK) / "history-report")], check=True, stdout=subprocess.DEVNULL)
""",
        baseline="signins run (Prefect flow)",
    ),
]
STAGES = list(dict.fromkeys(c.stage for c in CONTENDERS))

TIMED = """
import os, resource, time
from pathlib import Path
{setup}
start, cpu = time.perf_counter(), os.times()
rows = RECORDS
{body}
end = os.times()
with open("/proc/self/status") as status:
    own_peak_kib = int(next(line for line in status if line.startswith("VmHWM:")).split()[1])
peak_kib = max(own_peak_kib, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print("RESULT", time.perf_counter() - start, sum(end[:4]) - sum(cpu[:4]), rows, peak_kib)
"""
# How often the peak RSS of a contender's whole process tree is sampled: a sample walks every process,
# so sampling often costs the contender CPU. The peak of the contender's own process (and of the largest child
# it waited for) is exact: the kernel's high-water mark, which a sample can miss. Its own is VmHWM, not
# ru_maxrss: that one counts the memory of the process it was started from (this one, which may have
# held a store's facts).
TREE_SAMPLE_SECONDS = 0.25


@dataclass
class Measured:
    contender: Contender
    seconds: float
    cpu_seconds: float  # user + system of the process and the children it waited for
    peak_rss_mib: float  # the process's own (exact) or the whole tree's (sampled), the larger
    rows: int


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    try:
        tree = [process, *process.children(recursive=True)]
    except psutil.Error:  # a process of the tree ended while it was listed
        return 0
    for p in tree:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def measure(contender: Contender, variables: dict, env: dict) -> Measured:
    """Run one contender in a fresh interpreter; its timings and the peak RSS of its process tree."""
    prelude = "".join(f"{name} = {value!r}\n" for name, value in variables.items())
    script = prelude + TIMED.format(setup=contender.setup, body=contender.body)
    child = subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPO, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    peak, process = 0, psutil.Process(child.pid)
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss(process))
            stop.wait(TREE_SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = child.communicate()
    stop.set()
    sampler.join()
    if child.returncode:
        raise SystemExit(f"{contender.stage} / {contender.name} failed:\n{err[-4000:]}")
    seconds, cpu, rows, peak_kib = next(line for line in out.splitlines() if line.startswith("RESULT")).split()[1:]
    return Measured(contender, float(seconds), float(cpu), max(peak, int(peak_kib) * 1024) / 2**20, int(rows))


CHUNK_RECORDS = 19_000  # about what one bulk chunk holds
SIMULATED_RECORDS = 1_000_000  # beyond this, copies of the simulated records for new populations
# The identifiers a copy changes (their first 8 hex digits become the copy's number), so that every copy
# holds new sign-ins by new users on new devices; the record's own id opens the line.
COPIED_IDS = re.compile(rb'"(correlationId|originalRequestId|userId|deviceId)":"[0-9a-f]{8}')
UPN = re.compile(rb'("userPrincipalName":"[^"@]*)@')


def _chunk_lines(chunk: int) -> bytes:
    from simulator.bulk import bulk_chunk

    return b"".join(orjson.dumps(record) + b"\n" for record in bulk_chunk(chunk, seed=1, ca_policies=20))


def simulate(path: Path, records: int) -> None:
    """Write `records` bulk sign-ins as JSON lines (chunks simulated on every core)."""
    written, chunk, cores = 0, 0, os.cpu_count() or 1
    with open(path, "wb") as fh, multiprocessing.Pool(cores) as pool:
        while written < records:
            parallel = min(cores, -(-(records - written) // CHUNK_RECORDS))
            for lines in pool.map(_chunk_lines, range(chunk, chunk + parallel)):
                rows = lines.split(b"\n")[:-1][: records - written]
                fh.write(b"\n".join(rows) + b"\n")
                written += len(rows)
            chunk += parallel


def copy_line(line: bytes, copy: int) -> bytes:
    """A simulated line as copy `copy` of it: other ids, other people and devices, same shape and size."""
    prefix = b"%08x" % (0x80000000 + copy)
    assert line.startswith(b'{"id":"')
    line = COPIED_IDS.sub(rb'"\1":"' + prefix, b'{"id":"' + prefix + line[15:])
    return UPN.sub(rb"\1.c%d@" % copy, line)


def extend(path: Path, records: int) -> None:
    """Append copies of the file's lines until it holds `records` lines."""
    with open(path, "rb") as fh:
        written = sum(1 for _ in fh)
    base, copy = written, 0
    with open(path, "ab") as out:
        while written < records:
            copy += 1
            with open(path, "rb") as fh:
                for line, _ in zip(fh, range(min(base, records - written)), strict=False):
                    out.write(copy_line(line, copy))
                    written += 1


DAY_TIMES = re.compile(rb'"(createdDateTime|authenticationStepDateTime)":"\d{4}-\d{2}-\d{2}T')
ATTEMPT_IDS = re.compile(rb'"(correlationId|originalRequestId)":"')
FIRST_DAY = date(2026, 11, 1)


def day_line(line: bytes, day: int) -> bytes:
    """A generated line as a sign-in of day `day` (from 1): the same user, device and place, a new sign-in
    (its id and its attempt's ids prefixed with the day: copies beyond 1 M differ in their ids' first
    digits only) at the same time of day on that day."""
    prefix = b"d%03d-" % day
    assert line.startswith(b'{"id":"')
    line = ATTEMPT_IDS.sub(rb'"\1":"' + prefix, b'{"id":"' + prefix + line[7:])
    return DAY_TIMES.sub(rb'"\1":"' + (FIRST_DAY + timedelta(days=day - 1)).isoformat().encode() + b"T", line)


def write_day(data: Path, path: Path, day: int) -> None:
    with open(data, "rb") as lines, open(path, "wb") as out:
        out.writelines(day_line(line, day) for line in lines)


def land_history(data: Path, folder: Path, days: int, records: int, env: dict) -> list[float]:
    """Days 1..`days` landed one after another in folder/history.duckdb by `signins run`, as a nightly
    deployment would; the seconds of each run. Each day's file is deleted after its run (disk)."""
    seconds = []
    for day in range(1, days + 1):
        path = folder / f"day-{day}.ndjson"
        write_day(data, path, day)
        started = time.perf_counter()
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "cli",
                "run",
                "--source",
                str(path),
                "--db",
                str(folder / "history.duckdb"),
                "--out",
                str(folder / "history-report"),
            ],
            cwd=REPO,
            env=env,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        seconds.append(time.perf_counter() - started)
        path.unlink()
        if f" {records} new sign-ins" not in run.stdout:  # every day's sign-ins are new ones
            raise SystemExit(f"history day {day}: {run.stdout.strip()}")
        print(f"  history day {day}: {seconds[-1]:.1f} s", flush=True)
    return seconds


def warm_page_cache(path: Path) -> None:
    """Read the data once before any contender: otherwise the first one reads what was evicted from the
    page cache since the file was written (a file reused with --data, say), and the contenders after it
    read from memory. Data that would not
    stay cached (over half the memory) is read from disk by every contender alike."""
    if path.stat().st_size > psutil.virtual_memory().total / 2:
        return
    with open(path, "rb") as fh:
        while fh.read(16 * 2**20):
            pass


def generate(path: Path, records: int) -> None:
    simulate(path, min(records, SIMULATED_RECORDS))
    if records > SIMULATED_RECORDS:
        extend(path, records)


def export_facts(db: Path, facts: Path) -> int:
    """The store's sign-in facts (what the cause engine reads) as Parquet, for the tag baselines."""
    from signins.analysis.tagging import prepare_facts
    from signins.store.database import connect
    from transforms.thresholds import load_thresholds

    con = connect(db)
    try:
        prepare_facts(con, load_thresholds(), since=None)
        con.sql("SELECT * FROM signin_facts ORDER BY user_key, created_at, signin_id").write_parquet(str(facts))
        return con.execute("SELECT count(*) FROM read_parquet(?)", [str(facts)]).fetchall()[0][0]
    finally:
        con.close()


def table(rounds: list[list[Measured]], records: int, size: int, memory_limit: str | None) -> str:
    """The results as a markdown table. Over several rounds (each contender once per round, in turn): the
    median of the seconds, with their range, and the median of the per-round ratios to the baseline, so
    that a drift of the host's speed between rounds does not skew a ratio."""
    mb = size / 1e6
    several = len(rounds) > 1
    lines = [
        f"Pipeline benchmark: {records:,} Graph beta sign-ins, {mb:,.0f} MB of JSON lines "
        f"({size / records / 1024:.1f} KiB per record, 20 CA policies each), {os.cpu_count()} cores, "
        f"DuckDB memory limit {memory_limit or 'default (80% of RAM)'}."
        + (f" Medians of {len(rounds)} rounds run in turn (range of the seconds in brackets)." if several else ""),
        "",
        "| stage | contender | seconds | MB/s | records/s | CPU s | peak RSS MiB | vs baseline |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for runs in zip(*rounds, strict=True):  # one contender's measurements, a round each
        contender = runs[0].contender
        seconds = statistics.median(m.seconds for m in runs)
        ratios = [
            base.seconds / m.seconds
            for m, results in zip(runs, rounds, strict=True)
            for base in results
            if base.contender.name == contender.baseline
        ]
        ratio = f"{statistics.median(ratios):.2f}x {contender.baseline}" if ratios else "-"
        spread = f" ({min(m.seconds for m in runs):.1f}-{max(m.seconds for m in runs):.1f})" if several else ""
        per_mb = f"{mb / seconds:,.0f}" if contender.stage in ("ingest", "nightly", "history") else "-"
        cpu = statistics.median(m.cpu_seconds for m in runs)
        lines.append(
            f"| {contender.stage} | {contender.name} | {seconds:.2f}{spread} | {per_mb} | "
            f"{runs[0].rows / seconds:,.0f} | {cpu:.1f} | {max(m.peak_rss_mib for m in runs):,.0f} | {ratio} |"
        )
    return "\n".join(lines)


def history_table(histories: list[list[float]], records: int) -> str:
    """The seconds of the nightly runs that built the history stage's store, a day per row, a round per column."""
    lines = [
        f"Nightly runs (`signins run`) of {records:,} sign-ins a day, each on the store the days before it left:",
        "",
        "| day | " + " | ".join(f"round {n + 1}" for n in range(len(histories))) + " |",
        "|---|" + "---|" * len(histories),
    ]
    for day, seconds in enumerate(zip(*histories, strict=True), 1):
        lines.append(f"| {day} | " + " | ".join(f"{s:.1f} s" for s in seconds) + " |")
    return "\n".join(lines)


def run_round(
    stages: list[str], skip: list[str], variables: dict, env: dict, folder: Path, history_days: int
) -> tuple[list[Measured], list[float]]:
    """Every selected contender once, in order, on a new store in `folder`; with the seconds of the
    history's days when the history stage ran."""
    results, history = [], []
    for contender in CONTENDERS:
        if contender.stage not in stages or contender.name in skip:
            continue
        if contender.stage in ("validate", "tag", "report") and not (folder / "store.duckdb").exists():
            results.append(measure(next(c for c in CONTENDERS if c.name == "signins ingest"), variables, env))
        if contender.name.endswith("features + causes") and not (folder / "facts.parquet").exists():
            export_facts(folder / "store.duckdb", folder / "facts.parquet")
        if contender.stage == "history":
            history = land_history(Path(variables["DATA"]), folder, history_days, variables["RECORDS"], env)
            write_day(Path(variables["DATA"]), Path(variables["NEXT_DAY"]), history_days + 1)
        results.append(measure(contender, variables, env))
        m = results[-1]
        print(f"  {contender.stage} / {contender.name}: {m.seconds:.2f} s, {m.peak_rss_mib:,.0f} MiB", flush=True)
    return results, history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument(
        "--stages",
        nargs="*",
        default=[s for s in STAGES if s != "history"],
        choices=STAGES,
        help="default: all but history",
    )
    parser.add_argument(
        "--skip",
        nargs="*",
        default=[],
        metavar="CONTENDER",
        help="contenders to leave out (e.g. 'pandas json_normalize')",
    )
    parser.add_argument("--memory-limit", default=os.environ.get("SIGNINS_DUCKDB_MEMORY_LIMIT"))
    parser.add_argument(
        "--rounds", type=int, default=1, help="run every contender this many times, in turn; the table shows medians"
    )
    parser.add_argument("--history-days", type=int, default=7, help="days in the store before the history stage's run")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--data", type=Path, default=None, help="reuse (or keep) the generated JSON lines here")
    parser.add_argument("--out", type=Path, default=None, help="default: benchmarks/results/pipeline-<N>.md")
    args = parser.parse_args()
    label = f"{args.records // 1000}k" if args.records % 1000 == 0 else str(args.records)
    out = args.out or REPO / "benchmarks" / "results" / f"pipeline-{label}.md"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "GX_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    if args.memory_limit:
        env["SIGNINS_DUCKDB_MEMORY_LIMIT"] = args.memory_limit

    if args.workdir:
        Path(args.workdir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.workdir, prefix="pipeline-bench-") as tmp:
        work = Path(tmp)
        env["SIGNINS_DUCKDB_TEMP_DIRECTORY"] = str(work / "spill")
        data = args.data or work / "signins.ndjson"
        if not data.exists():
            started = time.perf_counter()
            generate(data, args.records)
            print(f"generated {args.records:,} records in {time.perf_counter() - started:.0f} s", flush=True)
        warm_page_cache(data)
        rounds, histories = [], []
        for number in range(args.rounds):
            folder = work / f"round-{number}"  # a new store (and nightly database) for each round
            folder.mkdir()
            if args.rounds > 1:
                print(f"round {number + 1} of {args.rounds}", flush=True)
            variables = {
                "DATA": str(data),
                "WORK": str(folder),
                "DB": str(folder / "store.duckdb"),
                "FACTS": str(folder / "facts.parquet"),
                "RECORDS": args.records,
                "COLUMNS": "{" + ", ".join(f"'{k}': '{v}'" for k, v in TYPED_COLUMNS.items()) + "}",
                "HISTORY_DB": str(folder / "history.duckdb"),
                "NEXT_DAY": str(folder / "next-day.ndjson"),
            }
            results, history = run_round(args.stages, args.skip, variables, env, folder, args.history_days)
            rounds.append(results)
            histories.append(history)
            shutil.rmtree(folder)
        size = data.stat().st_size
    report = table(rounds, args.records, size, args.memory_limit)
    if any(histories):
        report += "\n\n" + history_table(histories, args.records)
    print(report)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report + "\n")
    print(
        json.dumps(
            [
                {
                    "round": number,
                    "stage": m.contender.stage,
                    "contender": m.contender.name,
                    "seconds": m.seconds,
                    "cpu_seconds": m.cpu_seconds,
                    "peak_rss_mib": m.peak_rss_mib,
                    "rows": m.rows,
                }
                for number, results in enumerate(rounds)
                for m in results
            ]
        )
    )


if __name__ == "__main__":
    main()
