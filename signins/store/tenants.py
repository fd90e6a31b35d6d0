"""One tenant's view of the store: everything a command reads, of that tenant only.

A store can hold several tenants (an MSSP's). `scope_to_tenant` shadows every table that has a
`tenant_id` column with a temporary view of that tenant's rows, on one connection, so that every query
the command runs (exports, explain, the dashboards' SQL) sees one tenant without a filter of its own:
a query that forgot the tenant cannot let another tenant's data through. Tables without a tenant (runs,
tagging state, the content-addressed policy lists) are shared by design and stay as they are.
"""

from __future__ import annotations

import duckdb

from signins.errors import SigninsError
from signins.text import printable

TENANT_TABLES = """
SELECT c.table_name, t.table_type = 'BASE TABLE' AS has_rowid
FROM information_schema.columns AS c
JOIN information_schema.tables AS t USING (table_catalog, table_schema, table_name)
WHERE c.table_catalog = current_database() AND c.table_schema = 'main' AND c.column_name = 'tenant_id'
ORDER BY c.table_name
"""


class UnknownTenant(SigninsError):
    exit_code = 2


def tenants(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The tenants with sign-ins in the store, in order."""
    return [t for (t,) in con.execute("SELECT DISTINCT tenant_id FROM signins ORDER BY 1").fetchall()]


def require_tenant(con: duckdb.DuckDBPyConnection, tenant: str) -> None:
    """Raises UnknownTenant, naming the store's tenants, when the store has no sign-in of `tenant`."""
    known = tenants(con)
    if tenant not in known:
        shown = ", ".join(printable(t) or "''" for t in known) or "none"
        raise UnknownTenant(f"tenant {printable(tenant)!r}: no sign-in of it in the store (its tenants: {shown})")


def scope_to_tenant(con: duckdb.DuckDBPyConnection, tenant: str | None) -> None:
    """From now on, this connection reads only `tenant`'s rows (nothing changes for None); raises
    UnknownTenant when the store has no sign-in of it."""
    if tenant is None:
        return
    require_tenant(con, tenant)
    database = con.execute("SELECT current_database()").fetchall()[0][0].replace('"', '""')
    literal = "'" + tenant.replace("'", "''") + "'"  # a view takes no parameters
    for table, has_rowid in con.execute(TENANT_TABLES).fetchall():
        rowid = ", rowid AS rowid" if has_rowid else ""  # kept: queries pick rows by it (the report's scope)
        con.execute(
            f'CREATE OR REPLACE TEMP VIEW "{table}" AS '
            f'SELECT *{rowid} FROM "{database}".main."{table}" WHERE tenant_id = {literal}'
        )
