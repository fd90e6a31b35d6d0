"""The bundled sample tenant loads whole, and the nightly flow runs on it under Prefect."""

from __future__ import annotations

import csv

import pytest

from signins import PROJECT_ROOT
from tests.conftest import Store

SAMPLE = PROJECT_ROOT / "data" / "sample"


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory) -> Store:
    store = Store(tmp_path_factory.mktemp("sample") / "signins.duckdb")
    for page in sorted((SAMPLE / "signins").glob("page-*.json.gz")):
        outcome = store.ingest(page)
        assert outcome.quarantined == 0, outcome.summary()
    yield store
    store.con.close()


def test_every_sample_record_lands(sample_store: Store):
    assert sample_store.scalar("SELECT count(*) FROM signins") == 19_183
    assert dict(sample_store.rows("SELECT event_type, count(*) FROM signins GROUP BY 1")) == {
        "interactiveUser": 7_057,
        "nonInteractiveUser": 12_126,
    }
    assert sample_store.scalar("SELECT count(*) FROM signins WHERE error_code = 500121") == 619


def test_ground_truth_failures_carry_their_evidence(sample_store: Store):
    truth = list(csv.DictReader((SAMPLE / "ground_truth.csv").open(encoding="utf-8")))
    loaded = dict(sample_store.rows("SELECT id, error_code FROM signins WHERE error_code = 500121"))
    assert {row["id"] for row in truth} == set(loaded)
    # every 500121 has an MFA step and the CA policies that were evaluated
    assert (
        sample_store.scalar(
            "SELECT count(*) FROM signins s WHERE error_code = 500121 AND NOT EXISTS "
            "(SELECT 1 FROM signin_auth_steps a WHERE a.signin_id = s.id AND a.requirement ILIKE 'multi%')"
        )
        == 0
    )
    assert (
        sample_store.scalar("SELECT min(n) FROM (SELECT count(*) AS n FROM signin_ca_policies GROUP BY signin_id)")
        == 12
    )
    number_mismatch = [r["id"] for r in truth if r["cause"] == "number_mismatch"]
    statuses = {
        s
        for (s,) in sample_store.rows(
            "SELECT status FROM signin_app_policy_evaluations WHERE signin_id IN (SELECT unnest(?))", [number_mismatch]
        )
    }
    assert "numberMatchIncorrectNumberEntered" in statuses
