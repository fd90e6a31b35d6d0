"""Cause rules as data: load transforms/rules/<cause id>.yaml, validate them, compile them to polars."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
import yaml

from transforms.operators import OPERATORS
from transforms.rule_schema import check_document, check_escalations, where
from transforms.thresholds import Thresholds

RULES_DIR = Path(__file__).with_name("rules")
ESCALATIONS = Path(__file__).with_name("escalations.yaml")
# libyaml's safe loader where PyYAML was built with it: the rules load twice per run, and it is much faster.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class RuleFileError(ValueError):
    """Rule files are invalid; the message lists every problem as `path:line: place: message`."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in rule files:\n" + "\n".join(problems))


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
    policy_advice: str  # for the Conditional Access policy's owner, where `fix` speaks to whoever acts on one sign-in
    evidence: str
    when: dict
    confidence_spec: dict
    tests: list
    source: Path
    quote: tuple[str, ...] = ()  # columns the evidence shows beside those the condition reads (the place, the speed)
    verdict_spec: dict | None = None  # {is, reason, unless: [{when, is, reason}]}
    # [{to, when}]: a later cause that, when it fires too (and `when` holds), explains the failure better
    gives_way: tuple[dict, ...] = ()

    @property
    def is_fallback(self) -> bool:
        """True for the rule that applies when no other rule does."""
        return any(leaf.get("fallback") is True for leaf in _leaves(self.when))

    @property
    def fields(self) -> set[str]:
        """Every column the rule reads: its condition, confidence boosts, quoted evidence and verdict."""
        boosts = [b["when"] for b in self.confidence_spec.get("boosts") or []]
        unless = [c["when"] for c in (self.verdict_spec or {}).get("unless") or []]
        ways = [w["when"] for w in self.gives_way if "when" in w]
        return set(_fields_of(self.when)).union(self.quote, *map(_fields_of, boosts + unless + ways))

    def primary(self, thresholds: Thresholds) -> pl.Expr:
        """String expression for a failure this cause fires on: this cause, or the first later cause it
        gives way to that fires too (and whose condition holds)."""
        pick = pl.lit(self.id)
        for way in reversed(self.gives_way):
            held = pl.col(f"cause_{way['to']}")
            if "when" in way:
                held = held & compile_when(way["when"], thresholds)
            pick = pl.when(held).then(pl.lit(way["to"])).otherwise(pick)
        return pick

    def verdicts(self, thresholds: Thresholds) -> list[tuple[pl.Expr, str, str]]:
        """(condition, verdict, reason) for this cause: its own verdict, then each more serious one with the
        condition (besides the cause) that brings it."""
        spec = self.verdict_spec or {"is": "benign", "reason": "", "unless": []}
        cases = [(pl.lit(True), spec["is"], spec["reason"])]
        cases += [(compile_when(c["when"], thresholds), c["is"], c["reason"]) for c in spec.get("unless") or []]
        return [(condition, verdict, " ".join(reason.split())) for condition, verdict, reason in cases]

    def condition(self, thresholds: Thresholds, others: pl.Expr | None = None) -> pl.Expr:
        """Boolean expression: the cause applies. The fallback rule needs `others` (any other rule applies)."""
        if self.is_fallback and others is None:
            raise ValueError(f"{self.source}: the fallback rule needs the other rules' conditions; use evaluate()")
        return compile_when(self.when, thresholds, others)

    def confidence(self, thresholds: Thresholds) -> pl.Expr:
        """Float expression: base plus the boosts whose condition holds, kept within 0..1."""
        boosts = [
            pl.when(compile_when(b["when"], thresholds, None)).then(pl.lit(float(b["add"]))).otherwise(0.0)
            for b in self.confidence_spec.get("boosts") or []
        ]
        return pl.sum_horizontal([pl.lit(float(self.confidence_spec["base"])), *boosts]).clip(0.0, 1.0)


def _resolve(value, thresholds: Thresholds):
    """A literal value, or the named threshold for {setting: name}: per row, by its tenant, where tenants
    have learned their own value (Thresholds.per_tenant)."""
    if not isinstance(value, dict):
        return value
    resolved = getattr(thresholds, value["setting"])
    if learned := thresholds.by_tenant(value["setting"]):
        mapping = {entry["k"]: entry["v"] for entry in learned}
        return pl.col("tenant_id").replace_strict(mapping, default=resolved, return_dtype=pl.Int64)
    return list(resolved) if isinstance(resolved, tuple) else resolved


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


