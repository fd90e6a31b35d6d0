"""`signins evaluate`: how often the primary cause matches the cause a sign-in was generated from.

The ground truth is the simulator's (`data/sample/ground_truth.csv`: columns id and cause, and verdict
when it has one); on real data there is none, so this scores the engine, not a tenant.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl


def evaluate(tags: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """Per cause: expected, predicted and correct primary causes, with precision and recall."""
    joined = truth.select(pl.col("id").alias("signin_id"), pl.col("cause").alias("expected")).join(
        tags.select("signin_id", pl.col("primary_cause").alias("predicted")), on="signin_id", how="left"
    )
    causes = sorted(set(joined["expected"].drop_nulls()) | set(joined["predicted"].drop_nulls()))
    rows = []
    for cause in causes:
        correct = joined.filter((pl.col("expected") == cause) & (pl.col("predicted") == cause)).height
        predicted = joined.filter(pl.col("predicted") == cause).height
        expected = joined.filter(pl.col("expected") == cause).height
        rows.append(
            {
                "cause": cause,
                "expected": expected,
                "predicted": predicted,
                "correct": correct,
                "precision": correct / predicted if predicted else None,
                "recall": correct / expected if expected else None,
            }
        )
    return pl.DataFrame(rows)


VERDICTS = ["benign", "suspicious", "hostile"]


def verdict_matrix(tags: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """The verdicts' confusion matrix: one row per expected verdict, a column per verdict the engine gave
    (and `untagged` for a failure it did not tag), each cell a count of 500121 rows."""
    joined = truth.select(pl.col("id").alias("signin_id"), pl.col("verdict").alias("expected")).join(
        tags.select("signin_id", pl.col("verdict").alias("given")), on="signin_id", how="left"
    )
    given = pl.col("given").fill_null("untagged")
    return (
        pl.DataFrame({"expected": VERDICTS})
        .join(
            joined.group_by("expected").agg(
                [(given == verdict).sum().alias(verdict) for verdict in [*VERDICTS, "untagged"]]
            ),
            on="expected",
            how="left",
        )
        .fill_null(0)
    )


def score(con: duckdb.DuckDBPyConnection, truth: Path) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """The store's primary causes scored against a ground-truth CSV, and the verdicts' confusion matrix
    (None when the ground truth has no verdicts)."""
    tags = con.sql("SELECT signin_id, primary_cause, verdict FROM cause_tags").pl()
    expected = pl.read_csv(truth)
    matrix = verdict_matrix(tags, expected) if "verdict" in expected.columns else None
    return evaluate(tags, expected), matrix


def matrix_lines(matrix: pl.DataFrame | None) -> list[str]:
    """The verdicts' confusion matrix as a text table, then the share of verdicts that match."""
    if matrix is None:
        return ["verdicts: the ground truth has no verdict column"]
    columns = matrix.columns[1:]
    lines = ["verdict: expected (rows) by given (columns)", f"{'':12}" + "".join(f"{c:>11}" for c in columns)]
    lines += [f"{row[0]:12}" + "".join(f"{n:>11}" for n in row[1:]) for row in matrix.iter_rows()]
    total = sum(matrix[c].sum() for c in columns)
    agree = sum(matrix.filter(pl.col("expected") == v)[v].sum() for v in VERDICTS)
    lines.append(f"verdicts: {agree} of {total} match ({agree / max(total, 1):.1%})")
    return lines


def table_lines(scores: pl.DataFrame) -> list[str]:
    """The scores as a text table, then the overall share of matching primary causes."""

    def ratio(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    lines = [f"{'cause':22} {'expected':>8} {'predicted':>9} {'correct':>7} {'precision':>9} {'recall':>6}"]
    for row in scores.iter_rows(named=True):
        lines.append(
            f"{row['cause']:22} {row['expected']:>8} {row['predicted']:>9} {row['correct']:>7} "
            f"{ratio(row['precision']):>9} {ratio(row['recall']):>6}"
        )
    total, correct = scores["expected"].sum(), scores["correct"].sum()
    lines.append(f"overall: {correct} of {total} primary causes match ({correct / max(total, 1):.1%})")
    return lines
