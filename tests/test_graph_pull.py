"""`signins pull`: the real msgraph-sdk client against a local Graph stand-in on 127.0.0.1."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import Store

from reliability.graph_server import GraphServer, make_records
from signins import PROJECT_ROOT
from signins.graph import pull, slicing
from signins.graph.client import RateLimiter
from signins.graph.errors import GraphAccessError, GraphUnavailableError
from signins.graph.fleet import run_sync
from signins.graph.pull import pull_tenant
from signins.graph.settings import GraphSettings

TOKEN = "eyFAKE.tok-SECRET-do-not-print.sig"
NOW = datetime(2026, 11, 5, 0, 0, tzinfo=UTC)
START = NOW - timedelta(days=3, hours=12)
CHILD_TABLES = ("signins", "signin_auth_steps")


@pytest.fixture
def graph_env(monkeypatch):
    """Settings for a pull against the local server (a fast rate limit; a 4-day retention window)."""

    def apply(server: GraphServer, **extra: str) -> GraphSettings:
        values = {
            "SIGNINS_GRAPH_BASE_URL": server.base_url,
            "SIGNINS_GRAPH_TOKEN": TOKEN,
            "SIGNINS_TENANT_ID": "contoso",
            "SIGNINS_GRAPH_RATE_LIMIT": "100/1",
            "SIGNINS_RETENTION_DAYS": "4",
            "SIGNINS_GRAPH_MAX_RETRIES": "3",
            **extra,
        }
        for key in ("SIGNINS_CLIENT_SECRET", "SIGNINS_CERTIFICATE_PATH", "SIGNINS_EVENT_TYPES"):
            monkeypatch.delenv(key, raising=False)
        for key, value in values.items():
            monkeypatch.setenv(key, value)
        return GraphSettings.from_env()

    return apply


def run_pull(store, settings: GraphSettings, now: datetime = NOW, **kwargs):
    return run_sync(pull_tenant(store.con, store.db_path, settings, now=now, **kwargs))


def signin_requests(server: GraphServer, since: int = 0) -> list[dict]:
    """The requests for sign-in pages from the `since`-th on (a pull ends asking for the directory roles)."""
    return [r for r in server.requests[since:] if r["path"].endswith("/auditLogs/signIns")]


def ids(store) -> set[str]:
    return {i for (i,) in store.rows("SELECT id FROM signins")}


def test_full_pull_lands_every_record_once(store, graph_env):
    records = make_records(300, START)
    with GraphServer(records, max_page=40) as server:
        outcome = run_pull(store, graph_env(server))
    assert ids(store) == {r["id"] for r in records}
    assert outcome.new_signins == outcome.records == 300 and outcome.quarantined == 0
    assert outcome.pages >= 8  # several pages per event type
    assert store.scalar("SELECT count(*) FROM raw_records") == 300
    # every request carried the Prefer header; every sign-in request $top=1000 and one event type in a
    # time window; the last asked for the directory roles
    assert server.requests and all(
        r["headers"].get("prefer") == "include-unknown-enum-members" for r in server.requests
    )
    assert [r["path"] for r in server.requests if not r["path"].endswith("/auditLogs/signIns")] == [
        "/beta/directoryRoles"
    ]
    asked = signin_requests(server)
    assert all(r["query"].get("$top") == "1000" for r in asked)
    assert all(
        "createdDateTime ge " in r["query"]["$filter"] and "signInEventTypes/any" in r["query"]["$filter"]
        for r in asked
    )
    # the beta-only fields survived: the raw page bytes were landed, not re-serialised models
    assert store.scalar("SELECT count(*) FROM signin_auth_steps") > 0
    assert store.scalar("SELECT count(DISTINCT tenant_id) FROM signins") == 1
    assert store.scalar("SELECT any_value(tenant_id) FROM signins") == "contoso"
    assert store.scalar("SELECT count(*) FROM pull_watermarks WHERE committed_until = window_end") == 4
    assert not any(p.name.endswith(".json") for p in (store.db_path.parent / "signins.duckdb.pulls").rglob("*"))


def test_the_next_page_is_fetched_while_a_page_lands(store, graph_env, monkeypatch):
    """Graph's latency and the load's CPU overlap: a page with a next one is still landing when the
    request for the next one arrives (and pages still land in order, every record once)."""
    records = make_records(300, START)
    land = pull._land

    def landing_that_waits_for_the_next_request(job, body, page, *rest):
        if page.next_link:
            wanted = {key: values[0] for key, values in parse_qs(urlsplit(page.next_link).query).items()}
            deadline = time.monotonic() + 10
            while not any(request["query"] == wanted for request in server.requests):
                assert time.monotonic() < deadline, "the next page was not asked for while this one landed"
                time.sleep(0.01)
        land(job, body, page, *rest)

    monkeypatch.setattr(pull, "_land", landing_that_waits_for_the_next_request)
    with GraphServer(records, max_page=40) as server:
        outcome = run_pull(store, graph_env(server))
    assert ids(store) == {r["id"] for r in records}
    assert outcome.new_signins == outcome.records == 300 and outcome.pages >= 8


def test_rerun_adds_nothing_and_new_data_arrives(store, graph_env):
    records = make_records(200, START)
    with GraphServer(records, max_page=50) as server:
        settings = graph_env(server)
        run_pull(store, settings)
        before = store.checksum("signins")
        again = run_pull(store, settings, now=NOW + timedelta(hours=1))
        assert again.new_signins == 0 and store.checksum("signins") == before
        # the second run re-read only the overlap window (3 h before the newest sign-in), not the backfill
        windows = store.rows("SELECT window_start, max_created_at FROM pull_watermarks")
        assert all(start == newest - timedelta(hours=3) for start, newest in windows)
        # late data after the watermark (and one late record inside the overlap window) arrives next time
        newest = max(datetime.fromisoformat(r["createdDateTime"].replace("Z", "+00:00")) for r in records)
        late = make_records(40, newest + timedelta(minutes=1), prefix="b")
        late += make_records(1, newest - timedelta(hours=1), prefix="c")
        server.records += late
        third = run_pull(store, settings, now=NOW + timedelta(hours=2))
    assert third.new_signins == 41
    assert ids(store) == {r["id"] for r in records + late}


def test_429_with_retry_after_is_absorbed(store, graph_env):
    records = make_records(120, START)
    with GraphServer(records, max_page=50) as server:
        settings = graph_env(server)
        server.fault_in(2, "429", seconds=1)
        server.fault_in(5, "429", seconds=1)
        outcome = run_pull(store, settings)
    assert outcome.new_signins == 120 and ids(store) == {r["id"] for r in records}
    retried = [r for r in server.requests if "retry-attempt" in r["headers"]]
    assert len(retried) == 2
    gaps = [
        server.requests[i]["time"] - server.requests[i - 1]["time"]
        for i, r in enumerate(server.requests)
        if "retry-attempt" in r["headers"]
    ]
    assert all(gap >= 0.95 for gap in gaps)  # Retry-After: 1 honoured


def test_throttled_past_the_retries_stops_resumably(store, graph_env):
    records = make_records(120, START)
    with GraphServer(records, max_page=50) as server:
        settings = graph_env(server, SIGNINS_GRAPH_MAX_RETRIES="1")
        server.fault_in(3, "429", seconds=1)
        server.fault_in(4, "429", seconds=1)
        with pytest.raises(GraphUnavailableError, match="throttling after 1 retries; rerun"):
            run_pull(store, settings)
        partial = len(ids(store))
        assert 0 < partial < 120
        run_pull(store, settings)
    assert ids(store) == {r["id"] for r in records}


def test_rate_limit_is_respected(store, graph_env):
    with GraphServer(make_records(120, START), max_page=10) as server:
        run_pull(
            store,
            graph_env(server, SIGNINS_GRAPH_RATE_LIMIT="3/0.5", SIGNINS_EVENT_TYPES="interactiveUser,servicePrincipal"),
        )
    times = [r["time"] for r in server.requests]
    assert len(times) >= 6
    # measured where the server receives them, so allow for network jitter (unlimited: ~10 ms apart)
    assert all(times[i + 3] - times[i] >= 0.4 for i in range(len(times) - 3))


def test_rate_limiter_schedule():
    clock = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    async def main() -> list[float]:
        limiter = RateLimiter(5, 10.0, clock=lambda: clock[0], sleep=sleep)
        sent = []
        for _ in range(12):
            await limiter.acquire()
            sent.append(clock[0])
        return sent

    sent = run_sync(main())
    assert sent == [0.0] * 5 + [10.0] * 5 + [20.0] * 2


def _same_store(a, b) -> None:
    for table in CHILD_TABLES:
        assert a.checksum(table) == b.checksum(table), table
    # (window_start may differ: event types finished before the crash re-read their overlap window)
    state = (
        "SELECT tenant_id, event_type, window_end, committed_until, max_created_at FROM pull_watermarks ORDER BY ALL"
    )
    assert a.rows(state) == b.rows(state)


@pytest.mark.parametrize("fault", ["500", "reset", "truncate"])
def test_crash_mid_pull_then_rerun_equals_uninterrupted(tmp_path, graph_env, fault):
    records = make_records(300, START)
    whole, crashed = Store(tmp_path / "whole" / "signins.duckdb"), Store(tmp_path / "crashed" / "signins.duckdb")
    try:
        with GraphServer(records, max_page=40) as server:
            settings = graph_env(server)
            run_pull(whole, settings)
            server.fault_in(9, fault)
            with pytest.raises(GraphUnavailableError, match="rerun `signins pull`"):
                run_pull(crashed, settings)
            assert 0 < len(ids(crashed)) < 300
            resumed = run_pull(crashed, settings)
        assert any(e.resumed for e in resumed.event_types)
        assert ids(crashed) == {r["id"] for r in records}
        _same_store(whole, crashed)
        assert crashed.scalar("SELECT count(*) FROM signins") == 300  # nothing doubled
        # the re-fetched pages of the interrupted slice were recognised by content hash, not reloaded
        assert crashed.scalar("SELECT count(*) FROM ingest_log WHERE already_ingested") > 0
    finally:
        whole.con.close()
        crashed.con.close()


def test_nextlink_loop_is_stopped(store, graph_env):
    with GraphServer(make_records(60, START), max_page=10) as server:
        settings = graph_env(server, SIGNINS_EVENT_TYPES="interactiveUser")
        server.loop = True
        with pytest.raises(GraphUnavailableError, match="paging loop"):
            run_pull(store, settings)


def test_settings_keep_secrets_out_of_repr_and_messages(graph_env, monkeypatch):
    with GraphServer([]) as server:
        settings = graph_env(server, SIGNINS_CLIENT_SECRET="s3cr3t-value")
    assert TOKEN not in repr(settings) and "s3cr3t-value" not in repr(settings)
    assert settings.credential_kind == "token"
    assert settings.redact(f"oops {TOKEN} and s3cr3t-value") == "oops *** and ***"
    assert settings.scope == f"{server.base_url.rsplit('/', 1)[0]}/.default"
    monkeypatch.delenv("SIGNINS_GRAPH_TOKEN")
    assert GraphSettings.from_env().credential_kind == "client-secret"
    monkeypatch.setenv("SIGNINS_EVENT_TYPES", "interactiveUser,bogus")
    with pytest.raises(Exception, match="bogus"):
        GraphSettings.from_env()


def test_in_process_errors_are_typed(store, graph_env):
    with GraphServer(make_records(10, START)) as server:
        settings = graph_env(server)
        server.fault_in(1, "403-denied")
        with pytest.raises(GraphAccessError, match="AuditLog.Read.All"):
            run_pull(store, settings)


def _cli_env(server: GraphServer, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNINS_")}
    env.update(
        SIGNINS_GRAPH_BASE_URL=server.base_url,
        SIGNINS_GRAPH_TOKEN=TOKEN,
        SIGNINS_TENANT_ID="contoso",
        SIGNINS_GRAPH_RATE_LIMIT="100/1",
        SIGNINS_RETENTION_DAYS="2",
        **extra,
    )
    return env


def _cli(server: GraphServer, tmp_path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli", "pull", "--db", str(tmp_path / "cli.duckdb"), *args],
        cwd=PROJECT_ROOT,
        env=_cli_env(server, **extra),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "fault, exit_code, phrase",
    [
        ("403-premium", 7, "no Microsoft Entra ID P1/P2 licence"),
        ("401", 7, "expired or invalid"),
        ("403-denied", 7, "AuditLog.Read.All"),
        ("500", 8, "rerun `signins pull` to resume"),
    ],
)
def test_cli_errors_are_one_line_without_the_token(tmp_path, fault, exit_code, phrase):
    with GraphServer(make_records(20, NOW - timedelta(days=1))) as server:
        server.fault_in(1, fault)
        done = _cli(server, tmp_path)
    assert done.returncode == exit_code, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and phrase in lines[0], done.stderr
    assert "Traceback" not in done.stderr
    assert TOKEN not in done.stdout + done.stderr and "tok-SECRET" not in done.stdout + done.stderr


def test_cli_pull_and_help(tmp_path):
    records = make_records(40, NOW - timedelta(days=1))
    with GraphServer(records, max_page=15) as server:
        done = _cli(server, tmp_path, "--since", (NOW - timedelta(days=2)).isoformat(), "--until", NOW.isoformat())
        again = _cli(server, tmp_path, "--since", (NOW - timedelta(days=2)).isoformat(), "--until", NOW.isoformat())
        helped = _cli(server, tmp_path, "--help")
    assert done.returncode == 0, done.stderr
    assert "40 new sign-ins" in done.stdout.splitlines()[-1]
    assert again.returncode == 0 and "0 new sign-ins" in again.stdout.splitlines()[-1]
    assert "--since" in helped.stdout and TOKEN not in helped.stdout
    assert TOKEN not in done.stdout + done.stderr


def test_cli_bad_credential_setting_is_one_line(tmp_path):
    with GraphServer([]) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNINS_")}
        env.update(
            SIGNINS_GRAPH_BASE_URL=server.base_url,
            SIGNINS_TENANT_ID="contoso",
            SIGNINS_CLIENT_ID="app",
            SIGNINS_CERTIFICATE_PATH=str(tmp_path / "missing.pem"),
        )
        done = subprocess.run(
            [sys.executable, "-m", "cli", "pull", "--db", str(tmp_path / "c.duckdb")],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert done.stderr.startswith("error: cannot set up the certificate credential") and not server.requests


def interactive(records: list[dict]) -> set[str]:
    return {r["id"] for r in records if r["signInEventTypes"] == ["interactiveUser"]}


def _retry_gap(server: GraphServer) -> float:
    """Seconds between the first retried request and the one before it."""
    i = next(i for i, r in enumerate(server.requests) if "retry-attempt" in r["headers"])
    return server.requests[i]["time"] - server.requests[i - 1]["time"]


@pytest.mark.parametrize("status", ["503", "504"])
@pytest.mark.parametrize("retry_after", [2, None])
def test_503_and_504_are_retried_honouring_retry_after(store, graph_env, status, retry_after):
    records = make_records(80, START)
    with GraphServer(records, max_page=50) as server:
        settings = graph_env(server, SIGNINS_GRAPH_RETRY_DELAY="0", SIGNINS_EVENT_TYPES="interactiveUser")
        server.fault_in(2, status, seconds=retry_after)
        run_pull(store, settings)
    assert ids(store) == interactive(records)
    # Retry-After: 2 is waited out (longer than any first backoff); without it Kiota backs off
    # 0.5 s * 2^-1 for the first retry plus up to 1 s of jitter (plus SIGNINS_GRAPH_RETRY_DELAY, 0 here)
    assert _retry_gap(server) >= (1.95 if retry_after else 0.22)


@pytest.mark.parametrize("status", ["503", "504"])
def test_503_and_504_past_the_retries_stop_resumably(store, graph_env, status):
    records = make_records(80, START, step=timedelta(hours=1))
    with GraphServer(records, max_page=5) as server:  # requests 3 and 4: the second slice's page 2
        settings = graph_env(
            server, SIGNINS_GRAPH_RETRY_DELAY="0", SIGNINS_GRAPH_MAX_RETRIES="1", SIGNINS_EVENT_TYPES="interactiveUser"
        )
        server.fault_in(3, status, seconds=None)
        server.fault_in(4, status, seconds=None)
        with pytest.raises(GraphUnavailableError, match=f"HTTP {status} after retries; rerun"):
            run_pull(store, settings)
        assert 0 < len(ids(store)) < len(interactive(records))
        run_pull(store, settings)
    assert ids(store) == interactive(records)


def test_response_timeout_stops_resumably(store, graph_env):
    import time

    records = make_records(80, START, step=timedelta(hours=1))
    with GraphServer(records, max_page=50) as server:
        settings = graph_env(server, SIGNINS_GRAPH_TIMEOUT="0.3", SIGNINS_EVENT_TYPES="interactiveUser")
        server.fault_in(2, "delay", seconds=3)
        began = time.monotonic()
        with pytest.raises(GraphUnavailableError, match=r"did not answer within 0.3 s; rerun"):
            run_pull(store, settings)
        assert time.monotonic() - began < 2.5  # gave up at the timeout, did not wait for the answer
        assert 0 < len(ids(store)) < len(interactive(records))
        run_pull(store, settings)
    assert ids(store) == interactive(records)


# One event type; its 50 sign-ins fall in the window's second slice (the first, 24 hours, is empty, so the
# second is 4 times longer and reaches the window's end), read as 5 pages of 10: requests 2..6.
SLICE_RECORDS = make_records(200, NOW - timedelta(hours=20), step=timedelta(minutes=5))
ONE_TYPE = {"SIGNINS_EVENT_TYPES": "interactiveUser"}


SKIPPED = "SELECT count(*) FROM ingest_log WHERE already_ingested"


def _pages(store) -> list[int]:
    return [n for (n,) in store.rows("SELECT page FROM pull_pages WHERE records > 0 ORDER BY page")]


def test_resume_inside_a_slice_continues_after_the_last_landed_page(tmp_path, graph_env):
    whole, crashed = Store(tmp_path / "whole" / "signins.duckdb"), Store(tmp_path / "crashed" / "signins.duckdb")
    try:
        with GraphServer(SLICE_RECORDS, max_page=10) as server:
            settings = graph_env(server, **ONE_TYPE)
            run_pull(whole, settings)
            server.fault_in(5, "500")  # page 4 of the slice
            with pytest.raises(GraphUnavailableError):
                run_pull(crashed, settings)
            assert _pages(crashed) == [1, 2, 3]
            before = len(server.requests)
            resumed = run_pull(crashed, settings)
            rerun = signin_requests(server, before)
        assert resumed.event_types[0].resumed
        # the rerun asked only for pages 4 and 5: from the saved nextLink, never page 1 again
        assert [r["query"].get("$skiptoken") for r in rerun] == ["30", "40"]
        assert _pages(crashed) == [1, 2, 3, 4, 5]
        _same_store(whole, crashed)
        assert (
            crashed.scalar("SELECT count(*) FROM raw_records") == crashed.scalar("SELECT count(*) FROM signins") == 50
        )
    finally:
        whole.con.close()
        crashed.con.close()


def test_resume_reads_the_slice_again_when_graph_refuses_the_saved_link(store, graph_env, caplog):
    with GraphServer(SLICE_RECORDS, max_page=10) as server:
        settings = graph_env(server, **ONE_TYPE)
        server.fault_in(5, "500")
        with pytest.raises(GraphUnavailableError):
            run_pull(store, settings)
        server.fault_in(1, "400")  # the saved $skiptoken has expired
        before, skipped = len(server.requests), store.scalar(SKIPPED)
        with caplog.at_level(logging.WARNING, logger="signins.graph"):
            run_pull(store, settings)
        rerun = signin_requests(server, before)
    assert [r["query"].get("$skiptoken") for r in rerun] == ["30", None, "10", "20", "30", "40"]
    assert "refused the saved @odata.nextLink" in caplog.text
    assert ids(store) == interactive(SLICE_RECORDS)
    # pages 1-3 came back byte for byte: recognised by content hash, nothing doubled
    assert store.scalar(SKIPPED) - skipped == 3
    assert store.scalar("SELECT count(*) FROM raw_records") == 50


def test_killed_pull_resumes_inside_the_slice(tmp_path):
    """A real `kill -9` of `signins pull` inside a slice (page 3 landing, page 4 asked for); the rerun
    finishes the slice."""
    records = make_records(200, datetime.now(UTC) - timedelta(hours=20), step=timedelta(minutes=5))
    with GraphServer(records, max_page=10) as server:
        # request 1: the empty first slice; 2-4: pages 1-3; 5: page 4, fetched while page 3 lands
        server.fault_in(5, "delay", seconds=60)
        command = [sys.executable, "-m", "cli", "pull", "--db", str(tmp_path / "cli.duckdb")]
        victim = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=_cli_env(server, **ONE_TYPE),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        server.wait_for(5)
        victim.kill()
        victim.wait(timeout=30)
        done = _cli(server, tmp_path, **ONE_TYPE)
        rerun = signin_requests(server, 5)
    assert done.returncode == 0, done.stderr
    # killed while page 3 was landing: the rerun goes on after page 2 or page 3, not from the slice's start
    assert [r["query"].get("$skiptoken") for r in rerun] in (["20", "30", "40"], ["30", "40"])
    store = Store(tmp_path / "cli.duckdb")
    try:
        assert ids(store) == interactive(records)
        assert store.scalar("SELECT count(*) FROM raw_records") == 50
        assert _pages(store) == [1, 2, 3, 4, 5]
        assert store.scalar("SELECT count(*) FROM pull_watermarks WHERE committed_until = window_end") == 1
    finally:
        store.con.close()


def _requests_per_event_type(server: GraphServer) -> Counter:
    return Counter(re.search(r"t eq '(\w+)'", r["query"]["$filter"]).group(1) for r in signin_requests(server))


def test_a_first_pull_costs_its_pages_plus_a_few_requests_per_event_type(store, graph_env):
    """A small tenant's first 30 days: 1,364 sign-ins, 341 of each event type, pages of 100. Slices of a
    day would cost 30 requests per event type, most of them for an empty page; slices that grow while
    Graph returns little cost the pages plus at most 4."""
    records = make_records(1364, NOW - timedelta(days=29, hours=10), step=timedelta(minutes=31))
    with GraphServer(records, max_page=100) as server:
        outcome = run_pull(store, graph_env(server, SIGNINS_RETENTION_DAYS="30"))
        asked = _requests_per_event_type(server)
    assert ids(store) == {r["id"] for r in records} and outcome.new_signins == 1364
    for result in outcome.event_types:
        pages_of_data = -(-341 // 100)
        assert asked[result.event_type] == result.requests <= 4 + pages_of_data, result.summary()
        assert result.slices <= 4


def test_slice_lengths_follow_what_graph_returns():
    assert slicing.next_hours(24, 0, 100) == slicing.next_hours(24, 1, 100) == 96  # empty or small: 4x
    assert slicing.next_hours(24, 50, 100) == 48
    assert slicing.next_hours(24, 400, 100) == 6  # too many pages: shorter in proportion
    assert slicing.next_hours(0.01, 10_000, 100) == slicing.MIN_HOURS
    # a first page that covers 6 minutes of a day: 240 pages, more than 4 x 50; read 5-hour slices
    assert slicing.split_hours(24, 0.1, 50) == pytest.approx(5.0)
    assert slicing.split_hours(24, 0.1, 100) is None  # within 4 x 100: read as it is
    assert slicing.split_hours(slicing.MIN_HOURS, 0.0, 1) is None  # never shorter than the shortest


def _slice_pages(store) -> list[int]:
    return [n for (n,) in store.rows("SELECT max(page) FROM pull_pages GROUP BY slice_start, slice_end ORDER BY 1")]


def test_a_busy_day_is_read_in_bounded_slices_and_a_crash_resumes_inside_one(tmp_path, graph_env):
    """600 sign-ins of one event type in a day, pages of 10, slices aiming at 3 pages: a first page that
    covers 24 minutes of a day-long slice shows it would take 60 pages, so it is read as shorter slices.
    A crash among them resumes inside the slice it was reading, and the store equals an uninterrupted pull."""
    records = make_records(2400, NOW - timedelta(hours=24), step=timedelta(seconds=36))
    busy = {**ONE_TYPE, "SIGNINS_PULL_SLICE_PAGES": "3"}
    whole, crashed = Store(tmp_path / "whole" / "signins.duckdb"), Store(tmp_path / "crashed" / "signins.duckdb")
    try:
        with GraphServer(records, max_page=10) as server:
            settings = graph_env(server, **busy)
            outcome = run_pull(whole, settings)
            result = outcome.event_types[0]
            assert ids(whole) == interactive(records) and result.new_signins == 600
            assert result.slices >= 15 and max(_slice_pages(whole)) <= 4 * 3
            # the requests are the pages, plus the first page of each slice found too big (not landed)
            assert result.requests == len(signin_requests(server)) <= result.pages + 3
            # the crashed run asks what the whole one did: fail a request for a slice's page 2 or later
            asked = signin_requests(server)
            server.fault_in(next(i for i, r in enumerate(asked) if i >= 20 and r["query"].get("$skiptoken")) + 1, "500")
            with pytest.raises(GraphUnavailableError):
                run_pull(crashed, settings)
            before = len(server.requests)
            resumed = run_pull(crashed, settings)
            assert signin_requests(server, before)[0]["query"].get("$skiptoken")  # after the last landed page
        assert resumed.event_types[0].resumed
        _same_store(whole, crashed)
        assert crashed.scalar("SELECT count(*) FROM signins") == 600
        # no landed page was asked for again (only empty pages, alike byte for byte, are recognised)
        assert crashed.scalar(SKIPPED) == whole.scalar(SKIPPED)
    finally:
        whole.con.close()
        crashed.con.close()


@pytest.mark.parametrize("shape", ["empty", "null", "omit"])
def test_withheld_ca_policies_warn_once_about_policy_read_all(store, graph_env, caplog, shape):
    with GraphServer(make_records(120, START), max_page=20, ca_policies=shape) as server:
        with caplog.at_level(logging.WARNING, logger="signins.graph"):
            outcome = run_pull(store, graph_env(server))
    assert outcome.pages > 4 and store.scalar("SELECT count(*) FROM signin_ca_policies") == 0
    (warning,) = outcome.warnings
    assert "contoso" in warning and "Policy.Read.All" in warning and "\n" not in warning
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [warning]


@pytest.mark.parametrize("ca_status, ca_policies", [("failure", "keep"), ("notApplied", "empty")])
def test_no_policy_read_all_warning_when_policies_listed_or_ca_did_not_apply(store, graph_env, ca_status, ca_policies):
    records = make_records(40, START)
    for record in records:
        record["conditionalAccessStatus"] = ca_status
    with GraphServer(records, ca_policies=ca_policies) as server:
        outcome = run_pull(store, graph_env(server))
    assert outcome.records == 40 and outcome.warnings == []


ROLES = [
    {
        "id": "r1",
        "displayName": "Global Administrator",
        "members": [
            {"@odata.type": "#microsoft.graph.user", "id": "u1", "userPrincipalName": "Admin@Contoso.com"},
            {"@odata.type": "#microsoft.graph.servicePrincipal", "id": "sp1", "appDisplayName": "automation"},
        ],
    },
    {
        "id": "r2",
        "displayName": "Security Administrator",
        "members": [{"@odata.type": "#microsoft.graph.user", "id": "u1", "userPrincipalName": "admin@contoso.com"}],
    },
    {"id": "r3", "displayName": "Helpdesk Administrator", "members": [{"userPrincipalName": "help@contoso.com"}]},
]


def test_a_pull_keeps_the_tenants_privileged_accounts_from_its_directory_roles(store, graph_env):
    with GraphServer(make_records(8, START), roles=ROLES) as server:
        settings = graph_env(server)
        outcome = run_pull(store, settings)
        asked = [r for r in server.requests if r["path"].endswith("/directoryRoles")]
    assert outcome.privileged == 2 and outcome.warnings == []
    assert [r["query"].get("$expand") for r in asked] == ["members"]
    assert asked[0]["headers"]["authorization"] == f"Bearer {TOKEN}"
    assert store.rows("SELECT tenant_id, user_principal_name, roles, source FROM privileged_accounts ORDER BY 2") == [
        ("contoso", "admin@contoso.com", ["Global Administrator", "Security Administrator"], "graph"),
        ("contoso", "help@contoso.com", ["Helpdesk Administrator"], "graph"),
    ]
    with GraphServer([], roles=ROLES[2:]) as server:  # a later pull: the roles changed
        run_pull(store, graph_env(server))
    assert store.rows("SELECT user_principal_name FROM privileged_accounts") == [("help@contoso.com",)]


def test_without_role_permission_the_pull_warns_and_keeps_what_it_had(store, graph_env):
    with GraphServer(make_records(8, START), roles=ROLES) as server:
        run_pull(store, graph_env(server))
    with GraphServer(make_records(8, START), roles_denied=True) as server:
        outcome = run_pull(store, graph_env(server))
    assert outcome.privileged is None and store.scalar("SELECT count(*) FROM signins") == 8  # the pull went on
    (warning,) = outcome.warnings
    assert "RoleManagement.Read.Directory" in warning and warning.startswith("tenant contoso: ")
    assert store.scalar("SELECT count(*) FROM privileged_accounts") == 2
