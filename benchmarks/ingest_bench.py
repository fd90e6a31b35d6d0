"""Ingest benchmark: signins' lossless + normalised load against pandas and DuckDB's own reader.

Generates N realistic Graph beta sign-ins (~5 KB, ~20 CA policies each, the sample tenant's cause mix)
as JSON lines, then runs each contender in a fresh subprocess (so peak RSS is its own) on the same file:

- signins:        `signins ingest` into a new database file (blob store + raw layer + normalised tables)
- pandas:         json.loads + pandas.json_normalize in chunks, not even stored (the usual notebook loader)
- duckdb-typed:   DuckDB read_json with explicit types into a database file (the parse ceiling)
- duckdb-raw:     DuckDB storing the raw text of each line into a database file

Usage: .venv/bin/python benchmarks/ingest_bench.py --records 100000 [--workdir DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parent.parent

# Each contender: its imports (not timed), then the timed work.
CONTENDERS = {
    "signins": ("""
from pathlib import Path
from signins import blobs
from signins.load import ingest_file
from signins.settings import IngestLimits
from signins.store import connect
""", """
db = Path(WORK) / "signins.duckdb"
con = connect(db)
outcome = ingest_file(con, Path(DATA), blobs.blob_root(db), IngestLimits())
con.close()
assert outcome.new_signins == RECORDS, outcome.summary()
"""),
    "pandas": ("""
import json
import pandas as pd
""", """
rows = 0
chunk = []
with open(DATA, encoding="utf-8") as fh:
    for line in fh:
        chunk.append(json.loads(line))
        if len(chunk) == 10000:
            rows += len(pd.json_normalize(chunk)); chunk = []
rows += len(pd.json_normalize(chunk)) if chunk else 0
assert rows == RECORDS
"""),
    "duckdb-typed": ("""
import duckdb
from pathlib import Path
""", """
con = duckdb.connect(str(Path(WORK) / "typed.duckdb"))
con.execute(f"CREATE TABLE s AS SELECT * FROM read_json(?, format='newline_delimited', columns={COLUMNS})", [DATA])
assert con.execute("SELECT count(*) FROM s").fetchall()[0][0] == RECORDS
con.close()
"""),
    "duckdb-raw": ("""
import duckdb
from pathlib import Path
""", """
con = duckdb.connect(str(Path(WORK) / "raw.duckdb"))
con.execute("CREATE TABLE s AS SELECT json FROM read_ndjson_objects(?)", [DATA])
con.close()
"""),
}

# The typed columns the ceiling reads: the same fields signins normalises, with the same nesting.
TYPED_COLUMNS = {
    "id": "VARCHAR", "createdDateTime": "TIMESTAMPTZ", "correlationId": "VARCHAR", "originalRequestId": "VARCHAR",
    "userId": "VARCHAR", "userPrincipalName": "VARCHAR", "appId": "VARCHAR", "appDisplayName": "VARCHAR",
    "ipAddress": "VARCHAR", "clientAppUsed": "VARCHAR", "userAgent": "VARCHAR", "isInteractive": "BOOLEAN",
    "status": "STRUCT(errorCode INTEGER, failureReason VARCHAR, additionalDetails VARCHAR)",
    "deviceDetail": "STRUCT(deviceId VARCHAR, operatingSystem VARCHAR, browser VARCHAR, isCompliant BOOLEAN, isManaged BOOLEAN)",
    "location": "STRUCT(city VARCHAR, countryOrRegion VARCHAR, geoCoordinates STRUCT(latitude DOUBLE, longitude DOUBLE))",
    "appliedConditionalAccessPolicies": "STRUCT(id VARCHAR, displayName VARCHAR, result VARCHAR, enforcedGrantControls VARCHAR[], conditionsSatisfied VARCHAR, conditionsNotSatisfied VARCHAR)[]",
    "authenticationDetails": "STRUCT(authenticationStepDateTime TIMESTAMPTZ, authenticationMethod VARCHAR, succeeded BOOLEAN, authenticationStepResultDetail VARCHAR, authenticationStepRequirement VARCHAR)[]",
    "riskLevelDuringSignIn": "VARCHAR", "riskState": "VARCHAR", "conditionalAccessStatus": "VARCHAR",
}


def generate(path: Path, records: int) -> int:
    """Write `records` bulk sign-ins as JSON lines; returns the file size."""
    sys.path.insert(0, str(REPO))
    from signins.simulator import generate_bulk_records

    with open(path, "wb") as fh:
        for record in generate_bulk_records(records, seed=1, ca_policies=20):
            fh.write(orjson.dumps(record) + b"\n")
    return path.stat().st_size


def run(name: str, data: Path, work: Path, records: int) -> tuple[float, float, int]:
    """(seconds, CPU seconds of all its threads, peak RSS in MiB) of one contender in a fresh interpreter."""
    columns = "{" + ", ".join(f"'{k}': '{v}'" for k, v in TYPED_COLUMNS.items()) + "}"
    prelude = f"DATA = {str(data)!r}\nWORK = {str(work)!r}\nRECORDS = {records}\nCOLUMNS = {columns!r}\n"
    imports, body = CONTENDERS[name]
    script = prelude + imports + "import time, resource\nstart = time.perf_counter()\ncpu = time.process_time()\n" + body + (
        "\nprint(time.perf_counter() - start, time.process_time() - cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    if result.returncode:
        raise SystemExit(f"{name} failed:\n{result.stderr}")
    seconds, cpu, rss = result.stdout.split()[-3:]
    return float(seconds), float(cpu), int(rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "ingest.md")
    parser.add_argument("--only", nargs="*", default=list(CONTENDERS), choices=list(CONTENDERS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        work = Path(tmp)
        data = work / "signins.ndjson"
        size = generate(data, args.records)
        results = {name: run(name, data, work, args.records) for name in args.only}
    mb = size / 1e6
    lines = [f"Ingest benchmark: {args.records:,} Graph beta sign-ins, {mb:,.0f} MB of JSON lines "
             f"({size / args.records / 1024:.1f} KiB per record), {os.cpu_count()} cores.", "",
             "| contender | seconds | MB/s | records/s | CPU s | peak RSS MiB | vs pandas | vs duckdb-typed |",
             "|---|---|---|---|---|---|---|---|"]
    ratio = lambda baseline, seconds: f"{results[baseline][0] / seconds:.2f}x" if baseline in results else "-"
    for name, (seconds, cpu, rss) in results.items():
        lines.append(f"| {name} | {seconds:.2f} | {mb / seconds:.0f} | {args.records / seconds:,.0f} | {cpu:.1f} | {rss:,} | "
                     f"{ratio('pandas', seconds)} | {ratio('duckdb-typed', seconds)} |")
    table = "\n".join(lines)
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table + "\n")
    print(json.dumps({k: {"seconds": v[0], "cpu_seconds": v[1], "peak_rss_mib": v[2]} for k, v in results.items()}))


if __name__ == "__main__":
    main()
