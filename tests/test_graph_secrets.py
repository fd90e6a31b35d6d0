"""The pull's secrets (access tokens, client secrets) never reach the store, logs, output or errors.

Distinctive values are used so that any copy, anywhere, is found: every table's every column, the
blob store's files (decompressed), captured logs at DEBUG from every library, stdout/stderr, the
failed tenants' exceptions, and `signins pull --help`. The nightly flow's artifacts and Prefect logs
are checked in test_nightly_flow.py.
"""

from __future__ import annotations

import gzip
import logging
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import zstandard
from conftest import Store

from reliability.graph_server import GraphServer, TokenServer, make_records, self_signed_certificate
from signins import PROJECT_ROOT
from signins.graph.fleet import pull_tenants
from signins.graph.settings import GraphSettings
from signins.graph.tenants import load_tenants
from signins.ingest.blobs import blob_root

ACCESS_TOKEN = "tok-LEAKCHECK-7d41c0ffee"
ECHOED_TOKEN = "tok-LEAKCHECK-echo-5be2"
CLIENT_SECRET = "sec-LEAKCHECK~q8Z.0aa1"
SECRETS = (ACCESS_TOKEN, ECHOED_TOKEN, CLIENT_SECRET)


def store_text(db_path: Path) -> str:
    """Every row of every table as text, and every blob and pulled file decompressed."""
    store = Store(db_path)
    try:
        tables = [
            t for (t,) in store.rows("SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'")
        ]
        rows = [
            store.scalar(f"SELECT coalesce(string_agg(t::VARCHAR, chr(10)), '') FROM \"{name}\" AS t")
            for name in tables
        ]
    finally:
        store.con.close()
    assert "signins" in tables and "pull_pages" in tables
    files = [
        p
        for folder in (blob_root(db_path), db_path.with_name(db_path.name + ".pulls"))
        for p in folder.rglob("*")
        if p.is_file()
    ]
    assert any(p.suffix == ".zst" for p in files)
    return "\n".join(rows + [_decoded(p) for p in files])


def _decoded(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix == ".zst":
        data = zstandard.ZstdDecompressor().stream_reader(data).read()
    elif path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.decode("utf-8", "replace")


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text
            assert secret[8:] not in text  # nor a recognisable part of one


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def recent() -> list[dict]:
    return make_records(40, datetime.now(UTC) - timedelta(hours=30), step=timedelta(minutes=20))


def test_in_process_pull_keeps_secrets_out_of_store_logs_output_and_errors(store, monkeypatch, caplog, capsys):
    caplog.set_level(logging.DEBUG)  # every library's debug logging: httpx, kiota, azure-identity, ours
    for name, value in {
        "OK_TOKEN": ACCESS_TOKEN,
        "ECHO_TOKEN": ECHOED_TOKEN,
        "FAB_SECRET": CLIENT_SECRET,
        "SIGNINS_GRAPH_RATE_LIMIT": "100/1",
        "SIGNINS_RETENTION_DAYS": "2",
    }.items():
        monkeypatch.setenv(name, value)
    with GraphServer(recent(), max_page=15, token=ACCESS_TOKEN) as good, GraphServer(recent()) as echoing:
        echoing.fault_in(1, "401")  # answers "Access token has expired: <the token it was sent>"
        path = store.db_path.parent / "tenants.toml"
        path.write_text(
            f'[[tenant]]\nname = "ok"\ntenant_id = "t-ok"\ntoken = "env:OK_TOKEN"\nbase_url = "{good.base_url}"\n'
            f'[[tenant]]\nname = "echo"\ntenant_id = "t-echo"\ntoken = "env:ECHO_TOKEN"\n'
            f'base_url = "{echoing.base_url}"\n'
            f'[[tenant]]\nname = "fab"\ntenant_id = "t-fab"\nclient_id = "app"\nclient_secret = "env:FAB_SECRET"\n'
            f'authority_host = "127.0.0.1:{closed_port()}"\nbase_url = "{good.base_url}"\n'
        )
        results = pull_tenants(store.con, store.db_path, load_tenants(path), GraphSettings.from_env())
        for result in results:
            print(result.line)
    assert [r.line.split(":")[0] for r in results] == ["OK ok", "FAILED echo", "FAILED fab"]
    assert "***" in str(results[1].error)  # the echoed token was there, and was redacted
    out, err = capsys.readouterr()
    assert caplog.records and "OK ok" in out
    errors = [text for r in results if r.error for text in (str(r.error), repr(r.error), repr(r.error.args))]
    assert_no_secret(caplog.text, out, err, *errors, store_text(store.db_path))


def test_cli_client_secret_flow_keeps_secrets_out_of_output_and_store(tmp_path):
    """The full client-credentials flow over TLS on loopback: secret -> token endpoint -> token -> Graph."""
    certificate = self_signed_certificate(tmp_path)
    with (
        TokenServer(certificate, CLIENT_SECRET, ACCESS_TOKEN) as tokens,
        GraphServer(recent(), max_page=15, token=ACCESS_TOKEN) as graph,
    ):
        path = tmp_path / "tenants.toml"
        path.write_text(
            f'[[tenant]]\nname = "fab"\ntenant_id = "fabrikam.example"\nclient_id = "app-1"\n'
            f'client_secret = "env:FAB_SECRET"\nauthority_host = "{tokens.authority}"\n'
            f'base_url = "{graph.base_url}"\n'
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNINS_")}
        env.update(
            FAB_SECRET=CLIENT_SECRET,
            SSL_CERT_FILE=str(certificate[0]),
            SIGNINS_RETENTION_DAYS="2",
            SIGNINS_GRAPH_RATE_LIMIT="100/1",
            SIGNINS_GRAPH_TOKEN=ECHOED_TOKEN,
        )  # must not be used
        command = [sys.executable, "-m", "cli", "pull", "--db", str(tmp_path / "s.duckdb"), "--tenants", str(path)]
        done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=90)
        helped = subprocess.run(
            command + ["--help"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK fab: ") and "40 new sign-ins" in done.stdout
    assert tokens.requests and tokens.requests[0]["form"]["client_secret"] == CLIENT_SECRET  # it was used ...
    assert {r["headers"]["authorization"] for r in graph.requests} == {f"Bearer {ACCESS_TOKEN}"}
    assert "--tenants" in helped.stdout
    assert_no_secret(
        done.stdout,
        done.stderr,
        helped.stdout,
        helped.stderr,  # ... and went nowhere else
        store_text(tmp_path / "s.duckdb"),
    )
