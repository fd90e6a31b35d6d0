"""Where `signins ingest` of one file spends its time: each step of the load timed in the thread that runs it.

Loads FILE into a new store as `signins ingest` does (ingest_file, then closing the store, which
checkpoints it), with timers around the steps of signins.ingest: the reader's thread (cutting lines into
batches, building each batch's Arrow table, the staging statements), the writer's (each merge statement,
the commit), the hash and the compressed copy of the file (threads of their own), and the close. The
signins code is not changed: its functions are wrapped for the run. Then, with --explain, the staging
query of one batch again under EXPLAIN ANALYZE (DuckDB's operators and their share).

With --perf-script, it instead sorts the CPU samples of a `perf record --call-graph dwarf` of an ingest
(as `perf script -F tid,period,ip,sym,dso` writes them) into the steps above, by the frames of each
sample's stack (CATEGORIES): what the timers cannot see, the work of DuckDB's own threads included.

Usage: .venv/bin/python benchmarks/ingest_profile.py FILE [--workdir DIR] [--explain]
       perf record -F 499 --call-graph dwarf,16384 -o perf.data -- .venv/bin/python -m cli ingest FILE --db DB
       perf script -i perf.data -F tid,period,ip,sym,dso > stacks.txt
       .venv/bin/python benchmarks/ingest_profile.py --perf-script stacks.txt
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

from signins.ingest import batches, blobs, load, writer
from signins.ingest.batches import Prefetched
from signins.settings import IngestLimits
from signins.store.database import connect

SECONDS: dict[tuple[str, str], float] = defaultdict(float)  # (thread, step) -> wall seconds
CALLS: dict[tuple[str, str], int] = defaultdict(int)
_local = threading.local()  # the step a thread is in, so that nested steps are not counted twice


def _thread() -> str:
    name = threading.current_thread().name
    return "writer (main)" if name == "MainThread" else name.rstrip("_0123456789")


@contextmanager
def step(name: str):
    """Time `name` in this thread; a step inside another is taken out of the outer one."""
    outer = getattr(_local, "step", None)
    _local.step = name
    started = time.perf_counter()
    try:
        yield
    finally:
        spent = time.perf_counter() - started
        _local.step = outer
        SECONDS[_thread(), name] += spent
        CALLS[_thread(), name] += 1
        if outer:
            SECONDS[_thread(), outer] -= spent


def timed(function, name):
    def wrapper(*args, **kwargs):
        with step(name(*args, **kwargs) if callable(name) else name):
            return function(*args, **kwargs)

    return wrapper


class _TimedRelation:
    """A query's relation, whose execution (to Arrow) is timed as its script's step."""

    def __init__(self, relation, name: str):
        self.relation, self.name = relation, name

    def to_arrow_table(self, *args):
        with step(self.name):
            return self.relation.to_arrow_table(*args)


def _timed_iteration(iterable, name):
    """An iterator whose every next() is timed as `name` (the time a consumer waits for it, or makes it)."""
    iterator = iter(iterable)
    while True:
        with step(name):
            item = next(iterator, StopIteration)
        if item is StopIteration:
            return
        yield item


def instrument() -> None:
    """Wrap the steps of signins.ingest (module globals the load calls through) with timers."""
    writer.run_script = timed(writer.run_script, lambda con, script, params=None: f"sql {script}")
    query = writer.query
    writer.query = lambda con, script, params=None: _TimedRelation(query(con, script, params), f"sql {script}")
    writer.stage = timed(writer.stage, "stage: register, children to Arrow, other")
    writer.BatchWriter.write = timed(writer.BatchWriter.write, "write: BEGIN, COMMIT, other")
    writer.BatchWriter._merge = timed(writer.BatchWriter._merge, "merge: keys, counts, register, other")
    writer.BatchWriter.note_files = timed(writer.BatchWriter.note_files, "note the file (raw_files row)")
    writer.BatchWriter.wait_for_blobs = timed(writer.BatchWriter.wait_for_blobs, "wait for the blob copy")
    batches.batch_table = timed(batches.batch_table, "batch's Arrow table (Python per record)")
    blobs.file_sha256 = timed(blobs.file_sha256, "sha256 of the file")
    blobs.BlobCopy._copy = timed(blobs.BlobCopy._copy, "copy of the file, zstd, fsync")
    load.read_file = timed(load.read_file, "open and sniff the file")
    produce, iterate = Prefetched._produce, Prefetched.__iter__
    # The reader's thread: making a batch (lines, Arrow, staging), or waiting for the writer to take one.
    Prefetched._produce = lambda self, source: timed(produce, "wait for the writer (queue full)")(
        self, _timed_iteration(source, "cut lines into batches (Python)")
    )
    Prefetched.__iter__ = lambda self: _timed_iteration(iterate(self), "wait for the reader's next batch")


def report(total: float, cpu: float) -> str:
    threads = sorted({thread for thread, _ in SECONDS})
    lines = [
        f"Wall {total:.2f} s, CPU {cpu:.2f} s (user + system, all threads). Seconds per step and thread "
        "(a step nested in another is not counted in it):",
        "",
        "| thread | step | calls | seconds | share of wall |",
        "|---|---|---|---|---|",
    ]
    for thread in threads:
        steps = sorted(((s, n) for (t, n), s in SECONDS.items() if t == thread), reverse=True)
        for seconds, name in steps:
            lines.append(
                f"| {thread} | {name} | {CALLS[thread, name]} | {seconds:.2f} | {100 * seconds / total:.1f}% |"
            )
    return "\n".join(lines)


def explain_staging(path: Path, folder: Path) -> str:
    """EXPLAIN ANALYZE of the staging query (load/20_staged_records.sql) of the file's first batch, on a
    new store whose connection has met no policy list yet, as the load's first batch does."""
    from signins.ingest.batches import batches as cut
    from signins.ingest.reader import read_file
    from signins.store.database import run_script, statements

    limits = IngestLimits()
    con = connect(folder / "explain.duckdb")
    run_script(con, "load/10_stage_macros.sql")
    reading = read_file(path, limits, None)
    batch = next(iter(cut(reading.items, limits.batch_records, limits.batch_bytes)))
    con.register("batch", batch.table)
    (statement,) = statements("load/20_staged_records.sql")
    plan = con.execute("EXPLAIN ANALYZE " + statement, {"lenient": False, "tenant": None}).fetchall()
    con.close()
    return "\n".join(row[1] for row in plan)


