"""The ingest grid: `signins ingest` against DuckDB's bare typed read of the same file, across record sizes
(3-15 KiB) and per-record diversity (a tenant's repeated values, or every value distinct).

Each cell is one file of Graph beta sign-ins as JSON lines: the simulator's sample tenant, its records
sized by the tenant's number of Conditional Access policies (and, below ~7 KiB, a `$select` of fewer
properties), with CA result lists, user agents, device ids and locations either as a tenant repeats
them or all distinct. Per cell and round, each in a fresh process with its start-up included:
`signins ingest FILE` into a new store, the anchor (one CREATE TABLE AS SELECT * FROM read_json with the
fields analysts key on, ANCHOR_COLUMNS) into a new database file, and `signins ingest` of the cell's
first 10,000 records. benchmarks/README.md says how to read the table.

Usage: .venv/bin/python benchmarks/ingest_grid.py [--records 50000] [--rounds 2] [--cells 5kb 5kb/ca ...]
       [--workdir DIR] [--data-dir DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import multiprocessing
import os
import random
import re
import shutil
import statistics
import tempfile
import uuid
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

import orjson

from benchmarks.pipeline import CHUNK_RECORDS, REPO, TYPED_COLUMNS, Contender, Measured, measure, warm_page_cache
from simulator.bulk import bulk_chunk
from simulator.catalog import APPS
from simulator.policies import ORDER, POLICIES, Policy, _entry, _mode

# The anchor: the fields analysts key on, typed, nothing else.
ANCHOR_COLUMNS = {
    "id": "VARCHAR",
    "createdDateTime": "TIMESTAMPTZ",
    "userPrincipalName": "VARCHAR",
    "userId": "VARCHAR",
    "ipAddress": "VARCHAR",
    "correlationId": "VARCHAR",
    "riskLevelDuringSignIn": "VARCHAR",
    "status": "STRUCT(errorCode INTEGER, failureReason VARCHAR, additionalDetails VARCHAR)",
    "location": "STRUCT(city VARCHAR, countryOrRegion VARCHAR, "
    "geoCoordinates STRUCT(latitude DOUBLE, longitude DOUBLE))",
    "deviceDetail": "STRUCT(deviceId VARCHAR, operatingSystem VARCHAR, browser VARCHAR, isCompliant BOOLEAN, "
    "isManaged BOOLEAN)",
    "appliedConditionalAccessPolicies": "STRUCT(id VARCHAR, displayName VARCHAR, result VARCHAR, "
    "enforcedGrantControls VARCHAR[])[]",
    "authenticationDetails": "STRUCT(authenticationMethod VARCHAR, succeeded BOOLEAN, "
    "authenticationStepResultDetail VARCHAR, authenticationStepRequirement VARCHAR)[]",
}
ANCHOR_SQL = (
    "CREATE TABLE signins AS SELECT * FROM read_json(?, format='newline_delimited', columns={"
    + ", ".join(f"'{name}': '{kind}'" for name, kind in ANCHOR_COLUMNS.items())
    + "})"
)

# What a pull with `$select` of the fields people look at returns: the pipeline ceiling's fields, with the
# event type (without it signins cannot tell an interactive sign-in from another) and the user's name.
SELECTED_PROPERTIES = frozenset(TYPED_COLUMNS) | {"signInEventTypes", "userDisplayName"}
# A record carries every property Graph beta returns when that leaves room for a tenant's usual policies.
FULL_RECORD_MIN_POLICIES = 10
MIN_POLICIES = 3  # room for the distinct lists' variants (DISTINCT_DIGIT_POLICIES)
CA_PROFILES = 300  # the distinct policy-result lists of a tenant's sign-ins
# A tenant's sign-ins by conditionalAccessStatus: the profiles come in these shares (the simulator's mix).
PROFILE_SHARES = {"success": 0.8, "failure": 0.13, "notApplied": 0.07}

DIMENSIONS = {
    "ca": "CA result lists",
    "ua": "user agents",
    "device": "device ids",
    "location": "locations (IP, coordinates)",
}
DEFAULT_CELLS = ["5kb", "5kb/ca", "9kb", "5kb/ua+device+location", "3kb", "15kb"]
END_TO_END_RECORDS = 10_000
SIMULATED_POLICIES = 20  # the simulator evaluates this many, for each sign-in's conditionalAccessStatus
INDEX_BITS = 15  # a record's index in the file: chunk << INDEX_BITS | position (a chunk holds < 2**15)
# Distinct lists: each record's index, in base 2**DIGIT_BITS, picks the conditions satisfied by that
# many policies (a subset of the flags other than the one not satisfied): 2**21 lists.
DIGIT_BITS = 7
DISTINCT_DIGIT_POLICIES = 3
PUBLIC_FIRST_OCTETS = (20, 40, 52, 73, 81, 91, 104, 151, 178, 185, 195, 212)


@dataclass(frozen=True)
class Cell:
    """One file of the grid: the records' target mean size, and the dimensions in which every record differs."""

    kb: float
    distinct: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str) -> Cell:
        """`5kb` (a tenant's repeated values), `5kb/ca` or `5kb/ua+device+location` (those all distinct)."""
        match = re.fullmatch(r"(\d+(?:\.\d+)?)kb(?:/([a-z+]+))?", text)
        dims = frozenset(match[2].split("+")) if match and match[2] else frozenset()
        if not match or not dims <= DIMENSIONS.keys():
            raise argparse.ArgumentTypeError(f"{text!r}: a cell is <KB>kb[/{'+'.join(DIMENSIONS)}]")
        if not 3 <= float(match[1]) <= 32:
            raise argparse.ArgumentTypeError(f"{text!r}: sizes go from 3 to 32 KiB")
        return cls(float(match[1]), dims)

    @property
    def name(self) -> str:
        size = f"{self.kb:g}kb"
        return size + ("/" + "+".join(d for d in DIMENSIONS if d in self.distinct) if self.distinct else "")

    @property
    def label(self) -> str:
        return (
            "realistic"
            if not self.distinct
            else "distinct " + ", ".join(DIMENSIONS[d] for d in DIMENSIONS if d in self.distinct)
        )


