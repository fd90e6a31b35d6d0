"""The cause engine end to end on the sample tenant: accuracy, findings, incremental = full, CLI outputs."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from signins import PROJECT_ROOT
from signins.analysis.evaluation import evaluate, matrix_lines, verdict_matrix
from signins.analysis.tagging import tag
from signins.errors import StoreError
from signins.store.database import connect, migrations
from tests.conftest import Store
from transforms.thresholds import load_thresholds

SAMPLE = PROJECT_ROOT / "data" / "sample"
PAGES = sorted((SAMPLE / "signins").glob("page-*.json.gz"))
TENANT = json.loads((SAMPLE / "tenant.json").read_text())
PRIVILEGED = [u["user_principal_name"] for u in TENANT["privileged_users"]]
THRESHOLDS = load_thresholds(overrides={"privileged_accounts": PRIVILEGED})
TAGGED_TABLES = {"cause_tags": "tagged_at", "user_findings": None, "policy_daily": None}


def tagged_store(path: Path, page_groups: list[list[Path]]) -> Store:
    store = Store(path)
    for pages in page_groups:
        for page in pages:
            store.ingest(page)
        tag(store.con, THRESHOLDS)
    return store


def snapshot(store: Store) -> dict:
    out = {}
    for table, skip in TAGGED_TABLES.items():
        columns = [
            c
            for (c,) in store.rows("SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table])
            if c != skip
        ]
        # who became recurring depends on what each run brought, not only on the data
        only = "WHERE finding <> 'became_recurring'" if table == "user_findings" else ""
        out[table] = store.rows(f"SELECT {', '.join(columns)} FROM {table} {only} ORDER BY ALL")
    return out


@pytest.fixture(scope="module")
def full(tmp_path_factory) -> Store:
    store = tagged_store(tmp_path_factory.mktemp("full") / "s.duckdb", [PAGES])
    yield store
    store.con.close()


def test_causes_are_found_with_their_precision_and_recall(full: Store):
    """Clean failures are all explained; ambiguous and noisy ones (the simulator's `noise`) may not be."""
    truth = pl.read_csv(SAMPLE / "ground_truth.csv")
    tags = full.con.sql("SELECT signin_id, primary_cause FROM cause_tags").pl()
    table = evaluate(tags, truth)
    assert set(table["cause"]) == set(truth["cause"])
    weak = table.filter((pl.col("precision") < 0.6) | (pl.col("recall") < 0.6))
    assert weak.is_empty(), weak
    assert table["correct"].sum() / table["expected"].sum() >= 0.9
    clean = truth.filter(pl.col("noise").is_null()).join(tags, left_on="id", right_on="signin_id")
    assert clean.height == truth.filter(pl.col("noise").is_null()).height
    assert clean.filter(pl.col("cause") != pl.col("primary_cause")).is_empty()
    assert full.scalar("SELECT count(*) FROM cause_tags") == truth.height


def test_the_verdict_matrix_counts_each_expected_verdict_by_the_one_given():
    truth = pl.DataFrame(
        {"id": ["a", "b", "c", "d", "e"], "verdict": ["benign", "benign", "hostile", "suspicious", "hostile"]}
    )
    tags = pl.DataFrame({"signin_id": ["a", "b", "c", "d"], "verdict": ["benign", "suspicious", "hostile", "hostile"]})
    matrix = verdict_matrix(tags, truth)
    assert matrix.rows() == [
        ("benign", 1, 1, 0, 0),
        ("suspicious", 0, 0, 1, 0),
        ("hostile", 0, 0, 1, 1),  # e was never tagged
    ]
    assert matrix_lines(matrix)[-1] == "verdicts: 2 of 5 match (40.0%)"
    assert matrix_lines(None) == ["verdicts: the ground truth has no verdict column"]


def test_travel_evidence_names_both_places_the_distance_the_hours_and_the_speed(full: Store):
    rows = full.rows(
        "SELECT t.evidence::VARCHAR, s.city, s.country_or_region FROM cause_tags t "
        "JOIN signins s ON s.tenant_id = t.tenant_id AND s.id = t.signin_id "
        "WHERE json_extract(t.evidence, '$.new_location.impossible_travel')::BOOLEAN"
    )
    assert rows
    for evidence, city, country in rows:
        travel = json.loads(evidence)["new_location"]
        assert (travel["city"], travel["country_or_region"]) == (city, country)
        assert travel["previous_place"] and travel["previous_place"] != f"{city}, {country}"
        assert travel["distance_km"] >= THRESHOLDS.travel_min_km and travel["hours_from_previous_place"] > 0
        hours = max(travel["hours_from_previous_place"], 1 / 60)
        assert abs(travel["speed_kmh"] - travel["distance_km"] / hours) <= 0.02 * travel["speed_kmh"]  # shown rounded


def test_ca_evidence_names_the_policy_its_grants_and_the_conditions_it_matched(full: Store):
    rows = full.rows(
        "SELECT primary_cause, evidence::VARCHAR, policies FROM cause_tags "
        "WHERE primary_cause IN ('ca_device_block', 'ca_location_block')"
    )
    assert {cause for cause, _, _ in rows} == {"ca_device_block", "ca_location_block"}
    for cause, evidence, policies in rows:
        quoted = json.loads(evidence)[cause]
        assert quoted["ca_failure_policies"] and set(quoted["ca_failure_policies"]) <= set(policies)
        assert quoted["ca_failure_grants"] and "ca_failure_unmet" in quoted
        wanted = {"ca_location_block": {"location"}, "ca_device_block": {"devicePlatform", "deviceState"}}[cause]
        assert wanted & set(quoted["ca_failure_matched"]), quoted


def test_a_failure_without_evidence_is_unknown(full: Store):
    unknown = [
        r["id"]
        for r in csv.DictReader((SAMPLE / "ground_truth.csv").open())
        if r["cause"] == "unknown" and not r["noise"]
    ]
    got = full.rows("SELECT primary_cause, causes FROM cause_tags WHERE signin_id IN (SELECT unnest(?))", [unknown])
    assert got and all(row == ("unknown", ["unknown"]) for row in got)


def test_user_findings_match_what_the_tenant_was_built_with(full: Store):
    expected = TENANT["expected_findings"]
    found = {(f, u) for f, u in full.rows("SELECT finding, user_principal_name FROM user_findings")}
    assert {u for f, u in found if f == "recurring"} == {r["user_principal_name"] for r in expected["recurring"]}
    assert {u for f, u in found if f == "privileged_lockout"} == {expected["privileged_lockout"]["user_principal_name"]}
    followed = {
        b["user_principal_name"] for b in expected["mfa_fatigue_bursts"] if "followed by success" in b["scenario"]
    }
    assert {u for f, u in found if f == "fatigue_then_success"} == followed
    bursts = {b["user_principal_name"] for b in expected["mfa_fatigue_bursts"]}
    assert {u for f, u in found if f == "fatigue_burst"} == bursts  # with or without a success
    reporters = full.rows("SELECT DISTINCT user_principal_name FROM cause_tags WHERE primary_cause = 'fraud_reported'")
    assert {u for f, u in found if f == "fraud_reported"} == {u for (u,) in reporters} != set()
    # one tagging run over everything: every recurring user became recurring with it
    assert {u for f, u in found if f == "became_recurring"} == {u for f, u in found if f == "recurring"}
    # the burst users' failures came from sources they never used, and nobody got in within the hour
    elsewhere = {u for f, u in found if f == "password_known_elsewhere"}
    assert bursts - followed <= elsewhere
    dominant = dict(
        full.rows("SELECT user_principal_name, dominant_cause FROM user_findings WHERE finding = 'recurring'")
    )
    assert dominant == {r["user_principal_name"]: r["dominant_cause"] for r in expected["recurring"]}


def test_evidence_and_fix_are_recorded(full: Store):
    evidence, fix, policies = full.rows(
        "SELECT evidence::VARCHAR, fix, policies FROM cause_tags WHERE primary_cause = 'ca_location_block' LIMIT 1"
    )[0]
    assert json.loads(evidence)["ca_location_block"]["ca_failure_location"] is True
    assert "Fix 3" in fix and policies


def test_incremental_tagging_equals_a_full_retag(full: Store, tmp_path: Path):
    # Pages are newest first: the older half arrives one night, the newer half the next.
    incremental = tagged_store(tmp_path / "inc.duckdb", [PAGES[10:]])
    users_of = lambda finding: {u for (u,) in incremental.rows(  # noqa: E731
        "SELECT user_key FROM user_findings WHERE finding = ?", [finding])}  # fmt: skip
    first_night = users_of("recurring")
    for page in PAGES[:10]:
        incremental.ingest(page)
    tag(incremental.con, THRESHOLDS)
    assert snapshot(incremental) == snapshot(full)
    became = users_of("became_recurring")
    assert became == users_of("recurring") - first_night and became  # the second night made them recurring
    again = tag(incremental.con, THRESHOLDS)
    assert (again.users, again.tagged) == (0, 0)
    assert snapshot(incremental) == snapshot(full)
    assert users_of("became_recurring") == became  # a run that brings nothing changes no finding


def test_tagging_in_buckets_of_users_equals_tagging_at_once(full: Store, tmp_path: Path, monkeypatch):
    """Big stores are tagged a bucket of users at a time (bounded memory); a user's history stays whole."""
    monkeypatch.setattr("signins.analysis.tagging.BUCKET_ROWS", 2_000)
    bucketed = tagged_store(tmp_path / "b.duckdb", [PAGES])
    assert bucketed.scalar("SELECT count(*) FROM signins") > 5 * 2_000  # several buckets
    assert snapshot(bucketed) == snapshot(full)
    assert bucketed.scalar("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'bucket_facts'") == 0


def test_tagging_leaves_the_connections_optimizer_as_it_was(full: Store):
    """Building the facts turns one of DuckDB's optimizers off (sql/causes/12_bucket_facts.sql), for
    that statement only: later queries on the same connection are planned as usual."""
    assert full.scalar("SELECT current_setting('disabled_optimizers')") == ""


def test_tagging_out_of_memory_is_a_store_error_and_changes_nothing(tmp_path: Path, monkeypatch):
    """Building the facts fails outside any transaction: the error says so, not that no rollback was due."""
    store = tagged_store(tmp_path / "s.duckdb", [PAGES[:2]])
    before = snapshot(store)
    store.con.close()
    monkeypatch.setenv("SIGNINS_DUCKDB_MEMORY_LIMIT", "16MB")  # opens, but cannot build the facts
    with connect(store.db_path) as con, pytest.raises(StoreError, match="^tagging failed: Out of Memory"):
        tag(con, THRESHOLDS, full=True)
    monkeypatch.delenv("SIGNINS_DUCKDB_MEMORY_LIMIT")
    store.con = connect(store.db_path)
    assert snapshot(store) == before


def test_changed_thresholds_retag_everything(tmp_path: Path):
    store = tagged_store(tmp_path / "s.duckdb", [PAGES[:2]])
    outcome = tag(store.con, load_thresholds(preset="sentinel", overrides={"privileged_accounts": PRIVILEGED}))
    assert outcome.full and outcome.tagged == store.scalar("SELECT count(*) FROM cause_tags") > 0


def test_a_version_1_database_is_migrated_without_losing_data(tmp_path: Path):
    path = tmp_path / "v1.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE schema_migrations "
        "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    )
    version, first = migrations()[0]
    con.execute(first.read_text())
    con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [version, first.name])
    con.close()
    store = Store(path)  # opening migrates
    store.ingest(PAGES[-1])
    assert store.scalar("SELECT max(version) FROM schema_migrations") == migrations()[-1][0]
    assert tag(store.con, THRESHOLDS).tagged == store.scalar("SELECT count(*) FROM signins WHERE error_code = 500121")


