"""Policy lists (sql/schema/008_ca_policy_sets.sql): each distinct list of Conditional Access policy results
is stored once, keyed by its normalised content, and dropped when no stored or displaced sign-in uses it."""

from __future__ import annotations

import json
from pathlib import Path

from signins.ingest import writer
from signins.ingest.batches import batches
from signins.ingest.reader import read_file
from signins.runs import landing
from signins.settings import IngestLimits
from signins.store.database import run_script
from tests.conftest import Store, table_content
from tests.test_runs import RECORD, land, lines, signin, snapshot

POLICIES = RECORD["appliedConditionalAccessPolicies"]  # three, the first two failing
EXTRA = {
    **POLICIES[2],
    "id": "11111111-aaaa-4bbb-8ccc-000000000099",
    "displayName": "CA099: Block legacy auth",
    "result": "success",
}


def stored_lists(store: Store) -> set:
    return {key for (key,) in store.rows("SELECT DISTINCT ca_set FROM ca_policy_sets")}


def used_lists(store: Store) -> set:
    return {
        key
        for (key,) in store.rows(
            "SELECT ca_set FROM signins WHERE ca_set IS NOT NULL "
            "UNION SELECT ca_set FROM displaced_signins WHERE ca_set IS NOT NULL"
        )
    }


def test_one_list_however_spelled_is_stored_once_and_read_back_per_sign_in(store: Store, tmp_path: Path):
    """Key order, flags as names or as their integer, a capitalised result: one list. No list, an empty one
    or null: no list and no rows."""
    respelled = [
        {
            "conditionsNotSatisfied": p["conditionsNotSatisfied"],
            "result": p["result"][0].upper() + p["result"][1:],
            **{k: v for k, v in p.items() if k not in ("result", "conditionsNotSatisfied")},
        }
        for p in POLICIES
    ]
    respelled[0]["conditionsSatisfied"] = "3"  # application (1) + users (2)
    records = [
        signin(1),
        signin(2, appliedConditionalAccessPolicies=respelled),
        signin(3, appliedConditionalAccessPolicies=[]),
        signin(4, appliedConditionalAccessPolicies=None),
        {k: v for k, v in signin(5).items() if k != "appliedConditionalAccessPolicies"},
    ]
    outcome = store.ingest(lines(tmp_path / "a.jsonl", records))
    assert outcome.new_signins == 5 and outcome.quarantined == 0
    assert store.scalar("SELECT count(DISTINCT ca_set) FROM signins") == 1
    assert store.scalar("SELECT count(*) FROM signins WHERE ca_set IS NULL") == 3
    assert store.scalar("SELECT count(*) FROM ca_policy_sets") == 3
    rows = store.rows(
        "SELECT signin_id, policy_no, display_name, result, conditions_satisfied, "
        "conditions_not_satisfied FROM signin_ca_policies ORDER BY ALL"
    )
    expected = [
        (p["displayName"], p["result"], satisfied, not_satisfied)
        for p, satisfied, not_satisfied in zip(POLICIES, [3, 11, 1], [0, 0, 2], strict=True)
    ]
    assert rows == [(signin(n)["id"], no, *row) for n in (1, 2) for no, row in enumerate(expected, 1)]


def test_a_list_no_sign_in_uses_any_more_is_dropped(store: Store, tmp_path: Path):
    """Sign-ins 1 and 2 share a list; more complete versions (one more policy) move them to another list
    one at a time: the first list stays while sign-in 2 uses it."""
    store.ingest(lines(tmp_path / "a.jsonl", [signin(1), signin(2)]))
    first = stored_lists(store)
    longer = [*POLICIES, EXTRA]
    store.ingest(lines(tmp_path / "b.jsonl", [signin(1, appliedConditionalAccessPolicies=longer)]))
    assert len(stored_lists(store)) == 2 and first < stored_lists(store) == used_lists(store)
    store.ingest(lines(tmp_path / "c.jsonl", [signin(2, appliedConditionalAccessPolicies=longer)]))
    assert len(stored_lists(store)) == 1 and not first & stored_lists(store)
    assert stored_lists(store) == used_lists(store)
    assert store.scalar("SELECT count(*) FROM signin_ca_policies") == 8


