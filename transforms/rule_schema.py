"""Validation of rule files against their schema: every problem with its place in the file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from transforms.columns import ALL_COLUMNS, frame_of
from transforms.operators import OPERATORS, texts
from transforms.thresholds import Thresholds
from transforms.vocabulary import NO_CAUSE
from transforms.vocabulary import causes as vocabulary_causes

REQUIRED_KEYS = (
    "id", "priority", "title", "fix", "policy_advice", "evidence", "verdict", "when", "confidence", "tests",
)  # fmt: skip
VERDICTS = ("benign", "suspicious", "hostile")  # least to most serious
# quote: columns the evidence shows beside those the condition reads; gives_way: later causes that explain
# the failure better when they fire too
OPTIONAL_KEYS = ("quote", "gives_way")


def _is_scalar(v) -> bool:
    return isinstance(v, (str, int, float, bool))


def _is_pattern(v) -> bool:
    try:
        pl.select(pl.lit("").str.contains(v))
    except pl.exceptions.ComputeError:
        return False
    return True


# Value kind -> (check, description for the error message, setting kinds it accepts).
VALUE_KINDS: dict[str, tuple[Callable[[Any], bool], str, set[str]]] = {
    "scalar": (_is_scalar, "a string, number or boolean", {"number"}),
    "scalars": (lambda v: isinstance(v, list) and v and all(map(_is_scalar, v)), "a non-empty list", {"texts"}),
    "one_or_more": (lambda v: _is_scalar(v) or VALUE_KINDS["scalars"][0](v), "a value or a list", {"texts"}),
    "number": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "a number", {"number"}),
    "flag": (lambda v: v is True, "true", set()),
    "texts": (
        lambda v: all(isinstance(t, str) for t in texts(v)) and v != [],
        "a string or a list of strings",
        {"texts"},
    ),
    "pattern": (lambda v: isinstance(v, str) and _is_pattern(v), "a valid regular expression", set()),
    "cause_of_phrases": (
        lambda v: isinstance(v, str) and v in vocabulary_causes() - {NO_CAUSE},
        "a cause that transforms/vocabulary.csv gives phrases for",
        set(),
    ),
}

COLUMN_KINDS: dict[str, Callable[[pl.DataType], bool]] = {
    "any": lambda d: True,
    "scalar": lambda d: not isinstance(d, pl.List),
    "string": lambda d: d == pl.String,
    "number": lambda d: d.is_numeric(),
    "bool": lambda d: d == pl.Boolean,
    "list": lambda d: isinstance(d, pl.List),
    "string_list": lambda d: d == pl.List(pl.String),
}

# Setting name -> kind, from the Thresholds annotations; mappings cannot be compared with.
SETTING_KINDS = {
    f.name: {"int": "number", "float": "number", "tuple[str, ...]": "texts"}.get(f.type, "table")
    for f in fields(Thresholds)
}

Problem = tuple[tuple, str]  # (place in the document as keys and indices, message)


def _check_value(op: str, value, place: tuple) -> list[Problem]:
    """Problems with an operator's value, which may be a {setting: name} reference."""
    check, wanted, setting_kinds = VALUE_KINDS[OPERATORS[op].value]
    if isinstance(value, dict) and set(value) == {"setting"}:
        kind = SETTING_KINDS.get(value["setting"])
        if kind is None:
            known = ", ".join(name for name, kind in SETTING_KINDS.items() if kind != "table")
            return [(place, f"unknown setting {value['setting']!r}; known: {known}")]
        return [] if kind in setting_kinds else [(place, f"setting {value['setting']!r} is not {wanted}")]
    return [] if check(value) else [(place, f"{op} needs {wanted}, got {value!r}")]


def _check_leaf(node: dict, place: tuple) -> list[Problem]:
    """Problems with one {field: <column>, <operator>: <value>} leaf."""
    ops = sorted(set(node) - {"field"})
    if "field" not in node or len(ops) != 1:
        return [(place, f"a leaf is {{field: <column>, <operator>: <value>}}, got keys {sorted(node)}")]
    op, column = ops[0], node["field"]
    if op not in OPERATORS:
        return [(place + (op,), f"unknown operator {op!r}; known: {', '.join(OPERATORS)}")]
    if column not in ALL_COLUMNS:
        return [(place + ("field",), f"unknown column {column!r} (the contract is transforms/FEATURES.md)")]
    if not COLUMN_KINDS[OPERATORS[op].columns](ALL_COLUMNS[column]):
        return [(place + (op,), f"{op} does not apply to {column} ({ALL_COLUMNS[column]})")]
    return _check_value(op, node[op], place + (op,))