@dataclass(frozen=True)
class Layout:
    """How a cell's records reach their size: all of Graph's properties or the `$select`, and the tenant's policies."""

    full: bool
    policies: int


# The tenant's policies beyond the simulator's catalogue: kinds a large tenant adds per application.
EXTRA_POLICY_KINDS = [
    ("Require MFA for {}", ("application", "users"), ("Mfa",), (), "enabled"),
    (
        "Require compliant device for {}",
        ("application", "users", "devicePlatform"),
        ("RequireCompliantDevice",),
        (),
        "enabled",
    ),
    ("Block {} outside trusted locations", ("application", "users", "location"), ("Block",), (), "enabled"),
    ("Sign-in frequency 4 hours for {}", ("application", "users", "deviceState"), (), ("SignInFrequency",), "enabled"),
    (
        "Require MFA for risky sign-ins to {} (report-only)",
        ("application", "users", "signInRisk"),
        ("Mfa",),
        (),
        "reportOnly",
    ),
    ("Block legacy clients of {} (pilot)", ("application", "users", "clientType"), ("Block",), (), "disabled"),
]


@functools.cache
def tenant_policies(count: int) -> list[Policy]:
    """The simulator's policies, then per-application ones (not the simulator's disabled padding:
    a large tenant's policies apply, or not, to each sign-in)."""
    apps = sorted(APPS)
    extra = []
    for k in range(max(0, count - len(POLICIES))):
        name, conditions, grants, session, state = EXTRA_POLICY_KINDS[k % len(EXTRA_POLICY_KINDS)]
        app = apps[k // len(EXTRA_POLICY_KINDS) % len(apps)]
        number = len(POLICIES) + k + 1
        extra.append(Policy(number, name.format(app), [(c, None) for c in conditions], grants, session, state))
    return (POLICIES + extra)[:count]


def _policy_result(policy: Policy, result: str, rng: random.Random) -> dict:
    """One entry as Graph beta lists it; a policy that did not apply stopped at one of its conditions."""
    if policy.state == "disabled":
        return _entry(policy, "notEnabled", [], ["none"], [])
    names = [name for name, _ in policy.ordered]
    if result == "notApplied":
        stop = rng.randrange(len(names))
        return _entry(policy, _mode(policy, result), names[:stop], [names[stop]], list(policy.grants))
    return _entry(policy, _mode(policy, result), names, ["none"], list(policy.grants))


def _profile(policies: list[Policy], status: str, rng: random.Random) -> list[dict]:
    """A list of policy results whose enforced results give the sign-in's conditionalAccessStatus."""
    results = [rng.choices(("notApplied", "success", "failure"), (70, 27, 3))[0] for _ in policies]
    enforced = [n for n, p in enumerate(policies) if p.state == "enabled"]
    if status == "notApplied":
        for n in enforced:
            results[n] = "notApplied"
    elif status == "success":
        for n in enforced:
            results[n] = "success" if results[n] == "failure" else results[n]
        if not any(results[n] == "success" for n in enforced):
            results[rng.choice(enforced)] = "success"
    elif not any(results[n] == "failure" for n in enforced):
        results[rng.choice(enforced)] = "failure"
    return [_policy_result(p, r, rng) for p, r in zip(policies, results, strict=True)]


@functools.cache
def ca_profiles(count: int) -> dict[str, tuple[list[list[dict]], list[float]]]:
    """The tenant's CA_PROFILES distinct lists by conditionalAccessStatus, with cumulative weights: a few
    lists carry most sign-ins (Zipf), as in a tenant."""
    policies, rng = tenant_policies(count), random.Random(count)
    profiles: dict[str, tuple[list[list[dict]], list[float]]] = {}
    for status, share in PROFILE_SHARES.items():
        wanted, seen, lists = max(1, round(CA_PROFILES * share)), set(), []
        for _ in range(wanted * 50):  # a small tenant may not have that many distinct lists
            entries = _profile(policies, status, rng)
            key = orjson.dumps(entries)
            if key not in seen:
                seen.add(key)
                lists.append(entries)
                if len(lists) == wanted:
                    break
        profiles[status] = (lists, list(accumulate(1 / rank for rank in range(1, len(lists) + 1))))
    return profiles


def distinct_list(entries: list[dict], index: int) -> list[dict]:
    """The list made unique to record `index`: the index's digits pick the conditions satisfied by the
    first DISTINCT_DIGIT_POLICIES policies not disabled, each a subset of the flags other than the
    one it stopped at (so equal digits give equal lists, different digits different ones)."""
    entries = list(entries)
    open_policies = [n for n, e in enumerate(entries) if e["result"] != "notEnabled"][:DISTINCT_DIGIT_POLICIES]
    if len(open_policies) < DISTINCT_DIGIT_POLICIES or index >> (DIGIT_BITS * DISTINCT_DIGIT_POLICIES):
        raise ValueError("too few enabled policies (or records) for a distinct list per record")
    for position, n in enumerate(open_policies):
        digit = index >> (DIGIT_BITS * position) & (2**DIGIT_BITS - 1)
        flags = [flag for flag in ORDER if flag != entries[n]["conditionsNotSatisfied"]][:DIGIT_BITS]
        chosen = [flag for bit, flag in enumerate(flags) if digit >> bit & 1]
        entries[n] = {**entries[n], "conditionsSatisfied": ",".join(chosen) or "none"}
    return entries


def _distinct_agent(agent: str | None, index: int) -> str | None:
    """The agent with the last part of its last version number made the record's own (a build number)."""
    if not agent:
        return agent
    versions = list(re.finditer(r"\d+(?:\.\d+)+", agent))
    if not versions:
        return f"{agent}/{index}"
    last = versions[-1]
    return f"{agent[: last.start()]}{last[0].rpartition('.')[0]}.{index}{agent[last.end() :]}"


def _distinct_location(record: dict, index: int) -> dict:
    """A public IP and coordinates of the record's own (the same city, within ~10 km)."""
    octets = (PUBLIC_FIRST_OCTETS[index % len(PUBLIC_FIRST_OCTETS)], index >> 16 & 255, index >> 8 & 255, index & 255)
    changed = {"ipAddress": ".".join(map(str, octets))}
    location = record.get("location") or {}
    geo = location.get("geoCoordinates") or {}
    if geo.get("latitude") is not None:
        geo = {
            **geo,
            "latitude": round(geo["latitude"] + (index % 1000) / 10_000, 4),
            "longitude": round(geo["longitude"] + (index // 1000 % 1000) / 10_000, 4),
        }
        changed["location"] = {**location, "geoCoordinates": geo}
    return changed


def shaped(record: dict, index: int, cell: Cell, layout: Layout, rng: random.Random) -> dict:
    """A simulated sign-in with the cell's policy list, diversity and properties (a new dict)."""
    lists, weights = ca_profiles(layout.policies)[record["conditionalAccessStatus"]]
    entries = rng.choices(lists, cum_weights=weights)[0]
    out = {
        **record,
        "appliedConditionalAccessPolicies": distinct_list(entries, index) if "ca" in cell.distinct else entries,
    }
    if "ua" in cell.distinct:
        out["userAgent"] = _distinct_agent(record.get("userAgent"), index)
    if "device" in cell.distinct:
        digest = hashlib.md5(b"device:%d" % index, usedforsecurity=False).digest()
        out["deviceDetail"] = {
            **(record.get("deviceDetail") or {}),
            "deviceId": str(uuid.UUID(bytes=digest, version=4)),
        }
    if "location" in cell.distinct:
        out.update(_distinct_location(record, index))
    if not layout.full:
        out = {key: value for key, value in out.items() if key in SELECTED_PROPERTIES}
    return out


@functools.lru_cache(maxsize=2)
def _simulated(chunk: int) -> list[dict]:
    """One chunk of the simulator's sign-ins, kept for the next cells of the same chunk (never changed)."""
    return bulk_chunk(chunk, seed=1, ca_policies=SIMULATED_POLICIES)


def _cell_lines(job: tuple[Cell, Layout, int]) -> bytes:
    cell, layout, chunk = job
    rng = random.Random(chunk)  # the same draws in every cell: cells differ by their knobs only
    return b"".join(
        orjson.dumps(shaped(record, chunk << INDEX_BITS | n, cell, layout, rng)) + b"\n"
        for n, record in enumerate(_simulated(chunk))
    )


def layout_for(kb: float) -> Layout:
    """The record layout nearest `kb` KiB on average: the tenant's policy count, with all properties when
    that leaves room for FULL_RECORD_MIN_POLICIES of them, else the `$select`."""
    sample = _simulated(0)[:2000]
    lists = statistics.mean(len(orjson.dumps(r["appliedConditionalAccessPolicies"])) for r in sample)

    def nearest(properties: frozenset[str] | None) -> int:
        kept = [{k: v for k, v in r.items() if properties is None or k in properties} for r in sample]
        base = statistics.mean(len(orjson.dumps(r)) for r in kept) - lists
        sizes = {}
        count = MIN_POLICIES
        while True:  # sizes grow with the count
            sizes[count] = base + statistics.mean(len(orjson.dumps(e)) for e in ca_profiles(count)["success"][0])
            if sizes[count] >= kb * 1024:
                return min(sizes, key=lambda c: abs(sizes[c] - kb * 1024))
            count += 1

    count = nearest(None)
    return Layout(True, count) if count >= FULL_RECORD_MIN_POLICIES else Layout(False, nearest(SELECTED_PROPERTIES))


def generate(paths: dict[Cell, Path], layouts: dict[Cell, Layout], records: int) -> None:
    """Write each cell's file of `records` sign-ins. The simulator's chunks are made on every core, a
    chunk per core at a time, each worker going through the cells of its chunk (it keeps the chunk; the
    workers are forked after layout_for made chunk 0)."""
    cores = os.cpu_count() or 1
    handles = {cell: open(path, "wb") for cell, path in paths.items()}
    try:
        with multiprocessing.Pool(cores) as pool:
            written, chunk = 0, 0
            while written < records:
                chunks = range(chunk, chunk + min(cores, -(-(records - written) // CHUNK_RECORDS)))
                jobs = [(cell, layouts[cell], c) for cell in paths for c in chunks]
                for (cell, _, _), text in zip(jobs, pool.imap(_cell_lines, jobs), strict=True):
                    handles[cell].write(text)
                    if cell == jobs[0][0]:
                        written += text.count(b"\n")
                chunk += len(chunks)
    finally:
        for handle in handles.values():
            handle.close()
    for path in paths.values():
        truncate_lines(path, records)


def truncate_lines(path: Path, records: int) -> None:
    """Keep the first `records` lines of the file."""
    with open(path, "r+b") as fh:
        for _ in range(records):
            if not fh.readline():
                raise ValueError(f"{path} holds fewer than {records} lines")
        fh.truncate()


def first_lines(source: Path, target: Path, records: int) -> None:
    with open(source, "rb") as src, open(target, "wb") as dst:
        for _, line in zip(range(records), src, strict=False):
            dst.write(line)


SIGNINS_INGEST = Contender(
    "ingest",
    "signins ingest",
    "import re, subprocess, sys",
    """
run = subprocess.run([sys.executable, "-m", "cli", "ingest", DATA, "--db", DB], capture_output=True, text=True)
summary = re.search(r"(\\d+) new sign-ins, (\\d+) record\\(s\\) quarantined", run.stdout)
assert run.returncode == 0 and summary and summary[2] == "0", run.stdout[-3000:] + run.stderr[-3000:]
rows = int(summary[1])
""",
)
ANCHOR = Contender(
    "ingest",
    "anchor: DuckDB typed read_json",
    "import subprocess, sys",
    """
script = "import duckdb, sys; con = duckdb.connect(sys.argv[2]); con.execute('SET enable_progress_bar = false'); " \\
    "con.execute(sys.argv[3], [sys.argv[1]]); print(con.execute('SELECT count(*) FROM signins').fetchone()[0]); " \\
    "con.close()"
run = subprocess.run([sys.executable, "-c", script, DATA, DB, ANCHOR_SQL], capture_output=True, text=True, check=True)
rows = int(run.stdout)
""",
)


@dataclass(frozen=True)
class Job:
    """A contender on a cell's whole file, or on its first END_TO_END_RECORDS records (`first`)."""

    cell: Cell
    contender: Contender
    first: bool = False

    def name(self, records: int) -> str:
        return (
            f"{self.contender.name}, first {min(records, END_TO_END_RECORDS):,} records"
            if self.first
            else self.contender.name
        )


def jobs_of(cells: list[Cell]) -> list[Job]:
    return [
        job for cell in cells for job in (Job(cell, SIGNINS_INGEST), Job(cell, ANCHOR), Job(cell, SIGNINS_INGEST, True))
    ]


@dataclass
class Run:
    """One measurement: a job in a round, and the bytes of JSON it read."""

    round: int
    job: Job
    measured: Measured
    size: int


def run_round(number: int, cells: list[Cell], files: dict[tuple[Cell, bool], Path], work: Path, env: dict) -> list[Run]:
    """Every job once, each on a new store; odd rounds go in the reverse order, so that a drift of the
    host's speed within a round weighs on no contender (and no cell) more than on another."""
    jobs = jobs_of(cells)
    runs = []
    for job in jobs if number % 2 == 0 else jobs[::-1]:
        data = files[job.cell, job.first]
        records = sum(1 for _ in open(data, "rb"))
        warm_page_cache(data)
        folder = work / f"round-{number}"
        folder.mkdir()
        variables = {
            "DATA": str(data),
            "DB": str(folder / "store.duckdb"),
            "RECORDS": records,
            "ANCHOR_SQL": ANCHOR_SQL,
        }
        measured = measure(job.contender, variables, env)
        shutil.rmtree(folder)
        if measured.rows != records:
            raise SystemExit(f"{job.cell.name} / {job.name(records)}: {measured.rows} of {records} records stored")
        runs.append(Run(number, job, measured, data.stat().st_size))
        print(
            f"  {job.cell.name} / {job.name(records)}: {measured.seconds:.2f} s, {measured.peak_rss_mib:,.0f} MiB",
            flush=True,
        )
    return runs


def median_ratio(runs: list[Run], numerator: Job, denominator: Job) -> float:
    """The median over rounds of numerator's seconds over denominator's in the same round."""
    seconds = {(r.round, r.job): r.measured.seconds for r in runs}
    return statistics.median(seconds[n, numerator] / seconds[n, denominator] for n in sorted({r.round for r in runs}))


def table(runs: list[Run], cells: list[Cell], layouts: dict[Cell, Layout], records: int) -> str:
    """The grid as markdown: a row per cell and job, then each distinct cell against the realistic one."""
    rounds = len({r.round for r in runs})
    lines = [
        f"Ingest grid: {records:,} Graph beta sign-ins per cell, {os.cpu_count()} cores, DuckDB memory limit "
        f"{os.environ.get('SIGNINS_DUCKDB_MEMORY_LIMIT') or 'default (80% of RAM)'}; every contender in a fresh "
        "process, start-up included."
        + (
            f" Medians of {rounds} rounds run in turn (range of the seconds in brackets); ratios are medians of "
            "the per-round ratios."
            if rounds > 1
            else ""
        ),
        "",
        "| cell | diversity | KiB/record | CA policies | contender | seconds | MB/s | records/s | CPU s "
        "| peak RSS MiB | vs anchor |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for job in jobs_of(cells):
        mine = [r for r in runs if r.job == job]
        seconds = [r.measured.seconds for r in mine]
        median = statistics.median(seconds)
        spread = f" ({min(seconds):.2f}-{max(seconds):.2f})" if rounds > 1 else ""
        rows, size, layout = mine[0].measured.rows, mine[0].size, layouts[job.cell]
        vs_anchor = "-" if job.first else f"{median_ratio(runs, Job(job.cell, ANCHOR), job):.2f}x"
        lines.append(
            f"| {job.cell.name} | {job.cell.label} | {size / rows / 1024:.1f} ({'all' if layout.full else '$select'}) "
            f"| {layout.policies} | {job.name(records)} | {median:.2f}{spread} | {size / 1e6 / median:,.0f} "
            f"| {rows / median:,.0f} | {statistics.median(r.measured.cpu_seconds for r in mine):.1f} "
            f"| {max(r.measured.peak_rss_mib for r in mine):,.0f} | {vs_anchor} |"
        )
    pairs = [(cell, next((c for c in cells if c.kb == cell.kb and not c.distinct), None)) for cell in cells]
    pairs = [(cell, realistic) for cell, realistic in pairs if cell.distinct and realistic]
    if pairs:
        lines += [
            "",
            "Every record distinct against the realistic cell of the same size: how much longer each takes.",
            "",
            "| distinct | KiB | signins ingest | anchor |",
            "|---|---|---|---|",
        ]
        for cell, realistic in pairs:
            ingest, anchor = (median_ratio(runs, Job(cell, c), Job(realistic, c)) for c in (SIGNINS_INGEST, ANCHOR))
            lines.append(f"| {cell.label.removeprefix('distinct ')} | {cell.kb:g} | {ingest:.2f}x | {anchor:.2f}x |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=50_000, help="sign-ins per cell (default 50,000)")
    parser.add_argument("--rounds", type=int, default=2, help="every measurement this many times, in turn")
    parser.add_argument(
        "--cells",
        nargs="+",
        type=Cell.parse,
        default=[Cell.parse(c) for c in DEFAULT_CELLS],
        help=f"<KB>kb[/dimension+...], dimensions {', '.join(DIMENSIONS)} (default: {' '.join(DEFAULT_CELLS)})",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="where the stores (and the data) go")
    parser.add_argument("--data-dir", type=Path, default=None, help="keep the generated files here, or reuse them")
    parser.add_argument("--out", type=Path, default=None, help="default: benchmarks/results/ingest-grid-<N>.md")
    args = parser.parse_args()
    # A size's cells one after another, the realistic one first: a distinct cell is compared with the
    # realistic one measured next to it, in the same round.
    cells = sorted(dict.fromkeys(args.cells), key=lambda cell: (cell.kb, len(cell.distinct), cell.name))
    label = f"{args.records // 1000}k" if args.records % 1000 == 0 else str(args.records)
    out = args.out or REPO / "benchmarks" / "results" / f"ingest-grid-{label}.md"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.workdir, prefix="ingest-grid-") as tmp:
        work = Path(tmp)
        env["SIGNINS_DUCKDB_TEMP_DIRECTORY"] = str(work / "spill")
        data_dir = args.data_dir or work
        data_dir.mkdir(parents=True, exist_ok=True)
        layouts = {cell: layout_for(cell.kb) for cell in cells}
        whole = {cell: data_dir / f"{cell.name.replace('/', '-')}-{label}.ndjson" for cell in cells}
        missing = {cell: path for cell, path in whole.items() if not path.exists()}
        if missing:
            print(f"generating {', '.join(c.name for c in missing)}: {args.records:,} records each", flush=True)
            generate(missing, layouts, args.records)
        paths = {(cell, False): path for cell, path in whole.items()}
        for cell in cells:  # the first records of each file, to time a small ingest end to end
            paths[cell, True] = work / f"{cell.name.replace('/', '-')}-first.ndjson"
            first_lines(whole[cell], paths[cell, True], END_TO_END_RECORDS)
        runs = []
        for number in range(args.rounds):
            print(f"round {number + 1} of {args.rounds}", flush=True)
            runs += run_round(number, cells, paths, work, env)
    report = table(runs, cells, layouts, args.records)
    print(report)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report + "\n")
    print(
        json.dumps(
            [
                {
                    "round": r.round,
                    "cell": r.job.cell.name,
                    "contender": r.job.name(args.records),
                    "seconds": r.measured.seconds,
                    "cpu_seconds": r.measured.cpu_seconds,
                    "peak_rss_mib": r.measured.peak_rss_mib,
                    "rows": r.measured.rows,
                    "bytes": r.size,
                }
                for r in runs
            ]
        )
    )


if __name__ == "__main__":
    main()