# A sample goes to the first category one of whose patterns names a frame of its stack (leaf to root).
CATEGORIES = [
    ("start-up: loading Python modules (pandas, which pyarrow imports on first use, included)", r"PyImport_|_dl_"),
    ("checkpoint when the store is closed (compression)", r"CreateCheckpoint|CheckpointWriter"),
    ("primary-key indexes (ART)", r"duckdb::ART|ARTKey|duckdb::Prefix|duckdb::Node\d|duckdb::Leaf"),
    ("commit: write-ahead log, appending to the tables", r"CommitTransaction|WriteToWAL|LocalStorage::Commit"),
    ("zstd copy of the file into the blob store", r"ZSTD_|Zstd"),
    ("sha256 of the file", r"SHA256|sha256"),
    ("inserts into the store's tables (before the commit)", r"PhysicalInsert|LocalStorage::Append"),
    ("staged rows handed to Arrow (to_arrow_table)", r"ArrowFormat|ArrowAppender|ArrowVarcharData|ArrowConverter"),
    ("JSON parse, typing (json_transform) and JSON text of CA lists", r"yyjson|JSONTransform|JSONExecutors|json::"),
    ("hash() of rows and texts (version_hash, CA-list lookup, join keys)", r"VectorOperations::Hash|CombineHash"),
    (
        "joins, aggregates, window, sort (CA lists, winners, dedup)",
        r"HashJoin|JoinHashTable|HashAggregate|GroupedAggregate|PhysicalWindow|Window|Sort|PhysicalOrder",
    ),
    ("Arrow scan of the batch (its texts in)", r"ArrowTableFunction|ArrowScan|ArrowArrayStream|ArrowToDuckDB"),
    ("opening the store: DuckDB's start, its extensions", r"DBInstanceCache|LoadStaticExtension|DuckDB::DuckDB"),
    ("planning statements", r"Planner::|Binder::|Optimizer::|Parser::|Transformer::|CreatePreparedStatement"),
    (
        "other expressions of the queries (regexp, nullif, lists, struct fields)",
        r"ExpressionExecutor|PhysicalProjection|PhysicalFilter",
    ),
    ("other DuckDB work", r"duckdb"),
    ("Arrow arrays from Python lists (batch table)", r"arrow::py::|ConvertPySequence|pyarrow"),
    ("reading the file (read(): the kernel copying it)", r"_Py_read|copy_page_to_iter|ksys_read|vfs_read"),
    ("Python interpreter (lines cut into batches, per-record lists, the rest)", r"_PyEval|libpython|Py[A-Z_]"),
    ("other (kernel, allocator, threads waking)", r""),
]


def perf_categories(path: Path) -> str:
    """The CPU of a `perf script` dump, by CATEGORIES: seconds and share of all samples."""
    patterns = [(name, re.compile(pattern)) for name, pattern in CATEGORIES]
    seconds: dict[str, float] = defaultdict(float)
    frames: list[str] = []
    period = 0

    def flush() -> None:
        stack = "\n".join(frames)
        seconds[next(name for name, pattern in patterns if pattern.search(stack))] += period / 1e9

    with open(path, encoding="utf-8", errors="replace") as dump:
        for line in dump:
            if not line.strip():
                if frames or period:
                    flush()
                frames, period = [], 0
            elif line.startswith((" ", "\t")) and period:
                frames.append(line.strip())
            else:
                period = int(line.split()[-1])
    if frames or period:
        flush()
    total = sum(seconds.values())
    lines = [
        f"CPU {total:.2f} s in samples, by what the stack was doing:",
        "",
        "| step | CPU s | share |",
        "|---|---|---|",
    ]
    for name, spent in sorted(seconds.items(), key=lambda item: -item[1]):
        lines.append(f"| {name} | {spent:.2f} | {100 * spent / total:.1f}% |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path, nargs="?")
    parser.add_argument("--perf-script", type=Path, default=None, help="categorise this perf script dump instead")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--explain", action="store_true", help="also EXPLAIN ANALYZE the first batch's staging")
    args = parser.parse_args()
    if args.perf_script:
        print(perf_categories(args.perf_script))
        return
    if args.file is None:
        parser.error("a FILE to ingest, or --perf-script")
    instrument()
    with tempfile.TemporaryDirectory(dir=args.workdir, prefix="ingest-profile-") as tmp:
        db = Path(tmp) / "store.duckdb"
        started, cpu = time.perf_counter(), os.times()
        with step("open the store (schema)"):
            con = connect(db)
        with step("ingest_file"):
            outcome = load.ingest_file(con, args.file, blobs.blob_root(db), IngestLimits())
        with step("close the store (checkpoint)"):
            con.close()
        total, end = time.perf_counter() - started, os.times()
        print(outcome.summary())
        print(report(total, sum(end[:2]) - sum(cpu[:2])))
        if args.explain:
            print(explain_staging(args.file, Path(tmp)))


if __name__ == "__main__":
    main()
