"""Several tenants from a tenants file: per-tenant credentials, overrides, watermarks; failures isolated."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import Store

from reliability.graph_server import GraphServer, make_records
from signins import PROJECT_ROOT
from signins.graph.errors import GraphSettingsError
from signins.graph.fleet import TenantsFailedError, pull_tenants, raise_for_failures
from signins.graph.settings import GraphSettings
from signins.graph.tenants import TenantsFileError, load_tenants, select

TOKENS = {"contoso": "tok-CONTOSO-9f3a", "fabrikam": "tok-FABRIKAM-77c1", "northwind": "tok-NORTHWIND-e2d0"}
IDS = {
    "contoso": "11111111-1111-4111-8111-111111111111",
    "fabrikam": "22222222-2222-4222-8222-222222222222",
    "northwind": "33333333-3333-4333-8333-333333333333",
}


def tenant_block(name: str, server: GraphServer, token: str | None = None, **extra: str | list) -> str:
    """One [[tenant]] table naming its token by reference."""
    lines = [
        f'name = "{name}"',
        f'tenant_id = "{IDS[name]}"',
        f'base_url = "{server.base_url}"',
        f'token = "{token or "env:" + name.upper() + "_TOKEN"}"',
    ]
    lines += [f"{key} = {value!r}".replace("'", '"') for key, value in extra.items()]
    return "[[tenant]]\n" + "\n".join(lines) + "\n"


def recent(prefix: str, count: int = 40) -> list[dict]:
    return make_records(count, datetime.now(UTC) - timedelta(hours=30), step=timedelta(minutes=20), prefix=prefix)


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNINS_")}
    env.update({f"{name.upper()}_TOKEN": token for name, token in TOKENS.items()})
    env.update(SIGNINS_GRAPH_RATE_LIMIT="100/1", SIGNINS_RETENTION_DAYS="2", SIGNINS_GRAPH_MAX_RETRIES="0", **extra)
    return env


def pull_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli", "pull", "--db", str(tmp_path / "t.duckdb"), *args],
        cwd=PROJECT_ROOT,
        env=cli_env(**env),
        capture_output=True,
        text=True,
        timeout=90,
    )


def test_cli_pulls_every_tenant_with_its_own_credentials_and_overrides(tmp_path):
    contoso, fabrikam = recent("a"), recent("b")
    with (
        GraphServer(contoso, max_page=25, token=TOKENS["contoso"]) as one,
        GraphServer(fabrikam, max_page=25, token=TOKENS["fabrikam"]) as two,
        GraphServer(recent("c"), token=TOKENS["northwind"]) as three,
    ):
        three.fault_in(1, "403-denied")
        tenants = tmp_path / "tenants.toml"
        tenants.write_text(
            tenant_block("contoso", one)
            + tenant_block("fabrikam", two, event_types=["interactiveUser"])
            + tenant_block("northwind", three)
        )
        done = pull_cli(tmp_path, SIGNINS_TENANTS_FILE=str(tenants))  # the file from the environment
    lines = done.stdout.splitlines()
    assert done.returncode == 7, done.stderr  # northwind: access refused
    assert lines[0].startswith("OK contoso: ") and "40 new sign-ins" in lines[0]
    assert lines[1].startswith("OK fabrikam: ") and "10 new sign-ins" in lines[1]
    assert lines[2].startswith("FAILED northwind: Graph refused the sign-in logs") and "AuditLog.Read.All" in lines[2]
    assert lines[3].startswith("2 of 3 tenant(s) pulled: 50 new sign-ins") and len(lines) == 4
    assert done.stderr.strip() == "error: 1 of 3 tenant(s) failed: northwind"
    # each server saw only its own tenant's token (a wrong one is a 401), fabrikam only its event type
    asked = [r for r in two.requests if r["path"].endswith("/auditLogs/signIns")]  # then the directory roles
    assert all("interactiveUser" in r["query"]["$filter"] for r in asked) and len(three.requests) == 1
    store = Store(tmp_path / "t.duckdb")
    try:
        per_tenant = dict(store.rows("SELECT tenant_id, count(*) FROM signins GROUP BY 1"))
        assert per_tenant == {IDS["contoso"]: 40, IDS["fabrikam"]: 10}
        watermarks = store.rows("SELECT tenant_id, count(*) FROM pull_watermarks GROUP BY 1 ORDER BY 1")
        assert watermarks == [(IDS["contoso"], 4), (IDS["fabrikam"], 1), (IDS["northwind"], 1)]
    finally:
        store.con.close()


def test_cli_pulls_one_tenant_by_name_and_rejects_unknown_names(tmp_path):
    with (
        GraphServer(recent("a"), token=TOKENS["contoso"]) as one,
        GraphServer(recent("b"), token=TOKENS["fabrikam"]) as two,
    ):
        tenants = tmp_path / "tenants.toml"
        tenants.write_text(tenant_block("contoso", one) + tenant_block("fabrikam", two))
        done = pull_cli(tmp_path, "--tenants", str(tenants), "--tenant", "fabrikam")
        unknown = pull_cli(tmp_path, "--tenants", str(tenants), "--tenant", "tailspin")
    assert done.returncode == 0, done.stderr
    assert [line.split(":")[0] for line in done.stdout.splitlines()] == ["OK fabrikam", "1 of 1 tenant(s) pulled"]
    assert not one.requests and two.requests
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1
    assert "no such tenant" in unknown.stderr and "contoso, fabrikam" in unknown.stderr


def test_one_failing_tenant_does_not_stop_the_others_and_the_worst_failure_sets_the_exit_code(store, monkeypatch):
    for name, token in TOKENS.items():
        monkeypatch.setenv(f"{name.upper()}_TOKEN", token)
    monkeypatch.delenv("NORTHWIND_TOKEN")
    monkeypatch.setenv("SIGNINS_GRAPH_MAX_RETRIES", "0")
    with (
        GraphServer(recent("a"), token=TOKENS["contoso"]) as one,
        GraphServer(recent("b"), token="another-token") as two,
        GraphServer(recent("c")) as three,
    ):
        one.fail_from(1, "503")
        path = store.db_path.parent / "tenants.toml"
        path.write_text(tenant_block("contoso", one) + tenant_block("fabrikam", two) + tenant_block("northwind", three))
        tenants = load_tenants(path)
        base = GraphSettings.from_env()
        results = pull_tenants(store.con, store.db_path, tenants, base)
        assert not three.requests  # its token reference could not be resolved: nothing was sent
    errors = {r.name: r.error for r in results}
    assert errors["contoso"].exit_code == 8 and errors["fabrikam"].exit_code == 7
    assert str(errors["northwind"]) == "tenant northwind: environment variable NORTHWIND_TOKEN is not set (nor in .env)"
    assert [r.line.split(":")[0] for r in results] == ["FAILED contoso", "FAILED fabrikam", "FAILED northwind"]
    # a tenant's settings need a person before access does, and access before a rerun (unavailable)
    for failed, code in ((results, 2), (results[:2], 7), (results[:1], 8)):
        with pytest.raises(TenantsFailedError) as raised:
            raise_for_failures(failed)
        assert raised.value.exit_code == code


def test_tenants_file_problems_are_listed_together_without_secret_values(tmp_path):
    path = tmp_path / "tenants.toml"
    path.write_text(
        'colour = "red"\n'
        '[[tenant]]\nname = "a"\ntenant_id = "t-1"\ntoken = "eyJ0eXAi.PASTED-SECRET.sig"\n'
        'event_types = ["interactiveUser", "bogus"]\nbase_url = "ftp://graph"\nregion = "eu"\n'
        '[[tenant]]\ntenant_id = "t-2"\nclient_secret = "prefect-secret:b-secret"\n'
        '[[tenant]]\nname = "c"\ntenant_id = "t-2"\n[[tenant]]\nname = "d"\ntenant_id = "t-2"\n'
    )
    with pytest.raises(TenantsFileError) as raised:
        load_tenants(path)
    message = str(raised.value)
    assert raised.value.exit_code == 2 and "\n" not in message and "PASTED-SECRET" not in message
    for expected in (
        "7 problem(s)",
        "unknown top-level key 'colour'",
        "[[tenant]] #1 (a): unknown key(s) region",
        "#1 (a): token must be a reference to a secret (env:NAME or prefect-secret:NAME)",
        "#1 (a): event_types: unknown event type(s) bogus",
        "#1 (a): base_url='ftp://graph'",
        "[[tenant]] #2: name is required",
        "tenant_id 't-2' appears more than once",
    ):
        assert expected in message, expected
    path.write_text("[[tenant]\nname =")
    with pytest.raises(TenantsFileError, match="not valid TOML"):
        load_tenants(path)
    with pytest.raises(TenantsFileError, match="cannot read"):
        load_tenants(tmp_path / "missing.toml")


def test_tenant_settings_take_only_that_tenants_credentials(tmp_path, monkeypatch):
    monkeypatch.setenv("SIGNINS_GRAPH_TOKEN", "tok-FROM-ENVIRONMENT")
    monkeypatch.setenv("SIGNINS_CLIENT_ID", "env-app")
    monkeypatch.setenv("FAB_SECRET", "sec-FAB-31ab")
    path = tmp_path / "tenants.toml"
    path.write_text(
        '[[tenant]]\nname = "fab"\ntenant_id = "fab.example"\nclient_id = "fab-app"\n'
        'client_secret = "env:FAB_SECRET"\nauthority_host = "https://login.microsoftonline.us/"\n'
        'base_url = "https://graph.microsoft.us/beta/"\nevent_types = ["NONINTERACTIVEUSER"]\n'
    )
    (tenant,) = select(load_tenants(path), "fab")
    settings = tenant.settings(GraphSettings.from_env())
    assert (settings.token, settings.client_secret, settings.client_id) == (None, "sec-FAB-31ab", "fab-app")
    assert settings.credential_kind == "client-secret" and settings.tenant_key() == "fab.example"
    assert (settings.base_url, settings.authority_host) == (
        "https://graph.microsoft.us/beta",
        "login.microsoftonline.us",
    )
    assert settings.event_types == ("nonInteractiveUser",) and "sec-FAB" not in repr(settings)
    with pytest.raises(GraphSettingsError, match="no such tenant"):
        select([tenant], "contoso")


def test_prefect_secret_block_supplies_the_token(store, monkeypatch, prefect_harness):
    from prefect.blocks.system import Secret

    Secret(value=TOKENS["contoso"]).save("contoso-graph-token", overwrite=True, _sync=True)
    monkeypatch.setenv("SIGNINS_GRAPH_RATE_LIMIT", "100/1")
    with GraphServer(recent("a"), token=TOKENS["contoso"]) as one, GraphServer(recent("b")) as two:
        path = store.db_path.parent / "tenants.toml"
        path.write_text(
            tenant_block("contoso", one, token="prefect-secret:contoso-graph-token")
            + tenant_block("fabrikam", two, token="prefect-secret:no-such-block")
        )
        ok, missing = pull_tenants(store.con, store.db_path, load_tenants(path), GraphSettings.from_env())
    assert ok.error is None and ok.outcome.new_signins == 40
    assert all(r["headers"]["authorization"] == f"Bearer {TOKENS['contoso']}" for r in one.requests)
    assert missing.error.exit_code == 2 and not two.requests
    assert str(missing.error).startswith("tenant fabrikam: Prefect Secret block 'no-such-block' cannot be loaded")
