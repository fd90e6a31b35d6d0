"""Pull several tenants (an MSSP's): one after another, each failure confined to its tenant."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from signins.errors import SigninsError
from signins.graph.errors import GraphAccessError, GraphSettingsError, GraphUnavailableError
from signins.graph.pull import PullOutcome, pull_tenant
from signins.graph.settings import GraphSettings
from signins.graph.tenants import Tenant

TENANT_ERRORS = (GraphSettingsError, GraphAccessError, GraphUnavailableError)
# The exit code of a run where several tenants failed: first what needs a person (a tenant's settings,
# then access), last what a plain rerun resumes (Graph unavailable).
SEVERITY = (GraphSettingsError.exit_code, GraphAccessError.exit_code, GraphUnavailableError.exit_code)


@dataclass
class TenantResult:
    name: str
    outcome: PullOutcome | None = None
    error: SigninsError | None = None

    @property
    def line(self) -> str:
        """`OK name: ...` or `FAILED name: reason`: what the command prints for the tenant."""
        if self.error is not None:
            return f"FAILED {self.name}: {self.error}"
        o = self.outcome
        return (
            f"OK {self.name}: {o.pages} page(s), {o.records} records, {o.new_signins} new sign-ins, "
            f"{o.quarantined} quarantined"
        )


class TenantsFailedError(SigninsError):
    """Some tenants could not be pulled; the others were. Exit code: the most severe of their failures."""

    def __init__(self, failed: list[TenantResult], total: int) -> None:
        codes = {r.error.exit_code for r in failed}
        self.exit_code = next(code for code in SEVERITY if code in codes)
        super().__init__(f"{len(failed)} of {total} tenant(s) failed: {', '.join(r.name for r in failed)}")


def run_sync(coroutine):
    """asyncio.run, also from a thread already running an event loop (a notebook, playwright's sync API)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(1) as worker:
        return worker.submit(asyncio.run, coroutine).result()


def pull_one(
    con: duckdb.DuckDBPyConnection,
    db_path: Path,
    tenant: Tenant | None,
    base: GraphSettings,
    since: datetime | None = None,
    until: datetime | None = None,
) -> PullOutcome:
    """Pull one tenant of the file (or, with None, the tenant the SIGNINS_* settings describe)."""
    settings = tenant.settings(base) if tenant else base
    return run_sync(pull_tenant(con, db_path, settings, since, until))


def pull_tenants(
    con: duckdb.DuckDBPyConnection,
    db_path: Path,
    tenants: list[Tenant],
    base: GraphSettings,
    since: datetime | None = None,
    until: datetime | None = None,
    on_result: Callable[[TenantResult], None] | None = None,
) -> list[TenantResult]:
    """Pull every tenant in turn; a tenant's Graph or settings error is kept in its result, not raised."""
    results = []
    for tenant in tenants:
        try:
            result = TenantResult(tenant.name, outcome=pull_one(con, db_path, tenant, base, since, until))
        except TENANT_ERRORS as exc:
            result = TenantResult(tenant.name, error=exc)
        results.append(result)
        if on_result:
            on_result(result)
    return results


def raise_for_failures(results: list[TenantResult]) -> None:
    """TenantsFailedError when any tenant failed."""
    failed = [r for r in results if r.error is not None]
    if failed:
        raise TenantsFailedError(failed, len(results))
