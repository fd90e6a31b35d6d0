"""Crash-consistency soak: kill -9 `signins ingest`, `signins tag`, `signins pull` and `signins run` (the
nightly flow over files, which lands them in the store and undoes a run that died) at random moments,
rerun each to completion, and compare the store with an uninterrupted run's: every table's rows and
checksums, rows lost or doubled, the blob store, and files left behind.

Usage: scripts/soak [--trials 20] [--records 60000] [--pull-records 4000] [--seed N] [--work DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from reliability import snapshot, workload
from reliability.graph_server import GraphServer
from signins import PROJECT_ROOT

DB_NAME = "signins.duckdb"
OK_EXITS = (0, 5)  # 5: some records were quarantined (the resent file carries bad lines)
PULL_VOLATILE = frozenset({"path", "first_path"})  # the pull names its landing files after the run's time


@dataclass(frozen=True)
class Command:
    name: str
    args: tuple[str, ...]  # after `signins <name>`; --db is added
    start: Path | None = None  # a store folder copied as the starting state (None: no store yet)
    env: tuple[tuple[str, str], ...] = ()
    volatile: frozenset[str] = frozenset()
    progress_table: str = "signins"  # how far a killed run got: this table's rows
    # when to kill, as fractions of the uninterrupted run's time (a trial may run faster, so not to 1.0)
    kill_window: tuple[float, float] = (0.0, 0.8)

    def argv(self, db: Path) -> list[str]:
        return [sys.executable, "-m", "cli", self.name, *self.args, "--db", str(db)]

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNINS_")}
        return {**env, "DO_NOT_TRACK": "1", **dict(self.env)}


@dataclass
class Trial:
    command: str
    number: int
    kill_at: float
    killed: bool  # still running when the signal came
    progress: str  # rows of the progress table at the kill, of the uninterrupted run's
    rerun_exit: int
    rerun_seconds: float
    diffs: list[snapshot.TableDiff] = field(default_factory=list)
    blobs_equal: bool = False
    leftovers: list[str] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return sum(d.lost for d in self.diffs)

    @property
    def doubled(self) -> int:
        return sum(d.extra for d in self.diffs)

    @property
    def consistent(self) -> bool:
        return (
            self.rerun_exit in OK_EXITS and all(d.equal for d in self.diffs) and self.blobs_equal and not self.leftovers
        )


def prepare(command: Command, folder: Path) -> Path:
    """A fresh folder holding the command's starting state; returns its database path."""
    if folder.exists():
        shutil.rmtree(folder)
    if command.start:
        shutil.copytree(command.start, folder)
    else:
        folder.mkdir(parents=True)
    return folder / DB_NAME


def run(command: Command, db: Path) -> tuple[int, float]:
    """Run to completion: (exit code, seconds)."""
    began = time.monotonic()
    done = subprocess.run(
        command.argv(db),
        cwd=PROJECT_ROOT,
        env=command.environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=1800,
    )
    if done.returncode not in OK_EXITS:
        raise RuntimeError(f"signins {command.name} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return done.returncode, time.monotonic() - began


def killed_run(command: Command, db: Path, delay: float) -> bool:
    """Start the command and SIGKILL it after `delay` seconds; True if it was still running."""
    victim = subprocess.Popen(
        command.argv(db),
        cwd=PROJECT_ROOT,
        env=command.environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    running = victim.poll() is None
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=60)
    return running


def rows(db: Path, table: str) -> int | str:
    """A table's row count, read-only; what a killed run left is read as the next run would find it."""
    if not db.exists():
        return 0
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        return f"unreadable ({str(exc).splitlines()[0][:60]})"
    try:
        return con.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0]
    except duckdb.CatalogException:
        return 0
    finally:
        con.close()


def trial(command: Command, baseline: Path, seconds: float, folder: Path, number: int, rng: random.Random) -> Trial:
    db = prepare(command, folder)
    delay = rng.uniform(*command.kill_window) * seconds
    killed = killed_run(command, db, delay)
    progress = f"{rows(db, command.progress_table)}/{rows(baseline, command.progress_table)}"
    code, rerun_seconds = run(command, db)
    return Trial(
        command.name,
        number,
        delay,
        killed,
        progress,
        code,
        rerun_seconds,
        snapshot.compare_stores(baseline, db, snapshot.RUN_COLUMNS | command.volatile),
        snapshot.blob_digests(baseline) == snapshot.blob_digests(db),
        snapshot.leftovers(db),
    )


def soak_command(command: Command, folder: Path, trials: int, rng: random.Random) -> tuple[float, list[Trial]]:
    """The uninterrupted run (its seconds), then `trials` kill-and-rerun trials against it."""
    baseline = prepare(command, folder / "baseline")
    _, seconds = run(command, baseline)
    return seconds, [trial(command, baseline, seconds, folder / f"trial-{n}", n, rng) for n in range(1, trials + 1)]


