"""`signins export`: the cause engine's tables as CSV, JSON or Parquet, one query per export in sql/export/."""

from __future__ import annotations

from pathlib import Path

import duckdb

from signins.store.database import query

EXPORTS = ("causes", "users", "policies")
FORMATS = ("csv", "json", "parquet")


def export(con: duckdb.DuckDBPyConnection, kind: str, fmt: str, out: Path) -> int:
    """Write one export (`sql/export/<kind>.sql`); returns the number of rows written."""
    if kind not in EXPORTS:
        raise KeyError(kind)
    frame = query(con, f"export/{kind}.sql").pl()
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        frame.write_csv(out)
    elif fmt == "json":
        frame.write_json(out)
    else:
        frame.write_parquet(out)
    return frame.height