# The tags each kind of finding is built from (every tag of the user for the others).
FINDING_TAGS = {
    "fatigue_then_success": "list_contains(causes, 'mfa_fatigue') AND success_within_hour",
    "fatigue_burst": "list_contains(causes, 'mfa_fatigue')",
    "fraud_reported": "list_contains(causes, 'fraud_reported')",
    "password_known_elsewhere": "password_known_elsewhere AND NOT success_within_hour",
}


def assert_users_export_counts_attempts_with_the_fix(db: Path, users: list[dict]) -> None:
    """Each finding's attempts are the distinct correlation ids of the tags it is built from, and its fix
    is the fix the cause engine gave its dominant cause."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        for row in users:
            ((attempts, rows),) = con.execute(
                "SELECT count(DISTINCT coalesce(correlation_id, signin_id)), count(*) FROM cause_tags "
                f"WHERE user_key = ? AND {FINDING_TAGS.get(row['finding'], 'true')}",
                [row["user_key"]],
            ).fetchall()
            assert (row["attempts"], row["failures"]) == (attempts, rows)
            fixes = con.execute("SELECT DISTINCT fix FROM cause_tags WHERE primary_cause = ?", [row["dominant_cause"]])
            assert [row["fix"]] == [fix for (fix,) in fixes.fetchall()]
        assert any(row["attempts"] < row["failures"] for row in users)  # an attempt can log several rows
    finally:
        con.close()


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, timeout=300)


def test_explain_export_and_evaluate_commands(full: Store, tmp_path: Path):
    db = full.db_path
    full.con.execute("CHECKPOINT")
    signin_id, correlation_id = full.rows(
        "SELECT signin_id, correlation_id FROM cause_tags WHERE primary_cause = 'time_drift' LIMIT 1"
    )[0]
    full_failures = full.scalar("SELECT count(*) FROM cause_tags")
    findings = full.scalar("SELECT count(*) FROM user_findings")
    full.con.close()
    try:
        explained = run_cli("explain", correlation_id, "--db", str(db))
        assert explained.returncode == 0, explained.stderr
        assert "likely cause: time_drift" in explained.stdout and "Fix 1" in explained.stdout
        assert f"Request ID {signin_id}" in explained.stdout and f"Correlation ID {correlation_id}" in explained.stdout
        missing = run_cli("explain", "no-such-id", "--db", str(db))
        assert missing.returncode == 6 and "no sign-in with this id" in missing.stderr
        out = tmp_path / "causes.csv"
        assert run_cli("export", "causes", "--db", str(db), "--out", str(out)).returncode == 0
        header = out.read_text().splitlines()[0].split(",")
        assert header[:10] == [
            "signin_id",
            "correlation_id",
            "user_principal_name",
            "created_at",
            "error_code",
            "primary_cause",
            "causes",
            "confidence",
            "fix",
            "policies",
        ]
        assert (
            header[-9:]
            == (  # added at the end: the hour before the failure, then the tenant
                "verdict verdict_reason password_failures_hour password_failure_ips_hour spray_users_hour "
                "mfa_interrupts_hour ca_blocks_hour password_known_elsewhere tenant_id"
            ).split()
        )
        for kind, fmt in [("users", "json"), ("policies", "parquet")]:
            target = tmp_path / f"{kind}.{fmt}"
            assert run_cli("export", kind, "--db", str(db), "--format", fmt, "--out", str(target)).returncode == 0
        assert pl.read_parquet(tmp_path / "policies.parquet").height > 0
        users = json.loads((tmp_path / "users.json").read_text())
        assert len(users) == findings > 8
        # added at the end: the columns before keep their places
        assert list(users[0])[-5:] == ["attempts", "fix", "verdict", "verdict_reason", "tenant_id"]
        assert_users_export_counts_attempts_with_the_fix(db, users)
        scored = run_cli("evaluate", "--db", str(db), "--truth", str(SAMPLE / "ground_truth.csv"))
        assert scored.returncode == 0
        correct, total = map(int, re.search(r"overall: (\d+) of (\d+)", scored.stdout).groups())
        assert total == full_failures and correct / total >= 0.9
        agree, total = map(int, re.search(r"verdicts: (\d+) of (\d+) match", scored.stdout).groups())
        assert total == full_failures and agree / total >= 0.95
    finally:
        full.con = connect(db)


def test_the_text_of_the_mfa_step_counts_else_the_last_failed_step_else_the_sign_ins_details(tmp_path: Path):
    """Which step's text the tagger reads (docs/causes.md, "Settled questions"): the last step whose
    requirement is multifactor authentication, else the last failed step, else status.additionalDetails."""
    from tests.test_explain import BASE

    password, mfa = BASE["authenticationDetails"]
    unreadable = {"additionalDetails": "MFA denied; Phone App Reported Fraud"}
    records = [
        # a later failed step that is not the MFA step does not count
        {**BASE, "id": "mfa-step", "authenticationDetails": [password, mfa, {**password, "succeeded": False,
         "authenticationStepResultDetail": "user entered incorrect code"}]},
        # no MFA step: the last failed step
        {**BASE, "id": "failed-step", "authenticationDetails": [password, {**mfa, "authenticationStepRequirement": None,
         "authenticationStepResultDetail": "MFA denied; user did not respond to mobile app notification"}]},
        # no step text at all: the sign-in's additional details
        {**BASE, "id": "details", "authenticationDetails": [password], "status": {**BASE["status"], **unreadable}},
    ]  # fmt: skip
    for n, record in enumerate(records):  # the fixture's number-matching denial would decide on its own
        record |= {"correlationId": f"corr-{n}", "authenticationAppPolicyEvaluationDetails": []}
    (tmp_path / "steps.json").write_text(json.dumps({"value": records}))
    store = Store(tmp_path / "s.duckdb")
    store.ingest(tmp_path / "steps.json")
    tag(store.con, THRESHOLDS)
    tagged = dict(store.rows("SELECT signin_id, primary_cause FROM cause_tags"))
    store.con.close()
    assert tagged == {"mfa-step": "prompt_denied", "failed-step": "push_not_delivered", "details": "fraud_reported"}
