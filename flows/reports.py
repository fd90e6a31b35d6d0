"""The sites a run writes for a store of several tenants: a Prefect task per tenant, submitted together to
the Dask task runner the pulls use ($SIGNINS_DASK_SCHEDULER), then the overview that links them.

Kept apart from flows/steps.py, like flows/pulls.py: a Dask worker imports this module to write a site,
and should not also import Great Expectations.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from prefect import flow, task


@task(name="write-tenant-site", task_run_name="write-site-{folder}")
def write_tenant_site(db: Path, out: Path, since: datetime, until: datetime, tenant: str, folder: str) -> int:
    """One tenant's site, in its folder of `out`, over the window every site shows; its pages written."""
    from dashboards.site import build_report

    return len(build_report(db, out / folder, since, until, None, tenant).pages)


@flow(name="tenant-sites")
def write_tenant_sites(
    db: Path, out: Path, since: datetime, until: datetime, folders: list[tuple[str, str]]
) -> list[int]:
    """Every tenant's site, submitted to the flow's task runner together; the pages each wrote, in order."""
    futures = [write_tenant_site.submit(db, out, since, until, tenant, folder) for tenant, folder in folders]
    return [future.result() for future in futures]
