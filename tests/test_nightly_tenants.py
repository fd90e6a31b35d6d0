"""The nightly flow over a tenants file: one Prefect task per tenant, failures isolated, retries on network
errors only; the nightly run's tenants and the backfill's (tenant, day) chunks fanned out on Dask give the
store pulling them one after another gives."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

from conftest import Store
from test_graph_secrets import SECRETS, assert_no_secret, store_text

from reliability.graph_server import GraphServer, make_records

CONTOSO_TOKEN, FABRIKAM_TOKEN, NORTHWIND_TOKEN = SECRETS


def prefect_texts(flow_run_id) -> list[str]:
    """Every log line and artifact the Prefect API holds for a flow run (logs flushed first)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogHandler

    APILogHandler().flush()
    logs, by_run = [], LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]))
    with get_client(sync_client=True) as client:
        while page := client.read_logs(by_run, limit=200, offset=len(logs)):  # the API's page limit
            logs += page
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    return [log.message for log in logs] + [str(artifact.data) for artifact in artifacts]


def test_nightly_pulls_each_tenant_in_its_own_task(tmp_path, monkeypatch, prefect_harness):
    from prefect.blocks.system import Secret

    from flows.nightly import nightly

    Secret(value=CONTOSO_TOKEN).save("nightly-contoso-token", overwrite=True, _sync=True)
    records = make_records(120, datetime.now(UTC) - timedelta(days=2))
    with (
        GraphServer(records, max_page=50, token=CONTOSO_TOKEN) as contoso,
        GraphServer(records) as fabrikam,
        GraphServer(records) as northwind,
    ):
        fabrikam.fail_from(1, "503")  # unavailable on every try: a network error, retried
        northwind.fail_from(1, "401")  # echoes the token it got; an access error, not retried
        tenants = tmp_path / "tenants.toml"
        tenants.write_text(
            f'[[tenant]]\nname = "contoso"\ntenant_id = "t-contoso"\ntoken = "prefect-secret:nightly-contoso-token"\n'
            f'base_url = "{contoso.base_url}"\n'
            f'[[tenant]]\nname = "fabrikam"\ntenant_id = "t-fabrikam"\ntoken = "env:FABRIKAM_TOKEN"\n'
            f'base_url = "{fabrikam.base_url}"\n'
            f'[[tenant]]\nname = "northwind"\ntenant_id = "t-northwind"\ntoken = "env:NORTHWIND_TOKEN"\n'
            f'base_url = "{northwind.base_url}"\n'
        )
        for key in ("SIGNINS_GRAPH_TOKEN", "SIGNINS_CLIENT_SECRET", "SIGNINS_EVENT_TYPES"):
            monkeypatch.delenv(key, raising=False)
        for key, value in {
            "SIGNINS_TENANTS_FILE": str(tenants),
            "FABRIKAM_TOKEN": FABRIKAM_TOKEN,
            "NORTHWIND_TOKEN": NORTHWIND_TOKEN,
            "SIGNINS_GRAPH_RATE_LIMIT": "100/1",
            "SIGNINS_RETENTION_DAYS": "4",
            "SIGNINS_GRAPH_MAX_RETRIES": "0",
            "SIGNINS_PULL_TASK_RETRY_DELAYS": "0,0",
            "SIGNINS_DASK_SCHEDULER": "off",
        }.items():
            monkeypatch.setenv(key, value)
        db = tmp_path / "tenants.duckdb"
        state = nightly(source="graph", db_path=str(db), out=str(tmp_path / "report"), return_state=True)
    error = state.result(raise_on_failure=False, _sync=True)  # blocking even under a running event loop
    assert state.is_failed() and error.exit_code == 7
    assert str(error) == "2 of 3 tenant(s) failed: fabrikam, northwind"
    assert len(fabrikam.requests) == 3 and len(northwind.requests) == 1  # 1 + 2 retries; never retried
    store = Store(db)
    try:
        assert dict(store.rows("SELECT tenant_id, count(*) FROM signins GROUP BY 1")) == {"t-contoso": 120}
        assert store.scalar("SELECT count(*) FROM cause_tags") > 0  # the healthy tenant was tagged
    finally:
        store.con.close()
    texts = prefect_texts(state.state_details.flow_run_id)
    (summary,) = [t for t in texts if "# Sign-in run" in t]
    assert "- OK contoso: " in summary and "- FAILED fabrikam: Graph failed with HTTP 503" in summary
    assert "- FAILED northwind: Graph rejected the credentials" in summary
    # the task logs were read too, down to northwind's failure (the echoed token redacted)
    assert any("contoso interactiveUser: " in t for t in texts)
    assert any("Access token has expired: ***" in t for t in texts if "# Sign-in run" not in t)
    assert_no_secret(*texts, store_text(db))