def _read_yaml(path: Path, problems: list[str]) -> tuple[object, yaml.Node] | None:
    """A YAML file as data and as nodes (for line numbers), or None after adding why it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
        return yaml.load(text, Loader=YAML_LOADER), yaml.compose(text, Loader=YAML_LOADER)
    except (OSError, UnicodeDecodeError) as error:
        problems.append(f"{path}: cannot read: {error}")
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else 1
        problems.append(f"{path}:{line}: not valid YAML: {error.problem}")
    return None


def _load_rule(path: Path, problems: list[str]) -> Rule | None:
    """One rule file as a Rule, or None after adding its problems."""
    read = _read_yaml(path, problems)
    if read is None:
        return None
    doc, root = read
    found = check_document(doc, path.stem)
    problems += [f"{where(path, root, place)}: {message}" for place, message in found]
    if found:
        return None
    return Rule(
        doc["id"],
        doc["priority"],
        doc["title"].strip(),
        doc["fix"].strip(),
        doc["policy_advice"].strip(),
        doc["evidence"].strip(),
        doc["when"],
        doc["confidence"],
        doc["tests"],
        path,
        tuple(doc.get("quote", ())),
        doc["verdict"],
        tuple(doc.get("gives_way", ())),
    )


def _collection_problems(rules: list[Rule], folder: Path) -> list[str]:
    """Problems across files: two rules sharing a priority, not exactly one fallback rule, or a fallback
    rule that is not the last. Gaps between priorities are fine: a new cause need not renumber the others."""
    problems = []
    by_priority: dict[int, list[str]] = {}
    for rule in rules:
        by_priority.setdefault(rule.priority, []).append(rule.id)
    for priority, ids in sorted(by_priority.items()):
        if len(ids) > 1:
            problems.append(
                f"{folder}: priority {priority} is shared by {', '.join(sorted(ids))}; each rule needs its own"
            )
    fallbacks = [r for r in rules if r.is_fallback]
    if len(fallbacks) != 1:
        problems.append(
            f"{folder}: exactly one rule needs `fallback: true` in its when, found {[r.id for r in fallbacks]}"
        )
    elif fallbacks[0].priority != max(by_priority):
        problems.append(f"{folder}: the fallback rule {fallbacks[0].id} must have the highest priority number")
    priorities = {rule.id: rule.priority for rule in rules}
    for rule in rules:
        for way in rule.gives_way:
            if priorities.get(way["to"], -1) <= rule.priority:
                problems.append(f"{rule.source}: gives way to {way['to']!r}, which is not a cause of lower priority")
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


@dataclass(frozen=True)
class Escalation:
    """A condition that makes any failure at least `verdict`, whatever its causes (escalations.yaml)."""

    id: str
    when: dict
    verdict: str
    reason: str
    tests: list

    def condition(self, thresholds: Thresholds) -> pl.Expr:
        return compile_when(self.when, thresholds)


def load_escalations(path: Path | str = ESCALATIONS) -> list[Escalation]:
    """The escalations file; raises one RuleFileError listing every problem."""
    path, problems = Path(path), []
    read = _read_yaml(path, problems)
    if read is None:
        raise RuleFileError(problems)
    doc, root = read
    problems = [f"{where(path, root, place)}: {message}" for place, message in check_escalations(doc)]
    if problems:
        raise RuleFileError(problems)
    return [Escalation(e["id"], e["when"], e["is"], " ".join(e["reason"].split()), e["tests"]) for e in doc]


def evidence_columns(rule: Rule) -> list[str]:
    """What the tagger reports as evidence: the columns the rule's condition reads, in order, then the
    columns it quotes."""
    return list(dict.fromkeys([*_fields_of(rule.when), *rule.quote]))


def evaluate(
    frame: pl.DataFrame | pl.LazyFrame, rules: list[Rule], thresholds: Thresholds
) -> pl.DataFrame | pl.LazyFrame:
    """The frame with cause_<id> (bool) and confidence_<id> (float, null when not applied) per rule."""
    missing = set().union(*(r.fields for r in rules)) - set(frame.collect_schema().names())
    if missing:
        raise ValueError(f"the frame lacks columns the rules read: {sorted(missing)}")
    conditions = {r.id: r.condition(thresholds) for r in rules if not r.is_fallback}
    others = pl.any_horizontal([pl.lit(False), *conditions.values()])
    conditions |= {r.id: r.condition(thresholds, others) for r in rules if r.is_fallback}
    return frame.with_columns(
        [
            column
            for r in rules
            for column in (
                conditions[r.id].alias(f"cause_{r.id}"),
                pl.when(conditions[r.id]).then(r.confidence(thresholds)).alias(f"confidence_{r.id}"),
            )
        ]
    )
