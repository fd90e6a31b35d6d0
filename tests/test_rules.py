"""Cause rules in layers: operators, each rule's own test events, a lint of the collection, bad files, thresholds."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
import yaml

from transforms.columns import ALL_COLUMNS, FACT_COLUMNS, FEATURE_COLUMNS, frame_of
from transforms.rules import (
    OPERATORS,
    RULES_DIR,
    RuleFileError,
    compile_when,
    evaluate,
    evidence_columns,
    load_escalations,
    load_rules,
)
from transforms.thresholds import DEFAULT_PATH, load_thresholds

CAUSES_MD = Path(__file__).parents[1] / "docs/causes.md"
FEATURES_MD = Path(__file__).parents[1] / "transforms/FEATURES.md"
DEFAULTS = load_thresholds()
RULES = load_rules()
ESCALATIONS = load_escalations()


# 1. Operator semantics: one true and one false value per operator; a null value gives false.


@dataclass(frozen=True)
class Case:
    field: str
    op: str
    value: object
    true: object
    false: object
    on_null: bool = False

    def __str__(self):
        return f"{self.op}:{self.value}"


OPERATOR_CASES = [
    Case("error_code", "equals", 500121, 500121, 0),
    Case("error_code", "not_equals", 0, 500121, 0),
    Case("event_type", "in", ["interactiveUser", "x"], "interactiveUser", "nonInteractiveUser"),
    Case("mfa_method", "in_i", ["oath verification code"], "OATH verification code", "Text message"),
    Case("fatigue_attempts", "gte", 5, 5, 4),
    Case("fatigue_attempts", "gt", 5, 6, 5),
    Case("fatigue_attempts", "lte", 5, 5, 6),
    Case("fatigue_attempts", "lt", 5, 4, 5),
    Case("fatigue_attempts", "gte", {"setting": "fatigue_min_attempts"}, 5, 4),
    Case("is_risky", "is_true", True, True, False),
    Case("is_risky", "is_false", True, False, True),
    Case("device_id", "is_null", True, None, "d-1", on_null=True),
    Case("device_id", "not_null", True, "d-1", None),
    Case("mfa_result", "contains_i", "DECLINED", "user declined the authentication", "user did not respond"),
    Case("mfa_result", "contains_i", ["fraud", "declined"], "phone app reported fraud", "misconfiguration"),
    Case("mfa_result", "startswith_i", "User ", "user declined the authentication", "the user declined"),
    Case("mfa_result", "endswith_i", "Authentication", "user declined the authentication", "authentication failed"),
    Case("mfa_result", "matches", r"incorrect (code|pin)", "user entered incorrect pin", "user entered the code"),
    Case("mfa_result", "says", "registration_broken", "invalid authentication", "invalid authentication code"),
    Case(
        "app_policy_statuses",
        "list_contains",
        "numberMatchDeny",
        ["appContextShown", "numberMatchDeny"],
        ["numberMatchCorrectNumberEntered"],
    ),
    Case("session_error_neighbours", "list_contains", [50089, 50058], [50058], [50140]),
    Case("app_policy_statuses", "list_any_endswith", "OutOfDate", ["appLockOutOfDate"], ["appLockEnabled"]),
    Case("session_error_neighbours", "list_not_empty", True, [50140], []),
    Case("risk_event_types", "list_only", "unfamiliarFeatures", ["unfamiliarFeatures"], ["unfamiliarFeatures", "x"]),
    Case("risk_event_types", "list_only", ["a", "unfamiliarFeatures"], ["unfamiliarFeatures", "a"], []),
]


def _apply(when: dict, events: list[dict], thresholds=DEFAULTS) -> list[bool]:
    return frame_of(events).select(compile_when(when, thresholds).alias("x"))["x"].to_list()


def test_every_operator_has_a_case():
    assert {case.op for case in OPERATOR_CASES} == set(OPERATORS)


@pytest.mark.parametrize("case", OPERATOR_CASES, ids=str)
def test_operator(case: Case):
    when = {"field": case.field, case.op: case.value}
    events = [{case.field: case.true}, {case.field: case.false}, {}]
    assert _apply(when, events) == [True, False, case.on_null]


def test_combinators():
    high, low = {"field": "fatigue_attempts", "gte": 5}, {"field": "fatigue_attempts", "lt": 2}
    events = [{"fatigue_attempts": 7}, {"fatigue_attempts": 1}, {"fatigue_attempts": 3}]
    assert _apply({"all": [high, {"field": "fatigue_attempts", "lt": 10}]}, events) == [True, False, False]
    assert _apply({"any": [high, low]}, events) == [True, True, False]
    assert _apply({"not": high}, events) == [False, True, True]
    # not over a leaf on null: the leaf is false, so its negation is true (null-safe, never null).
    assert _apply({"not": high}, [{}]) == [True]


# 2. Every test event of every rule file, judged against the whole collection (the fallback needs it).

RULE_CASES = [pytest.param(rule, case, id=f"{rule.id}::{case['name']}") for rule in RULES for case in rule.tests]


@pytest.mark.parametrize(("rule", "case"), RULE_CASES)
def test_rule_event(rule, case):
    row = evaluate(frame_of([case["event"]]), RULES, DEFAULTS).row(0, named=True)
    if case["expect"] == "match":
        assert row[f"cause_{rule.id}"] is True
        assert 0 < row[f"confidence_{rule.id}"] <= 1
    else:
        assert row[f"cause_{rule.id}"] is False
        assert row[f"confidence_{rule.id}"] is None


def test_evaluate_keeps_the_frame_type_and_adds_two_columns_per_rule():
    frame = frame_of([{"is_mfa_failure": True, "mfa_result": "user declined the authentication"}])
    lazy = evaluate(frame.lazy(), RULES, DEFAULTS)
    assert isinstance(lazy, pl.LazyFrame)
    out = lazy.collect()
    assert out.width == frame.width + 2 * len(RULES)
    assert out.schema["cause_prompt_denied"] == pl.Boolean and out.schema["confidence_prompt_denied"] == pl.Float64


def test_confidence_rises_with_evidence():
    rule = next(r for r in RULES if r.id == "mfa_fatigue")
    plain = {"is_mfa_failure": True, "fatigue_attempts": 6}
    frame = frame_of(
        [
            plain,
            {**plain, "success_within_hour": True},
            {**plain, "success_within_hour": True, "fatigue_new_source": True},
        ]
    )
    got = frame.select(rule.confidence(DEFAULTS).alias("c"))["c"].to_list()
    assert got[0] < got[1] and got[1] >= 0.95 - 1e-9 and got[2] == 1.0


# 3. A lint over the whole collection.


def _causes_table() -> list[tuple[int, str, str]]:
    """docs/causes.md's table of causes: (priority, id, the whole row) in the page's order."""
    text = CAUSES_MD.read_text(encoding="utf-8").split("## Causes, in priority order")[1].split("\n## ")[0]
    return [
        (int(rank), cause, row) for row, rank, cause in re.findall(r"^(\|\s*(\d+)\s*\|\s*`([a-z_]+)`.*)$", text, re.M)
    ]


def test_the_cause_page_lists_every_rule_with_its_priority_in_order():
    table = _causes_table()
    assert [(priority, cause) for priority, cause, _ in table] == [(r.priority, r.id) for r in RULES]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_the_cause_page_cites_the_fixes_the_rule_cites(rule):
    (row,) = [row for _, cause, row in _causes_table() if cause == rule.id]
    assert set(re.findall(r"Fix (\d)", rule.fix)) <= set(re.findall(r"Fix (\d)", row))


FIXES_MD = CAUSES_MD.with_name("fixes.md")


def test_every_fix_a_rule_cites_is_a_step_of_the_fixes_page():
    steps = re.findall(r"^## Fix (\d+): ", FIXES_MD.read_text(encoding="utf-8"), re.M)
    assert steps == [str(n) for n in range(1, 8)]
    cited = {n for rule in RULES for n in re.findall(r"\bFix (\d+)\b", rule.fix + " " + rule.policy_advice)}
    assert cited and cited <= set(steps)
    assert "## A locked-out administrator" in FIXES_MD.read_text(encoding="utf-8")


def test_ids_are_unique_and_match_file_names():
    assert len({r.id for r in RULES}) == len(RULES)
    assert all(r.source.stem == r.id for r in RULES)
    assert len({r.priority for r in RULES}) == len(RULES)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_lint(rule):
    assert rule.fields <= ALL_COLUMNS.keys()
    expects = [case["expect"] for case in rule.tests]
    assert expects.count("match") >= 2 and expects.count("no_match") >= 2
    assert rule.fix.strip() and rule.title.strip() and rule.evidence.strip()
    assert evidence_columns(rule) and set(evidence_columns(rule)) <= rule.fields
    if not rule.is_fallback:
        assert "is_mfa_failure" in evidence_columns(rule)


def test_exactly_one_fallback():
    assert [r.id for r in RULES if r.is_fallback] == ["unknown"]


def test_columns_mirror_features_md():
    text = FEATURES_MD.read_text(encoding="utf-8")
    facts, features = text.split("## Feature columns")
    named = lambda part: set(re.findall(r"^\|\s*(`[^|]+)\|", part, re.M))  # noqa: E731
    names = lambda cells: {n for cell in cells for n in re.findall(r"`(\w+)`", cell)}  # noqa: E731
    assert names(named(facts)) == FACT_COLUMNS.keys()
    assert names(named(features)) == FEATURE_COLUMNS.keys()


# 4. A broken rule folder: every bad file is named in one error.


def _broken_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(RULES_DIR, folder)
    edits = {
        "prompt_denied": ("says: prompt_denied", "says_x: prompt_denied"),
        "new_device": ("field: is_new_device, is_true", "field: is_new_gadget, is_true"),
        "ca_device_block": ("id: ca_device_block", "id: ca_devices"),
        "mfa_fatigue": ("setting: fatigue_min_attempts", "setting: fatigue_max"),
    }
    for stem, (old, new) in edits.items():
        path = folder / f"{stem}.yaml"
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    (folder / "zz_unparsable.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    return folder


def test_broken_folder_names_every_bad_file(tmp_path):
    with pytest.raises(RuleFileError) as raised:
        load_rules(_broken_folder(tmp_path))
    message = str(raised.value)
    for stem, words in [
        ("prompt_denied", "unknown operator 'says_x'"),
        ("new_device", "unknown column"),
        ("ca_device_block", "must equal the file name"),
        ("mfa_fatigue", "unknown setting"),
        ("zz_unparsable", "not valid YAML"),
    ]:
        line = next((ln for ln in message.splitlines() if f"{stem}.yaml" in ln), "")
        assert words in line, message
    assert "time_drift.yaml" not in message
    # Each problem names its line and place in the file.
    assert re.search(r"new_device\.yaml:\d+: when\.all\[1\]\.field: ", message), message


def test_collection_problems(tmp_path):
    folder = tmp_path / "rules"
    shutil.copytree(RULES_DIR, folder)
    (folder / "unknown.yaml").unlink()
    path = folder / "new_location.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("priority: 150", "priority: 140"), encoding="utf-8")
    with pytest.raises(RuleFileError) as raised:
        load_rules(folder)
    assert "exactly one rule needs `fallback: true`" in str(raised.value)
    assert "priority 140 is shared by new_device, new_location" in str(raised.value)


def test_a_new_cause_takes_a_free_priority_and_renumbers_nothing(tmp_path):
    folder = tmp_path / "rules"
    shutil.copytree(RULES_DIR, folder)
    doc = yaml.safe_load((folder / "push_not_delivered.yaml").read_text(encoding="utf-8"))
    doc.update(id="sms_undelivered", priority=95)
    (folder / "sms_undelivered.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    loaded = [r.id for r in load_rules(folder)]
    assert loaded == [r.id for r in RULES if r.priority < 95] + ["sms_undelivered"] + [
        r.id for r in RULES if r.priority > 95
    ]


def test_the_fallback_rule_comes_last(tmp_path):
    folder = tmp_path / "rules"
    shutil.copytree(RULES_DIR, folder)
    path = folder / "unknown.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("priority: 160", "priority: 145"), encoding="utf-8")
    with pytest.raises(RuleFileError, match="the fallback rule unknown must have the highest priority number"):
        load_rules(folder)


@pytest.mark.parametrize(
    ("when", "words"),
    [
        ({"field": "fatigue_attempts", "gte": "five"}, "gte needs a number"),
        ({"field": "mfa_result", "list_contains": "x"}, "list_contains does not apply to mfa_result"),
        ({"field": "mfa_result", "matches": "(["}, "valid regular expression"),
        ({"all": []}, "non-empty list"),
        ({"not": {"fallback": True}}, None),
    ],
)
def test_condition_checks(tmp_path, when, words):
    folder = tmp_path / "rules"
    shutil.copytree(RULES_DIR, folder)
    path = folder / "new_device.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["when"]["all"].append(when)
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    if words is None:  # fallback inside a second rule: two fallback rules
        with pytest.raises(RuleFileError, match="exactly one rule"):
            load_rules(folder)
        return
    with pytest.raises(RuleFileError, match=re.escape(words)):
        load_rules(folder)


# 5. Thresholds: defaults, preset, overrides, errors; edges through the mfa_fatigue rule.


def test_threshold_defaults():
    t = DEFAULTS
    assert (t.fatigue_min_attempts, t.fatigue_window_minutes, t.success_after_fatigue_minutes) == (5, 10, 60)
    assert (t.recurring_min_days, t.recurring_window_days) == (3, 14)
    assert (t.travel_min_km, t.travel_min_kmh, t.privileged_lockout_hours) == (500, 800, 12)
    assert t.privileged_accounts == ()
    assert dict(t.min_authenticator_version) == {"ios": "6.7.0", "android": "6.2401.0"}


def test_sentinel_preset_and_overrides():
    sentinel = load_thresholds("sentinel")
    assert (sentinel.fatigue_min_attempts, sentinel.fatigue_window_minutes) == (11, 5)
    assert sentinel.recurring_min_days == 3
    custom = load_thresholds(
        "sentinel",
        overrides={
            "fatigue_min_attempts": 20,
            "privileged_accounts": ["Admin@X.org"],
            "min_authenticator_version": {"ios": "7.0"},
        },
    )
    assert custom.fatigue_min_attempts == 20 and custom.fatigue_window_minutes == 5
    assert custom.privileged_accounts == ("admin@x.org",)
    assert dict(custom.min_authenticator_version) == {"ios": "7.0", "android": "6.2401.0"}


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"preset": "splunk"}, "unknown preset 'splunk'"),
        ({"overrides": {"fatigue_min_attemps": 3}}, "unknown setting 'fatigue_min_attemps'"),
        ({"overrides": {"travel_min_km": "far"}}, "travel_min_km"),
    ],
)
def test_threshold_errors_name_key_and_file(kwargs, words):
    with pytest.raises(ValueError, match=re.escape(words)) as raised:
        load_thresholds(**kwargs)
    assert "thresholds.toml" in str(raised.value)


def test_threshold_file_with_unknown_key(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(DEFAULT_PATH.read_text(encoding="utf-8") + "\n[presets.x]\nfoo = 1\n")
    assert load_thresholds(path=path).fatigue_min_attempts == 5
    with pytest.raises(ValueError, match=r"t\.toml: unknown setting 'foo' \(preset 'x'\)"):
        load_thresholds("x", path=path)


@pytest.mark.parametrize(
    ("preset", "attempts", "fires"),
    [(None, 4, False), (None, 5, True), ("sentinel", 10, False), ("sentinel", 11, True)],
)
def test_fatigue_edges(preset, attempts, fires):
    events = [{"is_mfa_failure": True, "fatigue_attempts": attempts, "mfa_result": "user declined the authentication"}]
    row = evaluate(frame_of(events), RULES, load_thresholds(preset)).row(0, named=True)
    assert row["cause_mfa_fatigue"] is fires


def _verdict(**event) -> tuple[str, str]:
    from transforms.causes import tag_causes

    frame = frame_of([{"error_code": 500121, "is_mfa_failure": True, **event}]).lazy()
    row = tag_causes(frame, RULES, load_thresholds()).collect().row(0, named=True)
    return row["verdict"], row["verdict_reason"]


def test_a_failure_gets_the_most_serious_verdict_of_its_causes_with_the_reason():
    assert _verdict(mfa_method="OATH verification code", mfa_result="user entered incorrect code") == (
        "benign",
        "a code rejected on the user's own device",
    )
    denied = {"mfa_result": "user declined the authentication"}
    assert _verdict(**denied)[0] == "suspicious"
    hostile, reason = _verdict(**denied, fatigue_new_source=True)  # from an IP or country never used
    assert hostile == "hostile" and "password is known" in reason
    # a traveller whose code is rejected (benign) on an impossible journey (hostile): the journey decides
    assert _verdict(mfa_method="OATH verification code", mfa_result="user entered incorrect code",
                    is_new_country=True, impossible_travel=True)[0] == "hostile"  # fmt: skip
    assert _verdict()[0] == "benign"  # no cause found: no sign of an attack


def _primary(**event) -> tuple[str, list[str], float]:
    from transforms.causes import tag_causes

    frame = frame_of([{"error_code": 500121, "is_mfa_failure": True, **event}]).lazy()
    row = tag_causes(frame, RULES, load_thresholds()).collect().row(0, named=True)
    return row["primary_cause"], row["causes"], row["confidence"]


ABROAD = {"is_new_country": True, "country_or_region": "PT", "failure_days_14": 1}
CODE = {"mfa_method": "OATH verification code", "mfa_result": "user entered incorrect code"}
UNFAMILIAR = {"is_risky": True, "risk_event_types": ["unfamiliarFeatures"], "risk_level_during_signin": "medium"}
SESSION = {"is_browser": True, "session_error_neighbours": [50133]}


@pytest.mark.parametrize(
    ("event", "primary"),
    [
        # an inferred drift gives way to an observed first sign-in abroad ...
        ({**CODE, **ABROAD}, "new_location"),
        # ... but not when codes fail across days (a drifting clock fails at home too)
        ({**CODE, **ABROAD, "failure_days_14": 3}, "time_drift"),
        ({**CODE}, "time_drift"),
        # a risk that is only the unfamiliar place gives way to the place ...
        ({**UNFAMILIAR, **ABROAD}, "new_location"),
        # ... not a risk of its own kind, a high one, or a confirmed compromise
        ({**UNFAMILIAR, **ABROAD, "risk_event_types": ["unfamiliarFeatures", "anonymizedIPAddress"]}, "risk_block"),
        ({**UNFAMILIAR, **ABROAD, "risk_level_during_signin": "high"}, "risk_block"),
        ({**UNFAMILIAR, **ABROAD, "risk_state": "confirmedCompromised"}, "risk_block"),
        ({**UNFAMILIAR}, "risk_block"),
        # a duplicate or in-progress attempt with session errors is the broken session resubmitting ...
        ({"mfa_result": "duplicate authentication attempt", **SESSION}, "browser_session"),
        ({"mfa_result": "authentication in-progress", **SESSION}, "browser_session"),
        # ... an unanswered push is still the push
        ({"mfa_result": "user did not respond to mobile app notification", **SESSION}, "push_not_delivered"),
        ({"mfa_result": "duplicate authentication attempt"}, "push_not_delivered"),
    ],
)
def test_a_cause_gives_way_to_a_later_one_that_explains_the_failure_better(event, primary):
    got, causes, confidence = _primary(**event)
    assert got == primary
    assert primary in causes and len(causes) >= 1
    # the confidence is the primary cause's own
    own = evaluate(frame_of([{"error_code": 500121, "is_mfa_failure": True, **event}]), RULES, DEFAULTS)
    assert confidence == own[f"confidence_{primary}"][0]


def test_giving_way_needs_a_later_cause(tmp_path):
    folder = tmp_path / "rules"
    shutil.copytree(RULES_DIR, folder)
    path = folder / "new_device.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["gives_way"] = [{"to": "time_drift"}, {"to": "no_such_cause"}, {"to": "new_location", "if": 1}]
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(RuleFileError) as raised:
        load_rules(folder)
    assert "gives_way[2]: gives way is {to: <cause id>, when: <condition>}" in str(raised.value)
    doc["gives_way"] = doc["gives_way"][:2]
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(RuleFileError) as raised:
        load_rules(folder)
    message = str(raised.value)
    assert "gives way to 'time_drift', which is not a cause of lower priority" in message
    assert "gives way to 'no_such_cause', which is not a cause of lower priority" in message


@pytest.mark.parametrize(
    "verdict, words",
    [
        ({"is": "fine", "reason": "x"}, "a verdict is one of benign, suspicious, hostile"),
        ({"is": "benign"}, "verdict is {is:"),
        ({"is": "benign", "reason": " "}, "needs a one-line reason"),
        ({"is": "benign", "reason": "x", "unless": [{"is": "hostile", "reason": "y"}]}, "verdict is {is:"),
        (
            {
                "is": "benign",
                "reason": "x",
                "unless": [{"when": {"field": "nope", "is_true": True}, "is": "hostile", "reason": "y"}],
            },
            "unknown column",
        ),  # fmt: skip
    ],
)
def test_verdict_problems_are_named(verdict, words):
    from transforms.rule_schema import check_document

    problems = [message for _place, message in check_document({"id": "x", "verdict": verdict}, "x")]
    assert any(words in message for message in problems), problems


ESCALATION_CASES = [pytest.param(e, case, id=f"{e.id}::{case['name']}") for e in ESCALATIONS for case in e.tests]


@pytest.mark.parametrize(("escalation", "case"), ESCALATION_CASES)
def test_escalation_event(escalation, case):
    held = frame_of([case["event"]]).select(escalation.condition(DEFAULTS).alias("x"))["x"].item()
    assert held is (case["expect"] == "match")


def test_escalations_raise_the_verdict_of_any_cause_never_lower_it():
    code = {"mfa_method": "OATH verification code", "mfa_result": "user entered incorrect code"}  # benign
    assert _verdict(**code, spray_users_hour=10) == (
        "hostile",
        "the failure's IP failed passwords for many users in the hour before, then had this user's right "
        "password: a password spray that hit",
    )
    assert _verdict(**code, spray_users_hour=9)[0] == "benign"
    assert _verdict(**code, password_failures_hour=5) == (
        "suspicious",
        "wrong passwords in the hour before, then the right one",
    )
    assert _verdict(**code, password_known_elsewhere=True, success_within_hour=False)[0] == "suspicious"
    assert _verdict(**code, password_known_elsewhere=True, success_within_hour=True)[0] == "benign"
    # a hostile cause stays hostile with its own reason (on a tie the causes come first)
    fatigue = {"fatigue_attempts": 6, "mfa_result": "user declined the authentication"}
    assert _verdict(**fatigue, password_failures_hour=9) == (
        "hostile",
        "prompt after prompt from someone who has the password",
    )


def test_escalation_settings_follow_presets_and_overrides():
    strict = load_thresholds(overrides={"spray_min_users": 3})
    spray = next(e for e in ESCALATIONS if e.id == "password_spray")
    assert frame_of([{"spray_users_hour": 3}]).select(spray.condition(strict))["spray_users_hour"].item() is True


@pytest.mark.parametrize(
    "text, words",
    [
        ("{}", "is a list of"),
        ("- {id: a, when: {field: spray_users_hour, gte: 1}, is: benign, reason: x, tests: []}", "brings one of"),
        ("- {id: a, when: {field: nope, gte: 1}, is: hostile, reason: x, tests: []}", "unknown column"),
        ("- {id: a, when: {field: spray_users_hour, gte: 1}, is: hostile, reason: ' ', tests: []}", "one-line reason"),
        ("- {id: a, when: {field: spray_users_hour, gte: 1}, is: hostile, reason: x}", "an escalation is"),
        (
            "- {id: a, when: {field: spray_users_hour, gte: 1}, is: hostile, reason: x, tests: []}\n"
            "- {id: a, when: {field: spray_users_hour, gte: 2}, is: hostile, reason: y, tests: []}",
            "an id of its own",
        ),
        ("- [unclosed", "not valid YAML"),
    ],
)
def test_escalation_file_problems_name_the_place(tmp_path, text, words):
    path = tmp_path / "escalations.yaml"
    path.write_text(text)
    with pytest.raises(RuleFileError) as caught:
        load_escalations(path)
    assert any(words in problem and str(path) in problem for problem in caught.value.problems), caught.value.problems
