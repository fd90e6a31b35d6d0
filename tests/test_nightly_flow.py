"""The nightly flow runs for real under Prefect's test harness on the sample tenant."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Store


def test_nightly_flow_lands_tags_and_reruns_idempotently(tmp_path: Path):
    from prefect.testing.utilities import prefect_test_harness

    import flows  # noqa: F401  (analytics off before Prefect loads)
    from flows.nightly import nightly

    db = tmp_path / "nightly.duckdb"
    with prefect_test_harness():
        first = nightly(source="sample", db_path=str(db))
        store = Store(db)
        before = {t: store.checksum(t) for t in ("signins", "cause_tags", "user_findings", "policy_daily")}
        store.con.close()
        second = nightly(source="sample", db_path=str(db))
    failures = Store(db).scalar("SELECT count(*) FROM signins WHERE error_code = 500121")
    assert first["files"] == 20 and first["new_signins"] == first["records"] > 0 and first["quarantined"] == 0
    assert first["tagged"] == failures and first["findings"] >= 3
    assert (second["records"], second["new_signins"], second["tagged"]) == (0, 0, 0)
    store = Store(db)
    after = {t: store.checksum(t) for t in before}
    assert after == before
    assert store.scalar("SELECT count(*) FROM ingest_log WHERE already_ingested") == 20
