"""The Great Expectations gates: row failures quarantined by name, table failures stop the run, new
enum values reported."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pandas as pd
import pytest

from signins.errors import GateFailed
from signins.runs import gates
from signins.runs.gates import gate
from tests.conftest import FIXTURES, Store

GRAPH = json.loads((FIXTURES / "cross_format" / "graph_beta_page.json").read_text())["value"][0]
WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC))


def graph(n: int, **changes) -> bytes:
    return orjson.dumps(
        {**GRAPH, "id": f"00000000-0000-0000-0000-{n:012d}", "createdDateTime": "2026-06-01T10:00:00Z", **changes}
    )


def loaded(tmp_path: Path, lines: list[bytes]) -> Store:
    path = tmp_path / "signins.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    store = Store(tmp_path / "staging.duckdb")
    store.ingest(path)
    return store


def with_location(n: int, latitude: float, longitude: float) -> bytes:
    location = {**GRAPH["location"], "geoCoordinates": {"latitude": latitude, "longitude": longitude}}
    return graph(n, location=location)


def test_rows_failing_a_row_check_go_to_quarantine_under_its_name(tmp_path: Path):
    lines = [graph(n) for n in range(40)]
    lines[3] = with_location(3, 123.0, 10.0)
    lines[4] = graph(4, createdDateTime="2027-06-01T10:00:00Z")
    store = loaded(tmp_path, lines)
    report = gate(store.con, WINDOW, max_failed_percent=10)
    assert report.passed and report.quarantined == 2
    assert store.scalar("SELECT count(*) FROM signins") == 38
    reasons = dict(store.rows("SELECT locator, reason FROM quarantine"))
    assert reasons == {
        "line:4": "failed validation: latitude within -90..90",
        "line:5": "failed validation: sign-in time within the window read",
    }
    assert store.scalar("SELECT count(*) FROM signin_ca_policies WHERE signin_id LIKE '%00000000000_3'") == 0


def test_a_sign_in_without_an_error_code_goes_to_quarantine(tmp_path: Path):
    """The integer column arrives in pandas as floats with NaN for NULL; that is still a missing code."""
    status = {key: value for key, value in GRAPH["status"].items() if key != "errorCode"}
    store = loaded(tmp_path, [graph(n) for n in range(30)] + [graph(30, status=status)])
    report = gate(store.con, WINDOW, max_failed_percent=10)
    assert report.quarantined == 1
    assert store.rows("SELECT locator, reason FROM quarantine") == [
        ("line:31", "failed validation: error code present and an integer")
    ]


def test_batches_are_not_fingerprinted():
    """GX hashes every row of a batch for a marker nothing reads (3.7 of the gate's 10 s at 1 M sign-ins)."""
    batch = gates._batch_definition().get_batch(batch_parameters={"dataframe": pd.DataFrame({"id": ["a"]})})
    assert "pandas_data_fingerprint" not in batch.batch_markers


def test_row_failures_above_the_threshold_fail_the_gate_and_change_nothing(tmp_path: Path):
    lines = [graph(n) for n in range(10)] + [with_location(n, 0.0, 999.0) for n in range(10, 12)]
    store = loaded(tmp_path, lines)
    with pytest.raises(GateFailed) as failed:
        gate(store.con, WINDOW, max_failed_percent=10)
    assert "2 of 12 sign-ins (16.7%) failed row checks, above the 10% threshold (most: longitude" in str(failed.value)
    assert failed.value.report.passed is False
    assert store.scalar("SELECT count(*) FROM signins") == 12
    assert store.scalar("SELECT count(*) FROM quarantine") == 0


def test_a_table_check_failing_fails_the_gate(tmp_path: Path):
    store = loaded(tmp_path, [graph(n) for n in range(5)])
    store.con.execute("UPDATE raw_records SET format = 'graph/zip' WHERE locator = 'line:2'")
    with pytest.raises(GateFailed, match="failed: raw record formats are known"):
        gate(store.con, WINDOW, max_failed_percent=10)


def test_new_enum_values_are_reported_not_failed(tmp_path: Path):
    store = loaded(tmp_path, [graph(0), graph(1, conditionalAccessStatus="reportOnlyBlocked")])
    report = gate(store.con, WINDOW, max_failed_percent=0)
    assert report.passed and report.quarantined == 0
    assert report.new_values() == {"conditional_access_status": ["reportOnlyBlocked"]}


def test_a_store_checked_in_slices_gives_the_report_of_one_pass(tmp_path: Path, monkeypatch):
    """Big stores are checked a slice at a time (bounded memory): same results, same quarantine."""
    lines = [graph(n) for n in range(60)]
    lines[3], lines[17], lines[41] = (
        with_location(3, 123.0, 10.0),
        with_location(17, 0.0, 999.0),
        graph(41, createdDateTime="2027-06-01T10:00:00Z"),
    )
    lines[8] = graph(8, conditionalAccessStatus="reportOnlyBlocked")
    lines[50] = graph(50, riskState="quiteRisky")
    (tmp_path / "whole").mkdir(), (tmp_path / "sliced").mkdir()
    whole = gate(loaded(tmp_path / "whole", lines).con, WINDOW, max_failed_percent=10)
    monkeypatch.setattr("signins.runs.gates.SLICE_ROWS", 7)
    sliced_store = loaded(tmp_path / "sliced", lines)
    sliced = gate(sliced_store.con, WINDOW, max_failed_percent=10)
    assert sliced.to_dict() == whole.to_dict()
    assert sliced.quarantined == 3 and sliced.rows == 60
    assert sliced.new_values() == {"conditional_access_status": ["reportOnlyBlocked"], "risk_state": ["quiteRisky"]}
    assert sliced_store.scalar("SELECT count(*) FROM quarantine") == 3


def test_a_duplicate_key_is_found_whichever_slices_the_rows_fall_in(tmp_path: Path, monkeypatch):
    monkeypatch.setattr("signins.runs.gates.SLICE_ROWS", 3)
    store = loaded(tmp_path, [graph(n) for n in range(20)])
    store.con.execute("CREATE TABLE copy AS SELECT * FROM raw_records")
    store.con.execute("DROP TABLE raw_records")
    store.con.execute("CREATE TABLE raw_records AS SELECT * FROM copy UNION ALL (SELECT * FROM copy LIMIT 1)")
    with pytest.raises(GateFailed, match="failed: raw record keys are unique"):
        gate(store.con, WINDOW, max_failed_percent=10)
