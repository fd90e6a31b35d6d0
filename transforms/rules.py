"""Cause rules as data: load transforms/rules/<cause id>.yaml, validate them, compile them to polars."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from signins.errors import SigninsError
from transforms.columns import ALL_COLUMNS, frame_of
from transforms.thresholds import Thresholds

RULES_DIR = Path(__file__).with_name("rules")
REQUIRED_KEYS = ("id", "priority", "title", "fix", "evidence", "when", "confidence", "tests")


class RuleFileError(SigninsError):
    """Rule files are invalid; the message lists every problem as `path:line: place: message`."""

    exit_code = 2

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in rule files:\n" + "\n".join(problems))


def _texts(value) -> list:
    return value if isinstance(value, list) else [value]


def _any_text(test: Callable[[pl.Expr, str], pl.Expr]) -> Callable[[pl.Expr, Any], pl.Expr]:
    """A case-insensitive string test that is true when any of the given texts passes."""
    return lambda col, value: pl.any_horizontal([test(col.str.to_lowercase(), t.lower()) for t in _texts(value)])


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
    "in_i": Op(lambda c, v: c.str.to_lowercase().is_in([t.lower() for t in _texts(v)]), "texts", "string"),
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
    # List operators compare exactly: list items are enum values (statuses, risk types, error codes).
    "list_contains": Op(lambda c, v: pl.any_horizontal([c.list.contains(x) for x in _texts(v)]), "one_or_more", "list"),
    "list_any_endswith": Op(
        lambda c, v: c.list.eval(pl.any_horizontal([pl.element().str.ends_with(t) for t in _texts(v)])).list.any(),
        "texts", "string_list"),
    "list_not_empty": Op(lambda c, v: c.list.len() > 0, "flag", "list"),
}


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
    "texts": (lambda v: all(isinstance(t, str) for t in _texts(v)) and v != [], "a string or a list of strings",
              {"texts"}),
    "pattern": (lambda v: isinstance(v, str) and _is_pattern(v), "a valid regular expression", set()),
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
SETTING_KINDS = {f.name: {"int": "number", "float": "number", "tuple[str, ...]": "texts"}.get(f.type, "table")
                 for f in fields(Thresholds)}

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
    problems = [] if VALUE_KINDS["number"][0](spec["base"]) and 0 <= spec["base"] <= 1 else [
        (("confidence", "base"), "base must be a number from 0 to 1")]
    for i, boost in enumerate(spec.get("boosts") or []):
        place = ("confidence", "boosts", i)
        if not isinstance(boost, dict) or set(boost) != {"when", "add"} or not VALUE_KINDS["number"][0](boost["add"]):
            problems.append((place, "a boost is {when: <condition>, add: <number>}"))
        else:
            problems += _check_when(boost["when"], place + ("when",), fallback_ok=False)
    return problems


def _check_tests(tests) -> list[Problem]:
    """Problems with the rule's own test events."""
    if not isinstance(tests, list):
        return [(("tests",), "tests is a list of {name, expect: match|no_match, event: {column: value}}")]
    problems = []
    for i, case in enumerate(tests):
        if not isinstance(case, dict) or set(case) != {"name", "expect", "event"} or case["expect"] not in (
                "match", "no_match") or not isinstance(case["event"], dict):
            problems.append((("tests", i), "a test is {name, expect: match|no_match, event: {column: value}}"))
            continue
        if [c["name"] for c in tests if isinstance(c, dict)].count(case["name"]) > 1:
            problems.append((("tests", i, "name"), f"test name {case['name']!r} is used twice"))
        try:
            frame_of([case["event"]])
        except (ValueError, TypeError) as error:  # unknown column or a value of the wrong type
            problems.append((("tests", i, "event"), str(error).splitlines()[0]))
    return problems


def _check_document(doc, stem: str) -> list[Problem]:
    """Problems with one parsed rule file."""
    if not isinstance(doc, dict):
        return [((), "a rule file is a mapping with keys " + ", ".join(REQUIRED_KEYS))]
    problems = [((), f"missing key {k!r}") for k in REQUIRED_KEYS if k not in doc]
    problems += [((k,), f"unknown key {k!r}") for k in doc if k not in REQUIRED_KEYS]
    if doc.get("id") != stem:
        problems.append((("id",), f"{doc.get('id')!r} must equal the file name {stem!r}"))
    if not isinstance(doc.get("priority"), int) or isinstance(doc.get("priority"), bool):
        problems.append((("priority",), "priority must be a whole number"))
    problems += [((k,), f"{k} must be non-empty text") for k in ("title", "fix", "evidence")
                 if k in doc and not (isinstance(doc[k], str) and doc[k].strip())]
    problems += _check_when(doc.get("when"), ("when",), fallback_ok=True) if "when" in doc else []
    problems += _check_confidence(doc["confidence"]) if "confidence" in doc else []
    return problems + (_check_tests(doc["tests"]) if "tests" in doc else [])


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


def _where(path: Path, node, place: tuple) -> str:
    dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in place).lstrip(".")
    return f"{path}:{_line_of(node, place)}" + (f": {dotted}" if dotted else "")


def _leaves(node: dict):
    """Every leaf of a validated condition tree ({field, op} leaves and the fallback marker), in order."""
    for key in ("all", "any"):
        for child in node.get(key, []):
            yield from _leaves(child)
    if "not" in node:
        yield from _leaves(node["not"])
    if "field" in node or "fallback" in node:
        yield node


def _fields_of(node: dict) -> list[str]:
    """Columns a condition tree reads, in order of first appearance."""
    return list(dict.fromkeys(leaf["field"] for leaf in _leaves(node) if "field" in leaf))