def _check_when(node, place: tuple, fallback_ok: bool) -> list[Problem]:
    """Problems anywhere in a condition tree."""
    if not isinstance(node, dict) or not node:
        return [(place, "a condition is a mapping: all / any / not / fallback, or {field, <operator>}")]
    key = next(iter(node))
    if len(node) == 1 and key in ("all", "any"):
        if not isinstance(node[key], list) or not node[key]:
            return [(place + (key,), "needs a non-empty list of conditions")]
        return [p for i, child in enumerate(node[key]) for p in _check_when(child, place + (key, i), fallback_ok)]
    if len(node) == 1 and key == "not":
        return _check_when(node["not"], place + ("not",), fallback_ok)
    if len(node) == 1 and key == "fallback":
        ok = fallback_ok and node["fallback"] is True
        return [] if ok else [(place, "fallback: true is allowed only in a rule's when")]
    return _check_leaf(node, place)


def _check_confidence(spec) -> list[Problem]:
    """Problems with {base: 0..1, boosts: [{when, add}]}."""
    if not isinstance(spec, dict) or set(spec) - {"base", "boosts"} or "base" not in spec:
        return [(("confidence",), "confidence is {base: 0..1, boosts: [{when: ..., add: ...}]}")]
    problems = (
        []
        if VALUE_KINDS["number"][0](spec["base"]) and 0 <= spec["base"] <= 1
        else [(("confidence", "base"), "base must be a number from 0 to 1")]
    )
    for i, boost in enumerate(spec.get("boosts") or []):
        place = ("confidence", "boosts", i)
        if not isinstance(boost, dict) or set(boost) != {"when", "add"} or not VALUE_KINDS["number"][0](boost["add"]):
            problems.append((place, "a boost is {when: <condition>, add: <number>}"))
        else:
            problems += _check_when(boost["when"], place + ("when",), fallback_ok=False)
    return problems


def _check_verdict(spec) -> list[Problem]:
    """Problems with {is: benign|suspicious|hostile, reason: text, unless: [{when, is, reason}]}: what a
    failure with this cause says about an attack, and the conditions that make it more serious."""
    shape = "verdict is {is: benign|suspicious|hostile, reason: text, unless: [{when: ..., is: ..., reason: ...}]}"
    if not isinstance(spec, dict) or set(spec) - {"is", "reason", "unless"} or {"is", "reason"} - set(spec):
        return [(("verdict",), shape)]
    problems = []
    cases = [(("verdict",), spec)] + [(("verdict", "unless", i), c) for i, c in enumerate(spec.get("unless") or [])]
    for place, case in cases:
        if not isinstance(case, dict) or case.get("is") not in VERDICTS:
            problems.append((place, f"a verdict is one of {', '.join(VERDICTS)}"))
        elif not (isinstance(case.get("reason"), str) and case["reason"].strip()):
            problems.append((place, "a verdict needs a one-line reason"))
        elif place != ("verdict",):
            if set(case) != {"when", "is", "reason"}:
                problems.append((place, shape))
            else:
                problems += _check_when(case["when"], place + ("when",), fallback_ok=False)
    return problems


def _check_tests(tests) -> list[Problem]:
    """Problems with the rule's own test events."""
    if not isinstance(tests, list):
        return [(("tests",), "tests is a list of {name, expect: match|no_match, event: {column: value}}")]
    problems = []
    for i, case in enumerate(tests):
        if (
            not isinstance(case, dict)
            or set(case) != {"name", "expect", "event"}
            or case["expect"] not in ("match", "no_match")
            or not isinstance(case["event"], dict)
        ):
            problems.append((("tests", i), "a test is {name, expect: match|no_match, event: {column: value}}"))
            continue
        if [c["name"] for c in tests if isinstance(c, dict)].count(case["name"]) > 1:
            problems.append((("tests", i, "name"), f"test name {case['name']!r} is used twice"))
        try:
            frame_of([case["event"]])
        except (ValueError, TypeError) as error:  # unknown column or a value of the wrong type
            problems.append((("tests", i, "event"), str(error).splitlines()[0]))
    return problems


