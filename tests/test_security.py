"""Security: values from the command line are data, never SQL; secrets reach no output of a full run.

(XSS in every dashboard page: test_dashboards_xss.py; no raw user name or IP in pseudonymised reports:
test_dashboards_report.py; secrets in the tenants-file flow and Prefect artifacts: test_graph_secrets.py
and test_nightly_flow.py.)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from test_graph_secrets import _decoded, store_text

from reliability.graph_server import GraphServer, make_records
from reliability.snapshot import base_tables, checksum
from signins import PROJECT_ROOT

INJECTIONS = ["' OR 1=1 --", '"; DROP TABLE signins; --']
CODE = [PROJECT_ROOT / d for d in ("cli", "signins", "dashboards", "transforms", "flows")]
# SQL text made by formatting: allowed only where it formats identifiers read from the catalog, never input
SQL_FSTRING = re.compile(r"""\.(execute|executemany|sql)\(\s*f["']""")


def run(tmp: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SIGNINS_")}
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, "HOME": str(tmp), **(env or {})},
    )


def state(db: Path) -> dict[str, tuple[int, int]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: checksum(con, t) for t in base_tables(con, db.stem) if t not in ("ingest_log", "tag_state")}
    finally:
        con.close()


def findings(db: Path, kind: str) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM user_findings WHERE finding = ?", [kind]).fetchall()[0][0]
    finally:
        con.close()


@pytest.fixture
def sample_store(tmp_path, tagged_sample) -> Path:
    db = tmp_path / tagged_sample.name
    shutil.copy(tagged_sample, db)
    return db


def test_no_sql_is_formatted_from_values():
    offenders = [
        f"{p.relative_to(PROJECT_ROOT)}:{n}"
        for folder in CODE
        for p in folder.rglob("*.py")
        for n, text in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if SQL_FSTRING.search(text)
    ]
    assert offenders == []


@pytest.mark.parametrize("value", INJECTIONS)
@pytest.mark.parametrize(
    "args, exit_code",
    [
        (("explain", "{v}"), 6),  # looked up as an id: no such sign-in
        (("report", "--out", "{tmp}/r", "--since", "{v}"), 2),  # not a date
        (("tag", "--privileged", "{v}"), 0),  # an account name that matches nobody
        (("tag", "--set", "fatigue_min_attempts={v}"), 2),  # not a number
        (("export", "causes", "--out", "{tmp}/{v}.csv"), 0),  # a file name
    ],
    ids=lambda a: a[0] if isinstance(a, tuple) else str(a),
)
def test_cli_values_are_data(tmp_path, sample_store, value, args, exit_code):
    before = state(sample_store)
    done = run(tmp_path, *[a.format(v=value, tmp=tmp_path) for a in args], "--db", str(sample_store))
    assert done.returncode == exit_code, done.stderr
    assert "Traceback" not in done.stderr
    after = state(sample_store)
    assert after.keys() == before.keys() and after["signins"] == before["signins"]
    if "--privileged" in args:  # the only privileged account is one nobody has
        assert findings(sample_store, "privileged_lockout") == 0 < findings(sample_store, "recurring")


@pytest.mark.parametrize("value", INJECTIONS)
def test_tenant_values_are_stored_as_given(tmp_path, value):
    db = tmp_path / "t.duckdb"
    page = PROJECT_ROOT / "tests" / "fixtures" / "cross_format" / "graph_beta_page.json"
    assert run(tmp_path, "ingest", str(page), "--db", str(db), "--tenant", value).returncode == 0
    records = make_records(20, datetime.now(UTC) - timedelta(hours=20))
    with GraphServer(records) as server:
        done = run(
            tmp_path,
            "pull",
            "--db",
            str(db),
            "--tenant",
            value,
            env={
                "SIGNINS_GRAPH_BASE_URL": server.base_url,
                "SIGNINS_GRAPH_TOKEN": "t",
                "SIGNINS_RETENTION_DAYS": "2",
                "SIGNINS_GRAPH_RATE_LIMIT": "100/1",
            },
        )
    assert done.returncode == 0, done.stderr
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM signins WHERE tenant_id = ?", [value]).fetchall()[0][0] == 21
        assert {t for (t,) in con.execute("SELECT DISTINCT tenant_id FROM pull_watermarks").fetchall()} == {value}
    finally:
        con.close()
    pulls = db.with_name(db.name + ".pulls")
    assert [p.name for p in pulls.iterdir()] == [re.sub(r"[^\w.-]", "_", value)]  # a folder name, not a path


GRAPH_TOKEN = "tok-SECSCAN-91f0c3aa7e"
CLIENT_SECRET = "sec-SECSCAN~5Zq.77b1"
PSEUDONYM_KEY = "key-SECSCAN-0d2e4f6a8c"
SECRETS = (GRAPH_TOKEN, CLIENT_SECRET, PSEUDONYM_KEY)


def every_file_text(folder: Path) -> str:
    """Every file under the folder: its bytes as text, and decompressed when it is a blob or gzip."""
    return "\n".join(p.read_bytes().decode("utf-8", "replace") + _decoded(p) for p in folder.rglob("*") if p.is_file())


def test_full_run_keeps_secrets_out_of_every_output(tmp_path):
    """pull (token + client secret set) -> tag -> report --pseudonymize: no secret in any output or file."""
    db = tmp_path / "store" / "signins.duckdb"
    records = make_records(120, datetime.now(UTC) - timedelta(hours=30), step=timedelta(minutes=10))
    env = {
        "SIGNINS_GRAPH_TOKEN": GRAPH_TOKEN,
        "SIGNINS_CLIENT_SECRET": CLIENT_SECRET,
        "SIGNINS_CLIENT_ID": "app",
        "SIGNINS_PSEUDONYM_KEY": PSEUDONYM_KEY,
        "SIGNINS_TENANT_ID": "contoso",
        "SIGNINS_RETENTION_DAYS": "2",
        "SIGNINS_GRAPH_RATE_LIMIT": "100/1",
    }
    with GraphServer(records, max_page=25, token=GRAPH_TOKEN) as server:
        env["SIGNINS_GRAPH_BASE_URL"] = server.base_url
        runs = [
            run(tmp_path, "pull", "--db", str(db), env=env),
            run(tmp_path, "tag", "--db", str(db), env=env),
            run(tmp_path, "report", "--db", str(db), "--out", str(tmp_path / "report"), "--pseudonymize", env=env),
        ]
    assert [r.returncode for r in runs] == [0, 0, 0], [r.stderr for r in runs]
    assert {r["headers"]["authorization"] for r in server.requests} == {f"Bearer {GRAPH_TOKEN}"}  # it was used
    assert (tmp_path / "report" / "index.html").is_file()
    outputs = [r.stdout + r.stderr for r in runs] + [store_text(db), every_file_text(tmp_path)]
    for secret in SECRETS:
        for text in outputs:
            assert secret not in text and secret[8:] not in text
