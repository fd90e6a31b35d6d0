"""The nightly run: source -> store (files; Graph through a staging store) -> validation gates -> cause
tags and findings -> dashboards -> run summary and alerts (the shared steps are in flows/steps.py).

The source is Microsoft Graph (`signins pull`, incremental, every tenant) or files (the bundled
sample, or a file or folder of exports). `signins run` runs this flow once, now; `signins serve` and
prefect.yaml schedule it nightly.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from prefect import flow, get_run_logger, task

from flows.pulls import Chunk, configured_tenants_file, dask_task_runner, pull_chunks, pull_task, tenant_names
from flows.steps import Landed, LandedSource, run
from signins import PROJECT_ROOT
from signins.graph.fleet import TENANT_ERRORS, TenantResult
from signins.graph.pull import pulls_root
from signins.ingest import blobs
from signins.ingest.load import expand_paths, ingest_paths
from signins.ingest.privileged import PrivilegedList, from_tenant_file
from signins.ingest.staging import create_staging, discard, merge_staging
from signins.settings import Settings
from signins.store.database import connect

SAMPLE = PROJECT_ROOT / "data" / "sample"
REPORT_DIR = PROJECT_ROOT / "data" / "report"


def resolve_source(source: str) -> list[Path]:
    """The files a source names: `sample` (the bundled tenant) or a file or folder of exports."""
    if source == "sample":
        return [SAMPLE / "signins"]
    return [Path(source)]


def privileged_accounts(source: str) -> PrivilegedList | None:
    """The sample tenant names its privileged accounts; other sources use the store's and the settings'."""
    return from_tenant_file(SAMPLE / "tenant.json") if source == "sample" else None


@task(name="land-files")
def land_files(paths: list[Path], db_path: Path, run: str | None = None) -> Landed:
    """Land files into a store's raw layer and normalised tables (idempotent), as `run` (signins.runs.landing)."""
    settings = Settings(db_path=db_path)
    files, _ = expand_paths(paths)
    con = connect(db_path)
    try:
        logger = get_run_logger()
        outcomes = ingest_paths(
            con,
            files,
            blobs.blob_root(db_path),
            settings.limits,
            on_file=lambda outcome: logger.info(outcome.summary()),
            run=run,
        )
    finally:
        con.close()
    sources = [
        LandedSource(o.path.name, o.format, o.records, o.new_signins, o.quarantined)
        for o in outcomes
        if not o.unreadable
    ]
    unreadable = [o.summary() for o in outcomes if o.unreadable]
    return Landed(sources, sum(o.already_ingested for o in outcomes), unreadable=unreadable)


def pull_graph(db_path: Path, since: datetime | None = None, until: datetime | None = None) -> Landed:
    """Pull every tenant of $SIGNINS_TENANTS_FILE (else the one SIGNINS_* describe), each in its own task;
    several tenants fan out on Dask ($SIGNINS_DASK_SCHEDULER), each into a partition store of its own."""
    chunks = [Chunk(name, since, until) for name in tenant_names()]
    if not fans_out(db_path, chunks):
        pull, path = pull_task(), configured_tenants_file()
        states = [pull(db_path, path, chunk.tenant, since, until, return_state=True) for chunk in chunks]
        return landed_from([_tenant_result(chunk.tenant, state) for chunk, state in zip(chunks, states, strict=True)])
    paths = {chunk: partition_path(db_path, chunk.tenant) for chunk in chunks}
    try:
        return pull_partitions(db_path, paths).land(db_path, chunks)
    finally:
        discard_partitions(paths)


def landed_from(results: list[TenantResult]) -> Landed:
    """What the tenants' pulls brought: a row per tenant and event type, and every tenant's result."""
    sources = [
        LandedSource(f"Graph {r.name} {e.event_type}", "graph/page", e.records, e.new_signins, e.quarantined)
        for r in results
        for e in (r.outcome.event_types if r.outcome else [])
    ]
    return Landed(sources, tenants=list(results))