def check_document(doc, stem: str) -> list[Problem]:
    """Problems with one parsed rule file."""
    if not isinstance(doc, dict):
        return [((), "a rule file is a mapping with keys " + ", ".join(REQUIRED_KEYS))]
    problems = [((), f"missing key {k!r}") for k in REQUIRED_KEYS if k not in doc]
    problems += [((k,), f"unknown key {k!r}") for k in doc if k not in REQUIRED_KEYS + OPTIONAL_KEYS]
    problems += _check_quote(doc.get("quote", []))
    problems += _check_gives_way(doc.get("gives_way", []))
    if doc.get("id") != stem:
        problems.append((("id",), f"{doc.get('id')!r} must equal the file name {stem!r}"))
    if not isinstance(doc.get("priority"), int) or isinstance(doc.get("priority"), bool):
        problems.append((("priority",), "priority must be a whole number"))
    problems += [
        ((k,), f"{k} must be non-empty text")
        for k in ("title", "fix", "evidence")
        if k in doc and not (isinstance(doc[k], str) and doc[k].strip())
    ]
    problems += _check_when(doc.get("when"), ("when",), fallback_ok=True) if "when" in doc else []
    problems += _check_confidence(doc["confidence"]) if "confidence" in doc else []
    problems += _check_verdict(doc["verdict"]) if "verdict" in doc else []
    return problems + (_check_tests(doc["tests"]) if "tests" in doc else [])


ESCALATION_KEYS = {"id", "when", "is", "reason", "tests"}


def check_escalations(doc) -> list[Problem]:
    """Problems with the escalations file: a list of {id, when, is: suspicious|hostile, reason, tests}, the
    conditions that make any failure at least that serious whatever its cause."""
    if not isinstance(doc, list):
        return [((), "the escalations file is a list of {id, when, is, reason, tests}")]
    problems: list[Problem] = []
    ids = [e.get("id") for e in doc if isinstance(e, dict)]
    for i, item in enumerate(doc):
        if not isinstance(item, dict) or set(item) != ESCALATION_KEYS:
            problems.append(((i,), "an escalation is {id, when, is, reason, tests}"))
            continue
        if not isinstance(item["id"], str) or ids.count(item["id"]) > 1:
            problems.append(((i, "id"), "an escalation needs an id of its own"))
        if item["is"] not in VERDICTS[1:]:
            problems.append(((i, "is"), f"an escalation brings one of {', '.join(VERDICTS[1:])}"))
        if not (isinstance(item["reason"], str) and item["reason"].strip()):
            problems.append(((i, "reason"), "an escalation needs a one-line reason"))
        problems += [((i, *place), message) for place, message in _check_when(item["when"], ("when",), False)]
        problems += [((i, *place), message) for place, message in _check_tests(item["tests"])]
    return problems


def _check_gives_way(ways) -> list[Problem]:
    """`gives_way` is a list of {to: <cause id>, when: <condition>} (`when` optional)."""
    if not isinstance(ways, list):
        return [(("gives_way",), "gives_way is a list of {to: <cause id>, when: <condition>}")]
    problems: list[Problem] = []
    for i, way in enumerate(ways):
        if not isinstance(way, dict) or not isinstance(way.get("to"), str) or set(way) - {"to", "when"}:
            problems.append((("gives_way", i), "gives way is {to: <cause id>, when: <condition>}"))
        elif "when" in way:
            problems += _check_when(way["when"], ("gives_way", i, "when"), fallback_ok=False)
    return problems


def _check_quote(quote) -> list[Problem]:
    """`quote` is a list of known columns."""
    if not isinstance(quote, list):
        return [(("quote",), "quote must be a list of columns")]
    return [
        (("quote", i), f"unknown column {column!r} (the contract is transforms/FEATURES.md)")
        for i, column in enumerate(quote)
        if column not in ALL_COLUMNS
    ]


def _line_of(node: yaml.Node | None, place: tuple) -> int:
    """The 1-based line of the deepest YAML node along place (keys and indices)."""
    line = node.start_mark.line + 1 if node else 1
    for step in place:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def where(path: Path, node, place: tuple) -> str:
    dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in place).lstrip(".")
    return f"{path}:{_line_of(node, place)}" + (f": {dotted}" if dotted else "")