def test_a_run_undone_drops_the_lists_it_brought_and_a_run_kept_those_it_displaced(tmp_path: Path):
    """A run replaces sign-in 1 with a version on a new list and adds sign-in 2 on a third list. Undone:
    the store is as before, lists too. Landed again and kept: the list only the replaced version used goes."""
    store = Store(tmp_path / "s.duckdb")
    store.ingest(lines(tmp_path / "before.jsonl", [signin(1)]))
    before, first = snapshot(store), stored_lists(store)
    run_files = [
        lines(
            tmp_path / "run.jsonl",
            [
                signin(1, appliedConditionalAccessPolicies=[*POLICIES, EXTRA]),
                signin(2, appliedConditionalAccessPolicies=[EXTRA]),
            ],
        )
    ]
    land(store, "r1", run_files)
    assert len(stored_lists(store)) == 3 == len(used_lists(store))  # the displaced version's list kept
    landing.undo(store.con, "r1")
    assert snapshot(store) == before

    land(
        store,
        "r2",
        [
            lines(
                tmp_path / "again.jsonl",
                [
                    signin(1, appliedConditionalAccessPolicies=[*POLICIES, EXTRA]),
                    signin(2, appliedConditionalAccessPolicies=[EXTRA]),
                ],
            )
        ],
    )
    landing.keep(store.con, "r2")
    assert len(stored_lists(store)) == 2 and stored_lists(store) == used_lists(store)
    assert not first & stored_lists(store)


def test_lists_met_in_later_batches_are_keyed_as_in_one_batch(tmp_path: Path):
    """The loader parses a policy list's text once per file and looks it up for the sign-ins after
    (load/20_staged_records.sql): lists new in a later batch, a list spelled anew in a later batch, a
    batch with a line that is not UTF-8 (staged again leniently) all load as one batch of the file does."""
    respelled = [{**p, "result": p["result"][0].upper() + p["result"][1:]} for p in POLICIES]
    records = [
        signin(1),
        signin(2),
        signin(3, appliedConditionalAccessPolicies=[EXTRA]),
        signin(4),
        signin(5, appliedConditionalAccessPolicies=respelled),
        signin(6, appliedConditionalAccessPolicies=[]),
        signin(7, appliedConditionalAccessPolicies=[*POLICIES, EXTRA]),
        signin(8, appliedConditionalAccessPolicies=[EXTRA]),
    ]
    path = lines(tmp_path / "a.jsonl", records)
    with path.open("ab") as fh:
        fh.write(b'{"id": "not-utf8-\xff", "createdDateTime": "2026-11-02T10:00:00Z"}\n')
        fh.write((json.dumps(signin(9, appliedConditionalAccessPolicies=respelled)) + "\n").encode())
    whole, batched = Store(tmp_path / "whole.duckdb"), Store(tmp_path / "batched.duckdb")
    assert whole.ingest(path).new_signins == 9
    outcome = batched.ingest(path, IngestLimits(batch_records=2))
    assert (outcome.new_signins, outcome.quarantined) == (9, 1)
    for table in ("signins", "ca_policy_sets", "quarantine"):
        assert table_content(batched, table) == table_content(whole, table), table
    assert batched.scalar("SELECT count(DISTINCT ca_set) FROM signins") == 3
    assert batched.scalar("SELECT count(*) FROM signins WHERE ca_set IS NULL") == 1