def commands(work: Path, records: int, pull_records: int, server: GraphServer) -> list[Command]:
    """ingest (three exports), tag (the ingested store), pull (a fixed window from the Graph stand-in),
    run (the nightly flow over the three exports)."""
    exports = workload.write_exports(work / "inputs", records)
    since, until = workload.pull_window(pull_records)
    graph_env = (
        ("SIGNINS_GRAPH_BASE_URL", server.base_url),
        ("SIGNINS_GRAPH_TOKEN", "soak-token"),
        ("SIGNINS_TENANT_ID", "contoso"),
        ("SIGNINS_GRAPH_RATE_LIMIT", "10000/1"),
    )
    return [
        Command("ingest", tuple(str(p) for p in exports)),
        # tagging reads and computes first and writes in its last fifth: kill late to hit the writes too
        Command("tag", (), start=work / "ingest" / "baseline", progress_table="cause_tags", kill_window=(0.4, 0.9)),
        Command("pull", ("--since", since, "--until", until), env=graph_env, volatile=PULL_VOLATILE),
        # the flow's first seconds are Prefect's start-up: kill later, while it lands, gates and tags
        Command("run", ("--source", str(work / "inputs"), "--out", str(work / "run-report")), kill_window=(0.6, 0.9)),
    ]


def soak(
    work: Path,
    trials: int,
    records: int,
    pull_records: int,
    seed: int,
    only: tuple[str, ...] = (),
    on_trial=lambda t: None,
) -> dict[str, tuple[float, list[Trial]]]:
    """Every command's uninterrupted seconds and trials (ingest first: tag starts from its store)."""
    rng = random.Random(seed)
    results = {}
    with GraphServer(workload.graph_records(pull_records), max_page=50) as server:
        for command in commands(work, records, pull_records, server):
            wanted = not only or command.name in only
            if not wanted and not (command.name == "ingest" and "tag" in only):
                continue  # (tag starts from the uninterrupted ingest's store)
            seconds, done = soak_command(command, work / command.name, trials if wanted else 0, rng)
            for t in done:
                on_trial(t)
            if wanted:
                results[command.name] = (seconds, done)
    return results


HEADER = (
    f"{'command':8} {'trial':>5} {'kill at':>8} {'progress at kill':>17} {'rerun':>11} {'tables equal':>12} "
    f"{'lost':>5} {'doubled':>7} {'blobs':>6} {'leftovers':>9}  result"
)


def line(t: Trial) -> str:
    equal = f"{sum(d.equal for d in t.diffs)}/{len(t.diffs)}"
    kill = f"{t.kill_at:.2f} s" if t.killed else "finished"
    return (
        f"{t.command:8} {t.number:>5} {kill:>8} {t.progress:>17} {f'{t.rerun_exit} {t.rerun_seconds:.1f} s':>11} "
        f"{equal:>12} {t.lost:>5} {t.doubled:>7} {'same' if t.blobs_equal else 'DIFF':>6} {len(t.leftovers):>9}  "
        f"{'consistent' if t.consistent else 'INCONSISTENT'}"
    )


def summary(results: dict[str, tuple[float, list[Trial]]]) -> list[str]:
    out = []
    for name, (seconds, done) in results.items():
        killed = [t for t in done if t.killed]
        out.append(
            f"{name}: uninterrupted {seconds:.1f} s; {len(done)} trials, {len(killed)} killed mid-run, "
            f"{sum(t.consistent for t in done)} consistent; lost {sum(t.lost for t in done)}, "
            f"doubled {sum(t.doubled for t in done)}"
        )
    for t in (t for _, done in results.values() for t in done if not t.consistent):
        out += [
            f"  {t.command} #{t.number}: {d.table} rows {d.rows} lost {d.lost} extra {d.extra}"
            for d in t.diffs
            if not d.equal
        ] + [f"  {t.command} #{t.number}: left {f}" for f in t.leftovers]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20, help="kill-and-rerun trials per command (default 20)")
    parser.add_argument("--records", type=int, default=60_000, help="sign-ins in the ingested exports")
    parser.add_argument("--pull-records", type=int, default=4_000, help="sign-ins the Graph stand-in serves")
    parser.add_argument("--seed", type=int, default=None, help="random seed of the kill moments (default: random)")
    parser.add_argument("--only", default="", help="comma-separated commands (ingest, tag, pull, run; default all)")
    parser.add_argument(
        "--work", type=Path, default=None, help="keep the stores in this folder (default: a temporary one)"
    )
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    print(f"soak: {args.trials} trials per command, seed {seed}\n{HEADER}", flush=True)
    with tempfile.TemporaryDirectory(prefix="signins-soak-") as tmp:
        results = soak(
            args.work or Path(tmp),
            args.trials,
            args.records,
            args.pull_records,
            seed,
            tuple(filter(None, args.only.split(","))),
            on_trial=lambda t: print(line(t), flush=True),
        )
    print("\n".join(summary(results)))
    return 0 if all(t.consistent for _, done in results.values() for t in done) else 1


if __name__ == "__main__":
    sys.exit(main())
