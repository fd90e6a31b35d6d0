"""The Graph pulls a run fans out: a Prefect task per tenant and window, submitted together to a Dask
task runner ($SIGNINS_DASK_SCHEDULER) or run one after another (flows/nightly.py, flows/backfill.py).

Kept apart from flows/steps.py: a Dask worker imports this module to run a pull, and should not also
import Great Expectations and the dashboards (seconds per worker, every run on a local cluster).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from prefect import flow, get_run_logger, task

from signins.graph.pull import PullOutcome
from signins.settings import env
from signins.store.database import connect


@dataclass(frozen=True)
class Chunk:
    """One tenant's pull of [since, until) (None: from its watermark, to now)."""

    tenant: str
    since: datetime | None = None
    until: datetime | None = None


def _graph_unavailable(task, task_run, state) -> bool:
    """Retry a tenant's pull only when Graph was unavailable; access and settings errors need a person."""
    from signins.graph.errors import GraphUnavailableError

    return isinstance(state.result(raise_on_failure=False), GraphUnavailableError)


# The network step, one run per tenant, the only task retried (SIGNINS_PULL_TASK_RETRY_DELAYS).
@task(name="pull-graph-tenant", task_run_name="pull-graph-{name}", retry_condition_fn=_graph_unavailable)
def pull_graph_tenant(
    db_path: Path, tenants_file: Path | None, name: str, since: datetime | None = None, until: datetime | None = None
) -> PullOutcome:
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


def configured_tenants_file() -> Path | None:
    """$SIGNINS_TENANTS_FILE, when set."""
    return Path(env("SIGNINS_TENANTS_FILE")) if env("SIGNINS_TENANTS_FILE") else None


def tenant_names() -> list[str]:
    """The tenants of $SIGNINS_TENANTS_FILE; without one, `default`: the tenant SIGNINS_* describe."""
    from signins.graph.tenants import load_tenants

    path = configured_tenants_file()
    return [t.name for t in load_tenants(path)] if path else ["default"]


def pull_task():
    """pull_graph_tenant, retried as $SIGNINS_PULL_TASK_RETRY_DELAYS says."""
    from signins.graph.settings import GraphSettings

    delays = list(GraphSettings.from_env().task_retry_delays)
    return pull_graph_tenant.with_options(retries=len(delays), retry_delay_seconds=delays or 0)


@flow(name="pull-chunks")
def pull_chunks(pull, tenants_file: Path | None, partitions: list[tuple[Chunk, Path]]) -> list:
    """The chunks' pulls, each into its partition, submitted to the flow's task runner together; their final
    states, in order. (A list: Prefect serialises a flow's parameters, and a dict's keys must be strings.)"""
    futures = [pull.submit(path, tenants_file, chunk.tenant, chunk.since, chunk.until) for chunk, path in partitions]
    for future in futures:
        future.wait()
    return [future.state for future in futures]


def dask_task_runner(scheduler: str):
    """`local`: a Dask cluster on this machine, one single-threaded worker process per core; else the
    address of a running Dask scheduler (tcp://host:8786)."""
    from prefect_dask import DaskTaskRunner

    if scheduler == "local":
        return DaskTaskRunner(
            cluster_kwargs={"n_workers": os.cpu_count() or 1, "threads_per_worker": 1, "dashboard_address": None}
        )
    return DaskTaskRunner(address=scheduler)
