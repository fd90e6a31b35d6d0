"""The nightly flow runs for real under Prefect's test harness (one per session, conftest.prefect_harness)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Store


def test_nightly_flow_lands_tags_and_reruns_idempotently(tmp_path: Path, prefect_harness):
    from flows.nightly import nightly

    db, out = tmp_path / "nightly.duckdb", tmp_path / "report"
    first = nightly(source="sample", db_path=str(db), out=str(out))
    store = Store(db)
    before = {t: store.checksum(t) for t in ("signins", "cause_tags", "user_findings", "policy_daily")}
    store.con.close()
    second = nightly(source="sample", db_path=str(db), out=str(out))
    failures = Store(db).scalar("SELECT count(*) FROM signins WHERE error_code = 500121")
    assert first["sources"] == 20 and first["new_signins"] == first["records"] > 0 and first["quarantined"] == 0
    assert first["tagged"] == failures and first["findings"] >= 3
    assert first["report"] == str(out / "index.html") and (out / "users.html").is_file()
    assert (second["records"], second["new_signins"], second["tagged"]) == (0, 0, 0)
    store = Store(db)
    after = {t: store.checksum(t) for t in before}
    assert after == before
    assert store.scalar("SELECT count(*) FROM ingest_log WHERE already_ingested") == 20


def test_nightly_flow_from_graph(tmp_path: Path, monkeypatch, prefect_harness):
    """source=graph: the flow pulls through msgraph-sdk from the local Graph stand-in, then tags."""
    from datetime import datetime, timedelta, timezone

    from flows.nightly import nightly
    from graph_server import GraphServer, make_records

    records = make_records(120, datetime.now(timezone.utc) - timedelta(days=2))
    db = tmp_path / "graph.duckdb"
    with GraphServer(records, max_page=50) as server:
        for key, value in {"SIGNINS_GRAPH_BASE_URL": server.base_url, "SIGNINS_GRAPH_TOKEN": "test-token",
                           "SIGNINS_TENANT_ID": "contoso", "SIGNINS_GRAPH_RATE_LIMIT": "100/1",
                           "SIGNINS_RETENTION_DAYS": "4"}.items():
            monkeypatch.setenv(key, value)
        for key in ("SIGNINS_CLIENT_SECRET", "SIGNINS_CERTIFICATE_PATH", "SIGNINS_EVENT_TYPES"):
            monkeypatch.delenv(key, raising=False)
        first = nightly(source="graph", db_path=str(db), out=str(tmp_path / "report"))
        second = nightly(source="graph", db_path=str(db), out=str(tmp_path / "report"))
    store = Store(db)
    assert store.scalar("SELECT count(*) FROM signins") == first["new_signins"] == 120
    assert first["tagged"] == store.scalar("SELECT count(*) FROM signins WHERE error_code = 500121 AND event_type "
                                           "IN ('interactiveUser', 'nonInteractiveUser')") > 0   # user sign-ins only
    assert second["new_signins"] == 0
