"""Exports of the cause engine's tables, and its evaluation against a ground truth."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from signins.store import statements

EXPORTS = ("causes", "users", "policies")
FORMATS = ("csv", "json", "parquet")


def export_query(kind: str) -> str:
    """The SQL of one export, found by its `-- export: <kind>` comment."""
    for statement in statements("causes/40_exports.sql"):
        if f"-- export: {kind}\n" in statement + "\n":
            return statement
    raise KeyError(kind)


def export(con: duckdb.DuckDBPyConnection, kind: str, fmt: str, out: Path) -> int:
    """Write one export; returns the number of rows written."""
    frame = con.sql(export_query(kind)).pl()
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        frame.write_csv(out)
    elif fmt == "json":
        frame.write_json(out)
    else:
        frame.write_parquet(out)
    return frame.height


def evaluate(tags: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """Per cause: how often the primary cause matches the cause a sign-in was generated from."""
    joined = truth.select(pl.col("id").alias("signin_id"), pl.col("cause").alias("expected")).join(
        tags.select("signin_id", pl.col("primary_cause").alias("predicted")), on="signin_id", how="left")
    causes = sorted(set(joined["expected"].drop_nulls()) | set(joined["predicted"].drop_nulls()))
    rows = []
    for cause in causes:
        tp = joined.filter((pl.col("expected") == cause) & (pl.col("predicted") == cause)).height
        predicted = joined.filter(pl.col("predicted") == cause).height
        expected = joined.filter(pl.col("expected") == cause).height
        rows.append({"cause": cause, "expected": expected, "predicted": predicted, "correct": tp,
                     "precision": tp / predicted if predicted else None, "recall": tp / expected if expected else None})
    return pl.DataFrame(rows)