@dataclass
class Partitions:
    """Chunks pulled at once on Dask, each into a partition store of its own, waiting to be merged."""

    paths: dict[Chunk, Path]
    started: datetime  # before any pull: the watermarks they moved are newer
    results: dict[Chunk, TenantResult]

    def land(self, staging: Path, chunks: list[Chunk]) -> Landed:
        """Merge the chunks' partitions into `staging` in order (failed tenants' too: the pages they
        committed count): the staging store the chunks pulled one after another would give."""
        con = connect(staging)
        try:
            for chunk in chunks:
                merge_staging(con, self.paths[chunk])
        finally:
            con.close()
        return landed_from([self.results[chunk] for chunk in chunks])


def pull_partitions(seed: Path, paths: dict[Chunk, Path]) -> Partitions:
    """Pull each chunk into its partition (a staging store seeded from the store at `seed`), all at once on
    Dask ($SIGNINS_DASK_SCHEDULER). The caller discards the partitions."""
    started = datetime.now(UTC)
    con = connect(seed)
    try:
        for path in paths.values():
            create_staging(con, path)
    finally:
        con.close()
    runner = dask_task_runner(Settings(db_path=seed).dask_scheduler)
    states = pull_chunks.with_options(task_runner=runner)(pull_task(), configured_tenants_file(), list(paths.items()))
    for path in paths.values():
        _drop_seeded_watermarks(path, started)
    results = {chunk: _tenant_result(chunk.tenant, state) for chunk, state in zip(paths, states, strict=True)}
    return Partitions(paths, started, results)


def _drop_seeded_watermarks(partition: Path, started: datetime) -> None:
    """A partition starts with all the store's watermarks; merged as they are, a copy its pull did not move
    would overwrite the one another partition (another tenant's, an earlier day's) moved. Only its own stay."""
    con = connect(partition)
    try:
        con.execute("DELETE FROM pull_watermarks WHERE updated_at < ?", [started])
    finally:
        con.close()


def fans_out(db_path: Path, chunks: list[Chunk]) -> bool:
    """Whether the chunks are pulled at once on Dask: more than one, and $SIGNINS_DASK_SCHEDULER is not `off`."""
    return len(chunks) > 1 and Settings(db_path=db_path).dask_scheduler != "off"


def partition_path(staging: Path, tenant: str) -> Path:
    """Where a tenant's pull for the staging store at `staging` lands when pulls fan out."""
    return staging.with_name(f"{staging.stem}-{tenant}.duckdb")


def discard_partitions(paths: dict[Chunk, Path]) -> None:
    """The partitions and their pulls' folders (a page a failed pull left there is in its partition
    already, or beyond the watermark it moved: read again by the next pull)."""
    for path in paths.values():
        discard(path)
        shutil.rmtree(pulls_root(path), ignore_errors=True)


def _tenant_result(name: str, state) -> TenantResult:
    """The tenant's outcome, or its one-line Graph or settings error; anything else is a bug and is raised."""
    if state.is_completed():
        return TenantResult(name, outcome=state.result())
    error = state.result(raise_on_failure=False)
    if not isinstance(error, TENANT_ERRORS):
        raise error
    return TenantResult(name, error=error)


@flow(name="nightly")
def nightly(
    source: str = "sample", db_path: str | None = None, preset: str | None = None, out: str | None = None
) -> dict:
    """Run the nightly pipeline once over a source (`graph`, `sample` or a path); returns the run's totals."""
    db = Path(db_path) if db_path else Settings().db_path
    common = {"preset": preset, "privileged": privileged_accounts(source), "out": Path(out) if out else REPORT_DIR}
    if source == "graph":
        return run(db, pull_graph, graph_window=True, **common)
    return run(db, partial(land_files, resolve_source(source)), in_place=True, **common)
