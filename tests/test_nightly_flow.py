"""The flows run for real under Prefect's test harness (one per session, conftest.prefect_harness):
the nightly run end to end, reruns, a failing task, a run that died while landing, a failing gate,
two runs on one database, the backfill, and the deployment's schedule."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import orjson
import pytest
import yaml

from signins import PROJECT_ROOT
from signins.errors import GateFailed
from signins.ingest import blobs
from signins.ingest.load import ingest_paths
from signins.runs import landing
from signins.settings import IngestLimits
from signins.store.runlock import RunLocked
from tests.conftest import FIXTURES, Store

TABLES = (
    "raw_files",
    "raw_records",
    "signins",
    "signin_auth_steps",
    "signin_ca_policies",
    "quarantine",
    "cause_tags",
    "user_findings",
    "policy_daily",
)
pytestmark = pytest.mark.usefixtures("prefect_harness")


WRITTEN_AT = {"first_seen_at", "loaded_at", "ingested_at", "ingest_id", "quarantined_at", "tagged_at"}


def checksums(db: Path, ignore: frozenset = frozenset()) -> dict:
    """Per table: (rows, order-independent hash of every column but the times rows were written)."""
    store = Store(db)
    try:
        sums = {}
        for table in TABLES:
            columns = [
                c
                for (c,) in store.rows(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                    [table],
                )
                if c not in WRITTEN_AT | ignore
            ]
            row = ", ".join(f'"{c}"' for c in columns)
            sums[table] = store.rows(f"SELECT count(*), coalesce(sum(hash(({row}))), 0) FROM {table}")[0]
        return sums
    finally:
        store.con.close()


class AlertSink(HTTPServer):
    """A loopback webhook that apprise's json:// posts alerts to."""

    def __init__(self):
        self.alerts: list[dict] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                sink.alerts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server_address[1]}/alerts"


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory, prefect_harness) -> tuple[Path, dict, list[dict]]:
    """The sample tenant through one uninterrupted nightly run: (db, totals, alerts received)."""
    from flows.nightly import nightly

    folder = tmp_path_factory.mktemp("clean")
    sink = AlertSink()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SIGNINS_NOTIFY_URL", sink.url)
        totals = nightly(source="sample", db_path=str(folder / "nightly.duckdb"), out=str(folder / "report"))
    sink.shutdown()
    return folder / "nightly.duckdb", totals, sink.alerts


def test_nightly_run_lands_gates_merges_tags_reports_and_alerts(clean_run):
    db, totals, alerts = clean_run
    store = Store(db)
    failures = store.scalar("SELECT count(*) FROM signins WHERE error_code = 500121")
    alerting = store.rows(
        "SELECT finding, user_principal_name FROM user_findings "
        "WHERE finding = 'privileged_lockout' OR verdict = 'hostile'"
    )
    store.con.close()
    assert totals["sources"] == 20 and totals["new_signins"] == totals["records"] == 19_183
    assert totals["quarantined"] == 0 and totals["tagged"] == failures and totals["findings"] >= 3
    assert Path(totals["report"]).name == "index.html" and (Path(totals["report"]).parent / "users.html").is_file()
    record = Path(totals["run_record"])
    assert json.loads((record / "validation.json").read_text())["passed"] is True
    assert json.loads((record / "summary.json").read_text())["merged"]["new_signins"] == 19_183
    assert not db.with_name(db.name + ".staging").exists()  # files land in the store itself
    store = Store(db)
    assert store.rows("SELECT run_name, state FROM runs") == [(record.name, "kept")]
    assert store.scalar("SELECT count(*) FROM displaced_signins") == 0
    store.con.close()
    # one alert per hostile finding (a fatigue burst, a fraud report, ...) and per locked-out administrator
    assert {"fatigue_burst", "fraud_reported", "privileged_lockout"} <= {finding for finding, _ in alerting}
    assert len(alerts) == len(alerting)
    assert sorted(a["title"].rsplit(": ", 1)[1] for a in alerts) == sorted(upn for _, upn in alerting)