@dataclass(frozen=True)
class Rule:
    """One cause rule, as read from its YAML file."""

    id: str
    priority: int
    title: str
    fix: str
    evidence: str
    when: dict
    confidence_spec: dict
    tests: list
    source: Path

    @property
    def is_fallback(self) -> bool:
        """True for the rule that applies when no other rule does."""
        return any(leaf.get("fallback") is True for leaf in _leaves(self.when))

    @property
    def fields(self) -> set[str]:
        """Every column the rule reads, in its condition and its confidence boosts."""
        boosts = [b["when"] for b in self.confidence_spec.get("boosts") or []]
        return set(_fields_of(self.when)).union(*map(_fields_of, boosts))

    def condition(self, thresholds: Thresholds, others: pl.Expr | None = None) -> pl.Expr:
        """Boolean expression: the cause applies. The fallback rule needs `others` (any other rule applies)."""
        if self.is_fallback and others is None:
            raise ValueError(f"{self.source}: the fallback rule needs the other rules' conditions; use evaluate()")
        return compile_when(self.when, thresholds, others)

    def confidence(self, thresholds: Thresholds) -> pl.Expr:
        """Float expression: base plus the boosts whose condition holds, kept within 0..1."""
        boosts = [pl.when(compile_when(b["when"], thresholds, None)).then(pl.lit(float(b["add"]))).otherwise(0.0)
                  for b in self.confidence_spec.get("boosts") or []]
        return pl.sum_horizontal([pl.lit(float(self.confidence_spec["base"])), *boosts]).clip(0.0, 1.0)


def _resolve(value, thresholds: Thresholds):
    """A literal value, or the named threshold for {setting: name}."""
    if isinstance(value, dict):
        resolved = getattr(thresholds, value["setting"])
        return list(resolved) if isinstance(resolved, tuple) else resolved
    return value


def compile_when(node: dict, thresholds: Thresholds, others: pl.Expr | None = None) -> pl.Expr:
    """A validated condition tree as one boolean expression; leaves on null values are false."""
    if "all" in node:
        return pl.all_horizontal([compile_when(n, thresholds, others) for n in node["all"]])
    if "any" in node:
        return pl.any_horizontal([compile_when(n, thresholds, others) for n in node["any"]])
    if "not" in node:
        return ~compile_when(node["not"], thresholds, others)
    if "fallback" in node:
        return ~others
    (op,) = set(node) - {"field"}
    return OPERATORS[op].build(pl.col(node["field"]), _resolve(node[op], thresholds)).fill_null(False)


def _load_rule(path: Path, problems: list[str]) -> Rule | None:
    """One rule file as a Rule, or None after adding its problems."""
    try:
        text = path.read_text(encoding="utf-8")
        doc, root = yaml.safe_load(text), yaml.compose(text)
    except (OSError, UnicodeDecodeError) as error:
        problems.append(f"{path}: cannot read: {error}")
        return None
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else 1
        problems.append(f"{path}:{line}: not valid YAML: {error.problem}")
        return None
    found = _check_document(doc, path.stem)
    problems += [f"{_where(path, root, place)}: {message}" for place, message in found]
    if found:
        return None
    return Rule(doc["id"], doc["priority"], doc["title"].strip(), doc["fix"].strip(), doc["evidence"].strip(),
                doc["when"], doc["confidence"], doc["tests"], path)


def _collection_problems(rules: list[Rule], folder: Path) -> list[str]:
    """Problems across files: priorities 1..N, exactly one fallback rule."""
    problems = []
    priorities = sorted(r.priority for r in rules)
    if priorities != list(range(1, len(rules) + 1)):
        problems.append(f"{folder}: priorities must be 1..{len(rules)} without gaps or repeats, got {priorities}")
    fallbacks = [r.id for r in rules if r.is_fallback]
    if len(fallbacks) != 1:
        problems.append(f"{folder}: exactly one rule needs `fallback: true` in its when, found {fallbacks}")
    return problems


def load_rules(folder: Path | str = RULES_DIR) -> list[Rule]:
    """Every rule of the folder, sorted by priority; raises one RuleFileError listing every problem."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RuleFileError([f"{folder}: not a folder of rule files"])
    problems = [f"{path}: rule files end in .yaml, not .yml" for path in sorted(folder.glob("*.yml"))]
    rules = [r for path in sorted(folder.glob("*.yaml")) if (r := _load_rule(path, problems))]
    # Ids are unique by construction: each equals its file name, and file names are unique in a folder.
    # Checks across files would only echo a broken file (a missing priority), so they wait for clean files.
    if not problems:
        problems += _collection_problems(rules, folder)
    if problems:
        raise RuleFileError(problems)
    return sorted(rules, key=lambda r: r.priority)


def evidence_columns(rule: Rule) -> list[str]:
    """The columns the rule's condition reads, in order: what the tagger reports as evidence."""
    return _fields_of(rule.when)


def evaluate(frame: pl.DataFrame | pl.LazyFrame, rules: list[Rule], thresholds: Thresholds
             ) -> pl.DataFrame | pl.LazyFrame:
    """The frame with cause_<id> (bool) and confidence_<id> (float, null when not applied) per rule."""
    missing = set().union(*(r.fields for r in rules)) - set(frame.collect_schema().names())
    if missing:
        raise ValueError(f"the frame lacks columns the rules read: {sorted(missing)}")
    conditions = {r.id: r.condition(thresholds) for r in rules if not r.is_fallback}
    others = pl.any_horizontal([pl.lit(False), *conditions.values()])
    conditions |= {r.id: r.condition(thresholds, others) for r in rules if r.is_fallback}
    return frame.with_columns([
        column
        for r in rules
        for column in (conditions[r.id].alias(f"cause_{r.id}"),
                       pl.when(conditions[r.id]).then(r.confidence(thresholds)).alias(f"confidence_{r.id}"))])