def test_tenants_fanned_out_on_a_dask_cluster_give_the_sequential_store(tmp_path, monkeypatch, prefect_harness):
    """Three tenants pulled at once by a real Dask LocalCluster (scheduler and worker processes on
    loopback), each into a partition of its own, then merged: the same store as one after another."""
    from flows.nightly import nightly
    from tests.test_nightly_flow import checksums

    start = datetime.now(UTC) - timedelta(days=2)
    servers = [GraphServer(make_records(40, start, prefix=prefix), max_page=15) for prefix in "abc"]
    for server in servers:
        server.__enter__()
    try:
        tenants = tmp_path / "tenants.toml"
        tenants.write_text(
            "".join(
                f'[[tenant]]\nname = "{name}"\ntenant_id = "t-{name}"\ntoken = "env:TENANT_TOKEN"\n'
                f'base_url = "{server.base_url}"\n'
                for name, server in zip(("contoso", "fabrikam", "northwind"), servers, strict=True)
            )
        )
        for key in ("SIGNINS_GRAPH_TOKEN", "SIGNINS_CLIENT_SECRET", "SIGNINS_EVENT_TYPES"):
            monkeypatch.delenv(key, raising=False)
        for key, value in {
            "SIGNINS_TENANTS_FILE": str(tenants),
            "TENANT_TOKEN": "test-token",
            "SIGNINS_GRAPH_RATE_LIMIT": "100/1",
            "SIGNINS_RETENTION_DAYS": "4",
        }.items():
            monkeypatch.setenv(key, value)
        stores = {}
        for scheduler in ("local", "off"):
            monkeypatch.setenv("SIGNINS_DASK_SCHEDULER", scheduler)
            db = tmp_path / scheduler / "tenants.duckdb"
            totals = nightly(source="graph", db_path=str(db), out=str(tmp_path / scheduler / "report"))
            assert totals["new_signins"] == 120
            stores[scheduler] = db
    finally:
        for server in servers:
            server.__exit__(None, None, None)
    sums = {
        scheduler: checksums(db, ignore=frozenset({"first_path"})) for scheduler, db in stores.items()
    }  # paths differ
    assert sums["local"] == sums["off"]
    # a site per tenant, written on the Dask cluster or one after another alike, and the overview linking them
    sites = {
        scheduler: sorted(p.relative_to(tmp_path / scheduler / "report").as_posix()
                          for p in (tmp_path / scheduler / "report").rglob("*.html"))
        for scheduler in stores
    }  # fmt: skip
    assert sites["local"] == sites["off"] and sum(name.endswith("/index.html") for name in sites["local"]) == 3
    overview = (tmp_path / "local" / "report" / "index.html").read_text(encoding="utf-8")
    assert all(f"t-{name}" in overview for name in ("contoso", "fabrikam", "northwind"))
    store = Store(stores["local"])
    assert dict(store.rows("SELECT tenant_id, count(*) FROM signins GROUP BY 1")) == {
        "t-contoso": 40,
        "t-fabrikam": 40,
        "t-northwind": 40,
    }
    assert store.scalar("SELECT count(DISTINCT tenant_id) FROM pull_watermarks") == 3
    assert not list(stores["local"].with_name("tenants.duckdb.staging").glob("*.duckdb"))  # partitions merged, gone