def test_a_full_retag_after_the_nightly_keeps_its_privileged_lockout(clean_run, tmp_path: Path):
    """The nightly keeps the sample tenant's privileged accounts in the store, so `signins tag --full`
    without any setting finds the same locked-out administrator."""
    db, _totals, _alerts = clean_run
    copy = tmp_path / db.name
    shutil.copyfile(db, copy)
    findings = "SELECT finding, user_key, user_principal_name FROM user_findings ORDER BY ALL"
    store = Store(copy)
    before = store.rows(findings)
    kept = store.rows("SELECT tenant_id, user_principal_name, source FROM privileged_accounts ORDER BY ALL")
    store.con.close()
    tenant = json.loads((PROJECT_ROOT / "data" / "sample" / "tenant.json").read_text())
    assert kept == sorted(
        (tenant["tenant_id"], u["user_principal_name"].lower(), "sample") for u in tenant["privileged_users"]
    )
    assert any(finding == "privileged_lockout" for finding, *_ in before)
    done = subprocess.run(
        [sys.executable, "-m", "cli", "tag", "--full", "--db", str(copy)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    store = Store(copy)
    assert store.rows(findings) == before
    store.con.close()


def test_a_rerun_changes_nothing(clean_run, tmp_path: Path):
    from flows.nightly import nightly

    db = tmp_path / "nightly.duckdb"
    shutil.copy(clean_run[0], db)
    before = checksums(db)
    again = nightly(source="sample", db_path=str(db), out=str(tmp_path / "report"))
    assert (again["records"], again["new_signins"], again["tagged"], again["new_findings"]) == (0, 0, 0, 0)
    assert checksums(db) == before


def test_a_task_failing_mid_run_then_a_rerun_ends_as_a_clean_run(clean_run, tmp_path: Path):
    from flows.nightly import nightly

    db = tmp_path / "nightly.duckdb"
    with pytest.raises(Exception, match="no-such-preset"):  # tagging fails after the merge
        nightly(source="sample", db_path=str(db), out=str(tmp_path / "report"), preset="no-such-preset")
    assert Store(db).scalar("SELECT count(*) FROM cause_tags") == 0
    nightly(source="sample", db_path=str(db), out=str(tmp_path / "report"))
    assert checksums(db) == checksums(clean_run[0])


def test_a_run_that_died_while_landing_is_undone_by_the_next_one(clean_run, tmp_path: Path):
    """A run killed before its gates leaves what it landed in the store; the next run undoes it first."""
    from flows.nightly import nightly

    db = tmp_path / "nightly.duckdb"
    extra = tmp_path / "extra.jsonl"
    extra.write_bytes(b"\n".join(graph_line(n) for n in range(5)) + b"\n")
    store = Store(db)
    landing.start(store.con, "died")
    ingest_paths(store.con, [extra], blobs.blob_root(db), IngestLimits(), run="died")
    store.con.close()
    nightly(source="sample", db_path=str(db), out=str(tmp_path / "report"))
    assert checksums(db) == checksums(clean_run[0])
    assert Store(db).rows("SELECT run_name, state FROM runs ORDER BY started_at")[0] == ("died", "undone")


def graph_line(n: int, **changes) -> bytes:
    record = json.loads((FIXTURES / "cross_format" / "graph_beta_page.json").read_text())["value"][0]
    return orjson.dumps({**record, "id": f"00000000-0000-0000-0000-{n:012d}", **changes})


def test_a_bad_record_or_file_name_costs_itself_alone_and_the_run_carries_on(tmp_path: Path):
    """A folder with a time Entra cannot produce in one file and a name that is not UTF-8: the run lands,
    gates and tags every good record, quarantines the one bad record, and its summary escapes the name."""
    from flows.nightly import nightly

    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "a.jsonl").write_bytes(
        graph_line(1) + b"\n" + graph_line(2, createdDateTime="9999-12-31T23:59:59Z") + b"\n" + graph_line(3) + b"\n"
    )
    (folder / os.fsdecode(b"caf\xe9-export.jsonl")).write_bytes(graph_line(4) + b"\n")
    totals = nightly(source=str(folder), db_path=str(tmp_path / "nightly.duckdb"), out=str(tmp_path / "report"))
    assert (totals["sources"], totals["records"], totals["new_signins"], totals["quarantined"]) == (2, 4, 3, 1)
    summary = json.loads((Path(totals["run_record"]) / "summary.json").read_text())
    assert summary["landed"]["sources"][1]["name"] == os.fsdecode(b"caf\xe9-export.jsonl")
    from tests.test_dashboards_report import column, tables_of

    _findings, health = tables_of(Path(totals["report"]))  # the landing page's run health
    assert column(health, "last run") == [Path(totals["run_record"]).name]
    assert column(health, "outcome") == ["kept: its data passed the validation gates"]
    assert column(health, "quarantined in that run") == column(health, "quarantined records") == [1]


def test_a_failing_gate_fails_the_run_and_leaves_the_store_as_it_was(tmp_path: Path):
    from flows.nightly import nightly

    db = tmp_path / "nightly.duckdb"
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir(), bad.mkdir()
    (good / "signins.jsonl").write_bytes(b"\n".join(graph_line(n) for n in range(20)) + b"\n")
    off_the_map = {"city": "Nowhere", "geoCoordinates": {"latitude": 123.0, "longitude": 0.0}}
    (bad / "signins.jsonl").write_bytes(b"\n".join(graph_line(n, location=off_the_map) for n in range(20, 30)) + b"\n")
    nightly(source=str(good), db_path=str(db), out=str(tmp_path / "report"))
    before = checksums(db)
    with pytest.raises(GateFailed, match=r"10 of 10 sign-ins \(100.0%\) failed row checks, above the 5% threshold"):
        nightly(source=str(bad), db_path=str(db), out=str(tmp_path / "report"))
    assert checksums(db) == before
    store = Store(db)  # the bad file was landed in the store, then undone: it is not even logged as read
    assert store.rows("SELECT file_sha256 FROM ingest_log") == store.rows("SELECT file_sha256 FROM raw_files")
    assert store.scalar("SELECT count(*) FROM ingest_log") == 1
    (failed,) = store.rows("SELECT run_name FROM runs WHERE state = 'undone'")
    store.con.close()
    saved = json.loads((db.with_name(db.name + ".runs") / failed[0] / "validation.json").read_text())
    assert saved["passed"] is False and any(
        r["name"] == "latitude within -90..90" and r["unexpected"] == 10 for r in saved["results"]
    )


HOLD_LOCK = (
    "import sys, time; from pathlib import Path; from signins.store.runlock import run_lock\n"
    "with run_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(float(sys.argv[2]))\n"
)


def test_two_runs_on_one_database_never_interleave(tmp_path: Path, monkeypatch):
    from flows.nightly import nightly

    db = tmp_path / "nightly.duckdb"
    source = tmp_path / "in"
    source.mkdir()
    (source / "signins.jsonl").write_bytes(b"\n".join(graph_line(n) for n in range(5)) + b"\n")
    other = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(db), "4"], stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT
    )
    assert other.stdout.readline().strip() == "held"
    monkeypatch.setenv("SIGNINS_RUN_WAIT_SECONDS", "0")
    with pytest.raises(RunLocked, match=f"another run is writing to this database \\(process {other.pid}\\)"):
        nightly(source=str(source), db_path=str(db), out=str(tmp_path / "report"))
    assert not db.exists()  # the refused run wrote nothing
    monkeypatch.setenv("SIGNINS_RUN_WAIT_SECONDS", "60")
    started = time.monotonic()
    totals = nightly(source=str(source), db_path=str(db), out=str(tmp_path / "report"))
    other.wait()
    assert time.monotonic() - started > 2 and totals["new_signins"] == 5  # it waited for the other run