def test_a_staging_connection_forgets_lists_beyond_the_bound_and_stores_the_same(tmp_path: Path, monkeypatch):
    """A connection that stages remembers at most KNOWN_CA_LISTS policy-list texts once a batch is staged
    (load/37_forget_ca_lists.sql); a file loaded under a bound of 2 stores what it stores without one."""
    lists = [POLICIES, [EXTRA], [*POLICIES, EXTRA], [EXTRA, *POLICIES]]
    path = lines(tmp_path / "a.jsonl", [signin(n, appliedConditionalAccessPolicies=lists[n % 4]) for n in range(1, 13)])
    whole = Store(tmp_path / "whole.duckdb")
    whole.ingest(path)
    monkeypatch.setattr(writer, "KNOWN_CA_LISTS", 2)
    forgetful = Store(tmp_path / "forgetful.duckdb")
    run_script(forgetful.con, "load/10_stage_macros.sql")
    remembered = []
    for batch in batches(read_file(path, IngestLimits()).items, 2, 1 << 30):
        if batch.table is not None:
            writer.stage(forgetful.con, batch.table, None, lenient=False)
            remembered.append(forgetful.scalar("SELECT count(*) FROM ca_known"))
    assert max(remembered) == 2 and 0 in remembered  # two lists a batch: kept, then all forgotten
    assert forgetful.ingest(path, IngestLimits(batch_records=2)).new_signins == 12
    for table in ("signins", "ca_policy_sets"):
        assert table_content(forgetful, table) == table_content(whole, table), table
    assert forgetful.scalar("SELECT count(DISTINCT ca_set) FROM signins") == 4


def test_a_policys_authentication_strength_is_kept_and_makes_its_own_list(store: Store, tmp_path: Path):
    """Graph beta names the authentication strength a policy enforced (authenticationStrength.displayName);
    the workbench shows it, so the list keeps it, and the same list without a strength stays another list."""
    strong = [{**POLICIES[0], "authenticationStrength": {"displayName": "Phishing-resistant MFA", "id": "x"}}]
    strong += POLICIES[1:]
    store.ingest(lines(tmp_path / "a.jsonl", [signin(1), signin(2, appliedConditionalAccessPolicies=strong)]))
    assert store.scalar("SELECT count(DISTINCT ca_set) FROM signins") == 2
    rows = store.rows(
        "SELECT signin_id, policy_no, authentication_strength FROM signin_ca_policies "
        "WHERE authentication_strength IS NOT NULL"
    )
    assert rows == [(signin(2)["id"], 1, "Phishing-resistant MFA")]


def _step(method: str | None, succeeded: bool, detail: str, requirement: str = "Multi-factor authentication") -> dict:
    return {
        "authenticationMethod": method,
        "succeeded": succeeded,
        "authenticationStepResultDetail": detail,
        "authenticationStepRequirement": requirement,
    }


def test_the_method_of_the_mfa_prompt_a_sign_in_showed_is_stored(store: Store, tmp_path: Path):
    """mfa_challenge_method: the last MFA step not satisfied by an earlier claim; for a 500121 without one,
    its failed step; else mfaDetail's method; NULL when the sign-in prompted for nothing."""
    password = _step("Password", True, "Correct password", "Primary authentication")
    success = {"errorCode": 0}
    records = [
        signin(1),  # 500121, push denied
        signin(2, status=success, authenticationDetails=[password, _step("Text message", True, "OK")]),
        signin(
            3,
            status=success,
            mfaDetail=None,
            authenticationDetails=[password, _step("Previously satisfied", True, "MFA requirement satisfied by claim")],
        ),
        signin(4, authenticationDetails=[password, _step("OATH verification code", False, "Invalid code", "")]),
        signin(5, status=success, authenticationDetails=[password], mfaDetail={"authMethod": "Phone call"}),
        signin(6, status=success, authenticationDetails=[password], mfaDetail=None),
    ]
    store.ingest(lines(tmp_path / "a.jsonl", records))
    methods = dict(store.rows("SELECT id, mfa_challenge_method FROM signins"))
    assert [methods[signin(n)["id"]] for n in range(1, 7)] == [
        "Mobile app notification",
        "Text message",
        None,
        "OATH verification code",
        "Phone call",
        None,
    ]
