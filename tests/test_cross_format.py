"""One sign-in written as Graph beta, Azure Monitor and Log Analytics (JSON and CSV) is one row."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CHILD_TABLES, FIXTURES, Store

CROSS = FIXTURES / "cross_format"
FORMS = ["graph_beta_page.json", "azure_monitor.log", "log_analytics.jsonl", "log_analytics.csv"]
PER_SOURCE = {"source_format", "record_key", "completeness", "loaded_at", "version_hash"}
SOURCE_ONLY = {"signin_auth_steps": "status_sequence, request_sequence"}


def normalised(tmp_path: Path, name: str) -> dict:
    store = Store(tmp_path / f"{name}.duckdb")
    outcome = store.ingest(CROSS / name)
    assert (outcome.records, outcome.quarantined) == (1, 0)
    cursor = store.con.execute("SELECT * FROM signins")
    columns = [d[0] for d in cursor.description]
    row = dict(zip(columns, cursor.fetchall()[0], strict=True))
    # StatusSequence / RequestSequence exist only in Azure Monitor exports: not part of the comparison.
    children = {
        t: rows_of(
            store,
            f"SELECT * EXCLUDE ({SOURCE_ONLY[t]}) FROM {t} ORDER BY ALL"
            if t in SOURCE_ONLY
            else f"SELECT * FROM {t} ORDER BY ALL",
        )
        for t in CHILD_TABLES
    }
    store.con.close()
    return {"signin": {k: v for k, v in row.items() if k not in PER_SOURCE}, **children}


def rows_of(store: Store, sql: str) -> list[dict]:
    cursor = store.con.execute(sql)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def graph_form(tmp_path_factory) -> dict:
    return normalised(tmp_path_factory.mktemp("graph"), FORMS[0])


@pytest.mark.parametrize("name", FORMS[1:])
def test_each_form_normalises_to_the_graph_row(tmp_path, graph_form, name):
    other = normalised(tmp_path, name)
    differing = {k for k in graph_form["signin"] if graph_form["signin"][k] != other["signin"][k]}
    assert not differing, {k: (graph_form["signin"][k], other["signin"][k]) for k in differing}
    for table in CHILD_TABLES:
        assert other[table] == graph_form[table], table


def test_graph_row_has_the_mfa_evidence(graph_form):
    signin = graph_form["signin"]
    assert signin["error_code"] == 500121
    assert signin["event_type"] == "interactiveUser"
    assert signin["requirement_providers"] == ["multiConditionalAccess"]
    assert signin["network_types"] == ["extranet"]
    policies = {row["policy_id"]: row for row in graph_form["signin_ca_policies"]}
    assert (
        policies["11111111-aaaa-4bbb-8ccc-000000000012"]["conditions_satisfied"] == 1 | 2 | 8
    )  # application, users, location
    assert policies["11111111-aaaa-4bbb-8ccc-000000000004"]["conditions_not_satisfied"] == 2  # users
    assert graph_form["signin_app_policy_evaluations"][0]["status"] == "numberMatchDeny"
    assert {row["signin_created_at"] for table in CHILD_TABLES for row in graph_form[table]} == {signin["created_at"]}


def test_all_forms_together_are_one_signin(store: Store):
    for name in FORMS:
        store.ingest(CROSS / name)
    assert store.scalar("SELECT count(*) FROM signins") == 1
    assert store.scalar("SELECT count(*) FROM raw_records") == 4
    assert store.scalar("SELECT count(*) FROM signin_auth_steps") == 2
    assert store.scalar("SELECT count(*) FROM signin_ca_policies") == 3
