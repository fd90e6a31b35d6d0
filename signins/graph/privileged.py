"""The privileged accounts of a tenant from Microsoft Graph: the user members of its directory roles
(`GET /directoryRoles?$expand=members`, RoleManagement.Read.Directory), kept in the store per tenant.

Only active role members are listed: accounts eligible through Privileged Identity Management, and the
members of role-assignable groups, are not; name those in the `privileged_accounts` setting.
"""

from __future__ import annotations

import json

import duckdb

from signins.graph.client import SigninsClient
from signins.graph.errors import GraphAccessError, GraphUnavailableError
from signins.ingest.privileged import PrivilegedList, record

USER = "#microsoft.graph.user"


def role_members(pages: list[bytes], tenant_id: str) -> PrivilegedList:
    """The user members of the roles in Graph's pages, each with the names of its roles."""
    accounts: dict[str, set[str]] = {}
    for body in pages:
        for role in json.loads(body or b"{}").get("value") or []:
            for member in role.get("members") or []:
                upn = member.get("userPrincipalName")
                if upn and member.get("@odata.type", USER) == USER:
                    accounts.setdefault(upn.lower(), set()).add(role.get("displayName") or "unnamed role")
    return PrivilegedList(
        tenant_id, tuple((upn, tuple(sorted(roles))) for upn, roles in sorted(accounts.items())), "graph"
    )


async def refresh(
    con: duckdb.DuckDBPyConnection, client: SigninsClient, tenant_id: str | None
) -> tuple[int | None, str | None]:
    """Pull the tenant's privileged accounts and keep them: (how many, None), or (None, a one-line warning)
    when Graph refuses or fails; the accounts kept before and the settings' then still count."""
    if not tenant_id:
        return None, "privileged accounts not pulled: set SIGNINS_TENANT_ID to keep them for their tenant"
    try:
        pages = await client.directory_roles()
    except (GraphAccessError, GraphUnavailableError) as exc:
        return None, (
            f"tenant {tenant_id}: Graph did not list the directory roles ({str(exc).split('[')[-1].rstrip(']')}); "
            "grant RoleManagement.Read.Directory to pull the privileged accounts; the ones kept before and the "
            "privileged_accounts setting still count"
        )
    return record(con, role_members(pages, tenant_id)), None
