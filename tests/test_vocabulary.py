"""The MFA result vocabulary (transforms/vocabulary.csv): every phrase, in the spellings logs use, gives
its cause through the rules and no other phrase's cause; docs/vocabulary.md lists exactly the data."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import polars as pl
import pytest

from transforms.columns import frame_of
from transforms.rules import evaluate, load_rules
from transforms.thresholds import load_thresholds
from transforms.vocabulary import NO_CAUSE, STEP_SUCCEEDED, normalised, vocabulary

RULES = load_rules()
THRESHOLDS = load_thresholds()
ROWS = vocabulary()
DOC = Path(__file__).resolve().parents[1] / "docs" / "vocabulary.md"
SOURCES = {
    "sentinel",
    "learn-mfa-reporting",
    "learn-mfa-settings",
    "learn-tap",
    "learn-monitor-schema",
    "graph-docs",
    "public-sample",
    "unverified",
}


def spellings(phrase: str) -> list[str]:
    """The ways logs and portals write one phrase."""
    bare = re.sub(r"^MFA denied[;,] ", "", phrase)
    return [
        phrase,
        bare,
        f"MFA denied; {bare}",
        f"MFA Denied, {bare.upper()}",
        f"Azure Multi-Factor Authentication denied; {bare}",
        bare.replace("'", "’").replace("did not", "didn't") + ".",
        "  " + bare.replace(" ", "   ") + " ",
    ]


def primary_cause(mfa_result: str, method: str) -> str:
    """The cause the rules give an MFA failure with only this result text and method to go on."""
    event = {"is_mfa_failure": True, "error_code": 500121, "mfa_method": method, "mfa_result": mfa_result}
    row = evaluate(frame_of([event]), RULES, THRESHOLDS).row(0, named=True)
    return next(rule.id for rule in RULES if row[f"cause_{rule.id}"])


def test_each_row_names_a_rule_a_known_source_and_a_method():
    causes = {rule.id for rule in RULES} | {NO_CAUSE, STEP_SUCCEEDED}
    for row in ROWS:
        assert row["cause"] in causes and row["fatigue"] in ("yes", "no"), row
        assert row["source"] in SOURCES and row["method"].strip(), row


def test_a_normalised_phrase_has_one_cause():
    causes: dict[str, set[str]] = {}
    for row, phrase in zip(ROWS, normalised([r["phrase"] for r in ROWS]), strict=True):
        causes.setdefault(phrase, set()).add(row["cause"])
    assert {phrase: found for phrase, found in causes.items() if len(found) > 1} == {}


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["phrase"])
def test_every_spelling_of_a_phrase_gives_its_cause(row):
    expected = "unknown" if row["cause"] in (NO_CAUSE, STEP_SUCCEEDED) else row["cause"]
    forms = normalised(spellings(row["phrase"]))
    assert len(set(forms)) == 1, forms
    assert primary_cause(forms[0], row["method"]) == expected


def test_phrases_that_share_words_never_take_each_others_cause():
    """`invalid authentication` and `invalid authentication code`, `user entered incorrect code` and
    `user entered incorrect PIN`, ...: each phrase fires only its own cause's rule."""
    words = lambda phrase: {w for w in re.findall(r"[a-z']+", phrase) if len(w) > 3}  # noqa: E731
    forms = dict(zip(normalised([r["phrase"] for r in ROWS]), ROWS, strict=True))
    pairs = [
        (a, b)
        for a, b in itertools.permutations(forms, 2)
        if words(a) & words(b)
        and forms[a]["cause"] != forms[b]["cause"]
        and forms[b]["cause"] not in (NO_CAUSE, STEP_SUCCEEDED)
    ]
    assert len(pairs) > 20  # the vocabulary is full of neighbours
    for a, b in pairs:
        event = {"is_mfa_failure": True, "error_code": 500121, "mfa_method": forms[a]["method"], "mfa_result": a}
        fired = evaluate(frame_of([event]), RULES, THRESHOLDS).row(0, named=True)
        assert not fired[f"cause_{forms[b]['cause']}"], (a, b)


def test_fatigue_counts_the_phrases_marked_for_it_and_nothing_else():
    from transforms.features import is_denied_or_unanswered

    phrases = normalised([r["phrase"] for r in ROWS])
    frame = frame_of([{"error_code": 500121, "mfa_result": p, "app_policy_statuses": []} for p in phrases])
    counted = frame.select(is_denied_or_unanswered().alias("counted"))["counted"].to_list()
    assert counted == [row["fatigue"] == "yes" for row in ROWS]


def test_the_vocabulary_page_lists_exactly_the_data():
    table = re.findall(r"^\| (.+?) \| `([a-z_]+)` \| (yes|no) \| ([a-z-]+) \|$", DOC.read_text(encoding="utf-8"), re.M)
    assert table == [(r["phrase"], r["cause"], r["fatigue"], r["source"]) for r in ROWS]
    assert all(f"**{source}**" in DOC.read_text(encoding="utf-8") for source in SOURCES)


def test_a_rule_that_names_a_cause_without_phrases_is_refused(tmp_path):
    from transforms.rule_schema import check_document

    rule = {"field": "mfa_result", "says": "new_device"}
    doc = {"id": "x", "when": {"all": [rule]}}
    problems = [message for _place, message in check_document(doc, "x")]
    assert any("says needs a cause that transforms/vocabulary.csv gives phrases for" in m for m in problems)
    assert pl.Series(normalised(["MFA denied; Invalid Authentication."])).to_list() == ["invalid authentication"]


def test_every_result_text_of_the_public_sample_files_is_in_the_vocabulary(store):
    """Real exports nobody here wrote (tests/fixtures/public): each MFA step result and additional detail
    they carry is a phrase the vocabulary knows."""
    from tests.conftest import public_files

    for path in public_files():
        store.ingest(path)
    texts = [
        text
        for (text,) in store.rows(
            "SELECT result_detail FROM signin_auth_steps WHERE result_detail IS NOT NULL UNION "
            "SELECT additional_details FROM signins WHERE additional_details IS NOT NULL"
        )
    ]
    assert len(texts) >= 5
    known = set(normalised([row["phrase"] for row in ROWS]))
    assert sorted(set(normalised(texts)) - known) == []
