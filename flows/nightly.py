"""The nightly run: source -> staging store -> validation gates -> store -> cause tags and findings ->
dashboards -> run summary and alerts (the shared steps are in flows/steps.py).

The source is Microsoft Graph (`signins pull`, incremental, every tenant) or files (the bundled
sample, or a file or folder of exports). `signins run` runs this flow once, now; `signins serve` and
prefect.yaml schedule it nightly.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from prefect import flow, get_run_logger, task

from flows.steps import Landed, run
from signins import PROJECT_ROOT, blobs
from signins.graph.fleet import TENANT_ERRORS, TenantResult
from signins.graph.pull import PullOutcome
from signins.load import expand_paths, ingest_paths
from signins.settings import Settings, env
from signins.staging import create_staging, discard, merge_staging
from signins.store import connect

SAMPLE = PROJECT_ROOT / "data" / "sample"
REPORT_DIR = PROJECT_ROOT / "data" / "report"


def resolve_source(source: str) -> list[Path]:
    """The files a source names: `sample` (the bundled tenant) or a file or folder of exports."""
    if source == "sample":
        return [SAMPLE / "signins"]
    return [Path(source)]


def privileged_accounts(source: str) -> list[str]:
    """The sample tenant names its privileged accounts; other sources use the thresholds file."""
    if source != "sample":
        return []
    return [u["user_principal_name"] for u in json.loads((SAMPLE / "tenant.json").read_text())["privileged_users"]]


@task(name="land-files")
def land_files(paths: list[Path], db_path: Path) -> Landed:
    """Land files into a store's raw layer and normalised tables (idempotent)."""
    settings = Settings(db_path=db_path)
    files, _ = expand_paths(paths)
    con = connect(db_path, settings.duckdb_memory_limit)
    try:
        logger = get_run_logger()
        outcomes = ingest_paths(con, files, blobs.blob_root(db_path), settings.limits,
                                on_file=lambda outcome: logger.info(outcome.summary()))
    finally:
        con.close()
    return Landed([(o.path.name, o.format, o.records, o.new_signins, o.quarantined) for o in outcomes],
                  sum(o.already_ingested for o in outcomes))


def _graph_unavailable(task, task_run, state) -> bool:
    """Retry a tenant's pull only when Graph was unavailable; access and settings errors need a person."""
    from signins.graph.errors import GraphUnavailableError

    return isinstance(state.result(raise_on_failure=False), GraphUnavailableError)


# The network step, one run per tenant, the only task retried (SIGNINS_PULL_TASK_RETRY_DELAYS).
@task(name="pull-graph-tenant", task_run_name="pull-graph-{name}", retry_condition_fn=_graph_unavailable)
def pull_graph_tenant(db_path: Path, tenants_file: Path | None, name: str, since: datetime | None = None,
                      until: datetime | None = None) -> PullOutcome:
    """Pull one tenant from Microsoft Graph (resumable: a retry continues where the last try stopped)."""
    from signins.graph.fleet import pull_one
    from signins.graph.settings import GraphSettings
    from signins.graph.tenants import load_tenants, select

    tenant = select(load_tenants(tenants_file), name)[0] if tenants_file else None
    con = connect(db_path)
    try:
        outcome = pull_one(con, db_path, tenant, GraphSettings.from_env(), since, until)
    finally:
        con.close()
    logger = get_run_logger()
    for event_type in outcome.event_types:
        logger.info("%s %s", name, event_type.summary())
    for warning in outcome.warnings:
        logger.warning(warning)
    return outcome


