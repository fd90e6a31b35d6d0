"""The operator vocabulary of the cause rules: each operator builds a polars expression."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl

from transforms.vocabulary import phrases_of


def texts(value) -> list:
    return value if isinstance(value, list) else [value]


def _any_text(test: Callable[[pl.Expr, str], pl.Expr]) -> Callable[[pl.Expr, Any], pl.Expr]:
    """A case-insensitive string test that is true when any of the given texts passes."""
    return lambda col, value: pl.any_horizontal([test(col.str.to_lowercase(), t.lower()) for t in texts(value)])


@dataclass(frozen=True)
class Op:
    """One operator: how to build it, what value it takes, which columns it applies to."""

    build: Callable[[pl.Expr, Any], pl.Expr]
    value: str
    columns: str


# The operator vocabulary. A new operator is one row here (and one line in tests/test_rules.py).
OPERATORS: dict[str, Op] = {
    "equals": Op(lambda c, v: c == v, "scalar", "scalar"),
    "not_equals": Op(lambda c, v: c != v, "scalar", "scalar"),
    "in": Op(lambda c, v: c.is_in(v), "scalars", "scalar"),
    "in_i": Op(lambda c, v: c.str.to_lowercase().is_in([t.lower() for t in texts(v)]), "texts", "string"),
    "gte": Op(lambda c, v: c >= v, "number", "number"),
    "gt": Op(lambda c, v: c > v, "number", "number"),
    "lte": Op(lambda c, v: c <= v, "number", "number"),
    "lt": Op(lambda c, v: c < v, "number", "number"),
    "is_true": Op(lambda c, v: c, "flag", "bool"),
    "is_false": Op(lambda c, v: ~c, "flag", "bool"),
    "is_null": Op(lambda c, v: c.is_null(), "flag", "any"),
    "not_null": Op(lambda c, v: c.is_not_null(), "flag", "any"),
    "contains_i": Op(_any_text(lambda s, t: s.str.contains(t, literal=True)), "texts", "string"),
    "startswith_i": Op(_any_text(lambda s, t: s.str.starts_with(t)), "texts", "string"),
    "endswith_i": Op(_any_text(lambda s, t: s.str.ends_with(t)), "texts", "string"),
    "matches": Op(lambda c, v: c.str.contains(v), "pattern", "string"),
    # The normalised result phrase is one transforms/vocabulary.csv gives as evidence of this cause: the
    # whole phrase, never a part of it.
    "says": Op(lambda c, v: c.is_in(phrases_of(v)), "cause_of_phrases", "string"),
    # List operators compare exactly: list items are enum values (statuses, risk types, error codes).
    "list_contains": Op(lambda c, v: pl.any_horizontal([c.list.contains(x) for x in texts(v)]), "one_or_more", "list"),
    "list_any_endswith": Op(
        lambda c, v: c.list.eval(pl.any_horizontal([pl.element().str.ends_with(t) for t in texts(v)])).list.any(),
        "texts",
        "string_list",
    ),
    "list_not_empty": Op(lambda c, v: c.list.len() > 0, "flag", "list"),
    # Not empty, and every item is one of the values (the only risk detected is unfamiliar properties).
    "list_only": Op(
        lambda c, v: (c.list.len() > 0) & c.list.eval(pl.element().is_in(texts(v))).list.all(), "texts", "string_list"
    ),
}