def test_backfill_pulls_day_by_day_and_equals_one_pull(tmp_path: Path, monkeypatch):
    from flows.backfill import backfill, day_chunks
    from reliability.graph_server import GraphServer, make_records

    start = datetime(2026, 11, 20, 6, tzinfo=UTC)
    records = make_records(60, start, step=timedelta(hours=1))  # 2.5 days
    db = tmp_path / "backfill.duckdb"
    with GraphServer(records, max_page=20) as server:
        for key, value in {
            "SIGNINS_GRAPH_BASE_URL": server.base_url,
            "SIGNINS_GRAPH_TOKEN": "test-token",
            "SIGNINS_TENANT_ID": "contoso",
            "SIGNINS_GRAPH_RATE_LIMIT": "100/1",
        }.items():
            monkeypatch.setenv(key, value)
        for key in ("SIGNINS_CLIENT_SECRET", "SIGNINS_CERTIFICATE_PATH", "SIGNINS_EVENT_TYPES", "SIGNINS_TENANTS_FILE"):
            monkeypatch.delenv(key, raising=False)
        end = start + timedelta(days=3)
        totals = backfill(since=start, until=end, db_path=str(db), out=str(tmp_path / "report"))
    assert len(day_chunks(start, end)) == 4 and totals["new_signins"] == 60
    assert Store(db).scalar("SELECT count(DISTINCT id) FROM signins") == 60
    assert len(list(db.with_name(db.name + ".runs").iterdir())) == 4 + 1  # a record per day, one for the run


