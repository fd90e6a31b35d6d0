"""`signins export`: the cause engine's tables as CSV, JSON or Parquet, one query per export in sql/export/.

User, app and policy names are chosen by whoever signs in, and a spreadsheet runs a cell that starts
like a formula. So a CSV export neutralises such cells as OWASP's CSV-injection guidance says: a text
cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'` (a spreadsheet then
shows it as text), unless the whole cell is a number. JSON and Parquet keep the values as they are.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from signins.errors import StoreError
from signins.store.database import query
from signins.text import shown_path

EXPORTS = ("causes", "users", "policies")
FORMATS = ("csv", "json", "parquet")
FORMULA_START = r"^[=+\-@\t\r]"
NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text cell a spreadsheet would run as a formula, prefixed with `'`; numbers stay numbers."""
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(FORMULA_START) & ~pl.col(name).str.contains(NUMBER))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    )


def export(con: duckdb.DuckDBPyConnection, kind: str, fmt: str, out: Path) -> int:
    """Write one export (`sql/export/<kind>.sql`); returns the number of rows written."""
    if kind not in EXPORTS:
        raise KeyError(kind)
    frame = query(con, f"export/{kind}.sql").pl()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            neutralise_formulas(frame).write_csv(out)
        elif fmt == "json":
            frame.write_json(out)
        else:
            frame.write_parquet(out)
    except OSError as exc:
        raise StoreError(f"{shown_path(out)}: cannot write the export: {exc.strerror or exc}") from exc
    return frame.height
