"""Loading the privileged accounts of each tenant into the store (privileged_accounts) so that every tagging
run, the nightly one or a later `signins tag --full`, finds the same privileged lockouts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from signins.store.database import run_script


@dataclass(frozen=True)
class PrivilegedList:
    """What one source says are a tenant's privileged accounts: (user principal name, role names) each."""

    tenant_id: str
    accounts: tuple[tuple[str, tuple[str, ...]], ...]
    source: str  # graph or sample


def record(con: duckdb.DuckDBPyConnection, listed: PrivilegedList) -> int:
    """Replace what this source said of this tenant's privileged accounts; how many it lists now."""
    listed_privileged = pl.DataFrame(  # noqa: F841 (read by DuckDB)
        [(upn, list(roles)) for upn, roles in listed.accounts],
        schema={"user_principal_name": pl.String, "roles": pl.List(pl.String)},
        orient="row",
    )
    con.execute("CREATE OR REPLACE TEMP TABLE listed_privileged AS SELECT * FROM listed_privileged")
    run_script(con, "privileged/replace.sql", {"tenant_id": listed.tenant_id, "source": listed.source})
    con.execute("DROP TABLE listed_privileged")
    return len({upn.lower() for upn, _ in listed.accounts})


def from_tenant_file(path: Path) -> PrivilegedList:
    """The sample tenant's file (data/sample/tenant.json): its id and its privileged users with their roles."""
    tenant = json.loads(path.read_text(encoding="utf-8"))
    accounts = tuple((u["user_principal_name"], tuple(u.get("roles") or ())) for u in tenant["privileged_users"])
    return PrivilegedList(tenant["tenant_id"], accounts, "sample")