def test_backfill_fanned_out_on_a_dask_cluster_gives_the_sequential_store(tmp_path, monkeypatch, prefect_harness):
    """Two tenants' days pulled at once by a real Dask LocalCluster (its address in SIGNINS_DASK_SCHEDULER),
    each (tenant, day) into a partition, then landed day by day over a store that already holds both
    tenants' watermarks: the store, watermarks and totals of pulling them one after another."""
    from distributed import LocalCluster

    from flows.backfill import backfill
    from signins.graph.fleet import pull_tenants
    from signins.graph.settings import GraphSettings
    from signins.graph.tenants import load_tenants
    from tests.test_nightly_flow import checksums

    start = datetime(2026, 11, 20, 6, tzinfo=UTC)
    servers = {
        name: GraphServer(make_records(60, start, step=timedelta(hours=1), prefix=name[0]), max_page=20)
        for name in ("contoso", "fabrikam")
    }  # 60 hourly sign-ins each, to 2026-11-22 17:00
    for server in servers.values():
        server.__enter__()
    try:
        tenants = tmp_path / "tenants.toml"
        tenants.write_text(
            "".join(
                f'[[tenant]]\nname = "{name}"\ntenant_id = "t-{name}"\ntoken = "env:TENANT_TOKEN"\n'
                f'base_url = "{server.base_url}"\n'
                for name, server in servers.items()
            )
        )
        for key in ("SIGNINS_GRAPH_TOKEN", "SIGNINS_CLIENT_SECRET", "SIGNINS_EVENT_TYPES"):
            monkeypatch.delenv(key, raising=False)
        for key, value in {
            "SIGNINS_TENANTS_FILE": str(tenants),
            "TENANT_TOKEN": "test-token",
            "SIGNINS_GRAPH_RATE_LIMIT": "100/1",
        }.items():
            monkeypatch.setenv(key, value)
        first_day = tmp_path / "base" / "backfill.duckdb"  # the first 18 hours, pulled before
        store = Store(first_day)
        assert all(
            r.error is None
            for r in pull_tenants(
                store.con,
                first_day,
                load_tenants(tenants),
                GraphSettings.from_env(),
                start,
                start + timedelta(hours=18),
            )
        )
        pulled_before = store.scalar("SELECT count(*) FROM signins")
        store.con.close()
        stores, totals = {}, {}
        with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None) as cluster:
            for scheduler in (cluster.scheduler_address, "off"):
                mode = "off" if scheduler == "off" else "dask"
                shutil.copytree(tmp_path / "base", tmp_path / mode)
                monkeypatch.setenv("SIGNINS_DASK_SCHEDULER", scheduler)
                stores[mode] = tmp_path / mode / "backfill.duckdb"
                totals[mode] = backfill(
                    since=start + timedelta(hours=18),
                    until=start + timedelta(days=3),
                    db_path=str(stores[mode]),
                    out=str(tmp_path / mode / "report"),
                )
            pulled_on_dask = cluster.scheduler.task_prefixes["pull_graph_tenant"].state_counts["memory"]
    finally:
        for server in servers.values():
            server.__exit__(None, None, None)
    assert pulled_on_dask == 2 * 3  # a task per (tenant, day): 21, 22 and 23 November
    for run in totals.values():
        del run["report"], run["run_record"]  # paths
    assert totals["dask"] == totals["off"] and totals["dask"]["new_signins"] == 2 * 60 - pulled_before > 0
    sums = {mode: checksums(db, ignore=frozenset({"first_path"})) for mode, db in stores.items()}
    assert sums["dask"] == sums["off"]
    watermarks = "SELECT * EXCLUDE (updated_at) FROM pull_watermarks ORDER BY ALL"
    pages = "SELECT tenant_id, event_type, slice_start, page, records, new_signins FROM pull_pages ORDER BY ALL"
    dask, off = Store(stores["dask"]), Store(stores["off"])
    assert dask.rows(watermarks) == off.rows(watermarks) and len(dask.rows(watermarks)) == 2 * 4
    assert dask.rows(pages) == off.rows(pages)
    assert dict(dask.rows("SELECT tenant_id, count(*) FROM signins GROUP BY 1")) == {"t-contoso": 60, "t-fabrikam": 60}
    assert not list(stores["dask"].with_name("backfill.duckdb.staging").iterdir())  # partitions merged, gone
