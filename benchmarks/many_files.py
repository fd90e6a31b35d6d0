"""The many-files benchmark: a drop folder of N one-record files, loaded, then loaded again.

The same N sign-ins are written twice: as one JSON-lines file (the baseline: what the records cost), and
as N files of one Graph response page each, the shape of a folder Graph pages or an Event Hub capture
land in. Each contender runs in a fresh interpreter (benchmarks/pipeline.py measures it: seconds, CPU,
peak RSS of its process tree), and the table shows each against the baseline run in the same invocation.

Usage: .venv/bin/python benchmarks/many_files.py --files 1000 [--workdir DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path

from benchmarks.pipeline import REPO, Contender, Measured, measure, simulate

LOAD = """
from signins.ingest import blobs
from signins.ingest.load import ingest_paths
from signins.settings import IngestLimits
from signins.store.database import connect
"""
CONTENDERS = [
    Contender(
        "files",
        "one file of N records",
        LOAD,
        """
con = connect(ONE_DB)
outcomes = ingest_paths(con, [Path(ONE)], blobs.blob_root(Path(ONE_DB)), IngestLimits())
con.close()
assert sum(o.new_signins for o in outcomes) == RECORDS
""",
    ),
    Contender(
        "files",
        "a folder of N files",
        LOAD,
        """
con = connect(DB)
outcomes = ingest_paths(con, [Path(FOLDER)], blobs.blob_root(Path(DB)), IngestLimits())
con.close()
assert len(outcomes) == RECORDS and sum(o.new_signins for o in outcomes) == RECORDS
""",
        baseline="one file of N records",
    ),
    Contender(
        "files",
        "the same folder again",
        LOAD,
        """
con = connect(DB)
outcomes = ingest_paths(con, [Path(FOLDER)], blobs.blob_root(Path(DB)), IngestLimits())
con.close()
assert all(o.already_ingested for o in outcomes) and len(outcomes) == RECORDS
""",
        baseline="one file of N records",
    ),
]


def write_files(records: Path, folder: Path) -> None:
    """Each record of the JSON-lines file as a Graph response page of its own, in a folder."""
    folder.mkdir(parents=True)
    with records.open("rb") as lines:
        for number, line in enumerate(lines):
            page = {
                "@odata.context": "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns",
                "value": [json.loads(line)],
            }
            (folder / f"page-{number:06d}.json").write_text(json.dumps(page))


def table(results: list[Measured], files: int, size: int) -> str:
    base = results[0]
    lines = [
        f"# A folder of {files:,} one-record files ({size / 1e6:,.0f} MB)",
        "",
        "| contender | seconds | files/s | CPU s | peak RSS MiB | vs one file of N records |",
        "|---|---|---|---|---|---|",
    ]
    for measured in results:
        ratio = measured.seconds / base.seconds
        lines.append(
            f"| {measured.contender.name} | {measured.seconds:.2f} | {files / measured.seconds:,.0f} | "
            f"{measured.cpu_seconds:.1f} | {measured.peak_rss_mib:,.0f} | {ratio:.2f}x the time |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="many-files-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        records, folder = work / "records.jsonl", work / "folder"
        simulate(records, args.files)
        write_files(records, folder)
        size = sum(p.stat().st_size for p in folder.iterdir())
        variables = {
            "ONE": str(records),
            "ONE_DB": str(work / "one.duckdb"),
            "FOLDER": str(folder),
            "DB": str(work / "folder.duckdb"),
            "RECORDS": args.files,
        }
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        results = []
        for contender in CONTENDERS:
            results.append(measure(contender, variables, env))
            print(f"{contender.name}: {results[-1].seconds:.2f} s", flush=True)
        text = table(results, args.files, size)
        print(text)
        out = args.out or REPO / "benchmarks" / "results" / f"many-files-{args.files}.md"
        out.write_text(text)
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