def test_the_deployment_carries_the_nightly_schedule():
    from prefect.flows import load_flow_from_entrypoint
    from prefect.schedules import Cron

    from flows.deployment import nightly_deployment

    (deployment,) = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text())["deployments"]
    flow = load_flow_from_entrypoint(str(PROJECT_ROOT / deployment["entrypoint"]))
    (schedule,) = deployment["schedules"]
    assert flow.name == "nightly" and deployment["parameters"] == {"source": "graph"}
    assert (schedule["cron"], schedule["timezone"]) == ("30 2 * * *", "UTC")
    Cron(schedule["cron"], timezone=schedule["timezone"])  # a valid cron
    served = nightly_deployment("graph", Path("data/signins.duckdb"), "30 2 * * *")
    assert served.schedules[0].schedule.cron == "30 2 * * *" and served.schedules[0].schedule.timezone == "UTC"


def test_nightly_flow_from_graph(tmp_path: Path, monkeypatch):
    """source=graph: the flow pulls through msgraph-sdk from the local Graph stand-in, then tags."""

    from flows.nightly import nightly
    from reliability.graph_server import GraphServer, make_records

    records = make_records(120, datetime.now(UTC) - timedelta(days=2))
    admin = records[0]["userPrincipalName"]  # every record's user: a Global Administrator failing MFA
    roles = [{"displayName": "Global Administrator", "members": [{"userPrincipalName": admin}]}]
    db = tmp_path / "graph.duckdb"
    with GraphServer(records, max_page=50, roles=roles) as server:
        for key, value in {
            "SIGNINS_GRAPH_BASE_URL": server.base_url,
            "SIGNINS_GRAPH_TOKEN": "test-token",
            "SIGNINS_TENANT_ID": "contoso",
            "SIGNINS_GRAPH_RATE_LIMIT": "100/1",
            "SIGNINS_RETENTION_DAYS": "4",
        }.items():
            monkeypatch.setenv(key, value)
        for key in ("SIGNINS_CLIENT_SECRET", "SIGNINS_CERTIFICATE_PATH", "SIGNINS_EVENT_TYPES"):
            monkeypatch.delenv(key, raising=False)
        first = nightly(source="graph", db_path=str(db), out=str(tmp_path / "report"))
        second = nightly(source="graph", db_path=str(db), out=str(tmp_path / "report"))
    store = Store(db)
    assert store.scalar("SELECT count(*) FROM signins") == first["new_signins"] == 120
    assert (
        first["tagged"]
        == store.scalar(
            "SELECT count(*) FROM signins WHERE error_code = 500121 AND event_type "
            "IN ('interactiveUser', 'nonInteractiveUser')"
        )
        > 0
    )  # user sign-ins only
    assert second["new_signins"] == 0
    # the directory roles reached the store through the pull's partition, and tagging used them
    assert store.rows("SELECT tenant_id, user_principal_name, source FROM privileged_accounts") == [
        ("contoso", admin.lower(), "graph")
    ]
    assert store.scalar("SELECT count(*) FROM user_findings WHERE finding = 'privileged_lockout'") == 1


def test_ingest_files_lands_a_drop_folder_and_skips_what_it_has_seen(tmp_path: Path):
    from flows.ingest_files import ingest_files

    drop, db = tmp_path / "drop", tmp_path / "files.duckdb"
    shutil.copytree(FIXTURES / "cross_format", drop)
    first = ingest_files(folder=str(drop), db_path=str(db), out=str(tmp_path / "report"))
    (drop / "more.jsonl").write_bytes(graph_line(1) + b"\n")
    second = ingest_files(folder=str(drop), db_path=str(db), out=str(tmp_path / "report"))
    assert (first["sources"], first["new_signins"]) == (4, Store(db).scalar("SELECT count(*) FROM signins") - 1)
    assert (second["records"], second["new_signins"]) == (1, 1)  # only the new file was read