def pull_graph(db_path: Path, since: datetime | None = None, until: datetime | None = None) -> Landed:
    """Pull every tenant of $SIGNINS_TENANTS_FILE (else the one SIGNINS_* describe), each in its own task;
    several tenants fan out on Dask ($SIGNINS_DASK_SCHEDULER), each into a staging store of its own."""
    from signins.graph.settings import GraphSettings
    from signins.graph.tenants import load_tenants

    tenants_file = Path(env("SIGNINS_TENANTS_FILE")) if env("SIGNINS_TENANTS_FILE") else None
    names = [t.name for t in load_tenants(tenants_file)] if tenants_file else ["default"]
    delays = list(GraphSettings.from_env().task_retry_delays)
    pull = pull_graph_tenant.with_options(retries=len(delays), retry_delay_seconds=delays or 0)
    scheduler = Settings(db_path=db_path).dask_scheduler
    if len(names) > 1 and scheduler != "off":
        states = pull_partitions(db_path, names, scheduler, pull, tenants_file, since, until)
    else:
        states = {name: pull(db_path, tenants_file, name, since, until, return_state=True) for name in names}
    landed = Landed([])
    for name in names:
        result = _tenant_result(name, states[name])
        landed.tenants.append(result)
        landed.rows += [(f"Graph {name} {e.event_type}", "graph/page", e.records, e.new_signins, e.quarantined)
                        for e in (result.outcome.event_types if result.outcome else [])]
    return landed


def pull_partitions(staging: Path, names: list[str], scheduler: str, pull, tenants_file: Path | None,
                    since: datetime | None, until: datetime | None) -> dict:
    """Pull each tenant into a partition of its own (a staging store seeded from `staging`), all at once
    on Dask, then merge every partition into `staging`: the same store one tenant after another gives."""
    partitions = {name: staging.with_name(f"{staging.stem}-{name}.duckdb") for name in names}
    con = connect(staging)
    try:
        for partition in partitions.values():
            create_staging(con, partition)
    finally:
        con.close()
    states = pull_tenants.with_options(task_runner=dask_task_runner(scheduler))(pull, tenants_file, partitions,
                                                                                since, until)
    con = connect(staging)
    try:
        for partition in partitions.values():   # failed tenants too: the pages they committed count
            merge_staging(con, partition)
            discard(partition)
    finally:
        con.close()
    return states


@flow(name="pull-tenants")
def pull_tenants(pull, tenants_file: Path | None, partitions: dict[str, Path], since: datetime | None,
                 until: datetime | None) -> dict:
    """The tenants' pulls submitted to the flow's task runner together; their final states by name."""
    futures = {name: pull.submit(partition, tenants_file, name, since, until) for name, partition in partitions.items()}
    for future in futures.values():
        future.wait()
    return {name: future.state for name, future in futures.items()}


def dask_task_runner(scheduler: str):
    """`local`: a Dask cluster on this machine, one single-threaded worker process per core; else the
    address of a running Dask scheduler (tcp://host:8786)."""
    from prefect_dask import DaskTaskRunner

    if scheduler == "local":
        return DaskTaskRunner(cluster_kwargs={"n_workers": os.cpu_count() or 1, "threads_per_worker": 1,
                                              "dashboard_address": None})
    return DaskTaskRunner(address=scheduler)


def _tenant_result(name: str, state) -> TenantResult:
    """The tenant's outcome, or its one-line Graph or settings error; anything else is a bug and is raised."""
    if state.is_completed():
        return TenantResult(name, outcome=state.result())
    error = state.result(raise_on_failure=False)
    if not isinstance(error, TENANT_ERRORS):
        raise error
    return TenantResult(name, error=error)


@flow(name="nightly")
def nightly(source: str = "sample", db_path: str | None = None, preset: str | None = None,
            out: str | None = None) -> dict:
    """Run the nightly pipeline once over a source (`graph`, `sample` or a path); returns the run's totals."""
    db = Path(db_path) if db_path else Settings().db_path
    land = pull_graph if source == "graph" else (lambda staging: land_files(resolve_source(source), staging))
    return run(db, land, preset=preset, privileged=privileged_accounts(source), out=Path(out) if out else REPORT_DIR,
               graph_window=source == "graph")
