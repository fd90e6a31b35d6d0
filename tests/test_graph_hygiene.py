"""The access token goes to the configured Graph base URL only, over https (http to a loopback stand-in
only), and no spelling of a secret that a server or library echoes reaches an error, log or output."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from test_graph_pull import START, TOKEN, graph_env, run_pull  # noqa: F401  (graph_env is a fixture)

from reliability.graph_server import GraphServer, make_records
from signins.graph.client import SigninsClient
from signins.graph.errors import GraphAccessError, GraphSettingsError, GraphUnavailableError
from signins.graph.fleet import run_sync
from signins.graph.settings import GraphSettings, parse_base_url, redact

JWT = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJ0aWQiOiJjb250b3NvIiwiYXVkIjoiZ3JhcGgifQ.c2lnbmF0dXJlLXBhcnQtb2YtaXQ"
SECRET = "Q~8xk.fake_client-secret+value/with=chars"


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://graph.microsoft.com/beta", True),
        ("https://graph.microsoft.us/beta/", True),
        ("http://127.0.0.1:8080/beta", True),
        ("http://localhost:8080/beta", True),
        ("http://graph.microsoft.com/beta", False),
        ("http://10.0.0.5/beta", False),
        ("ftp://graph.microsoft.com/beta", False),
        ("graph.microsoft.com/beta", False),
    ],
)
def test_the_base_url_is_https_or_a_loopback_stand_in(url: str, ok: bool):
    if ok:
        assert parse_base_url(url, "SIGNINS_GRAPH_BASE_URL") == url.rstrip("/")
    else:
        with pytest.raises(GraphSettingsError, match="expected an https URL"):
            parse_base_url(url, "SIGNINS_GRAPH_BASE_URL")


@pytest.mark.parametrize(
    ("link", "followed"),
    [
        ("https://graph.microsoft.com/beta/auditLogs/signIns?$skiptoken=x", True),
        ("http://graph.microsoft.com/beta/auditLogs/signIns?$skiptoken=x", False),
        ("https://graph.microsoft.com.evil.example/beta/auditLogs/signIns", False),
        ("https://evil.example/beta/auditLogs/signIns", False),
        ("https://graph.microsoft.com:8443/beta/auditLogs/signIns", False),
        ("https://graph.microsoft.com/v1.0/auditLogs/signIns", False),
        ("https://graph.microsoft.com/betax/auditLogs/signIns", False),
        ("/beta/auditLogs/signIns?$skiptoken=x", False),
    ],
)
def test_a_next_link_is_followed_only_under_the_base_url(monkeypatch, link: str, followed: bool):
    monkeypatch.setenv("SIGNINS_GRAPH_BASE_URL", "https://graph.microsoft.com/beta")
    monkeypatch.setenv("SIGNINS_GRAPH_TOKEN", JWT)
    client = SigninsClient(GraphSettings.from_env(), "contoso")
    assert client.on_graph_host(link) is followed
    if not followed:
        with pytest.raises(GraphUnavailableError, match="not followed"):
            run_sync(client.next_page(link))


def test_a_next_link_to_another_host_is_not_followed_and_gets_no_token(store, graph_env):  # noqa: F811
    with GraphServer(make_records(100, START), max_page=10) as server, GraphServer([]) as elsewhere:
        settings = graph_env(server, SIGNINS_EVENT_TYPES="interactiveUser", SIGNINS_PULL_SLICE_HOURS="240")
        server.next_link_base = elsewhere.base_url
        with pytest.raises(GraphUnavailableError, match="not followed"):
            run_pull(store, settings)
    assert elsewhere.requests == []
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    "echo",
    [
        f"Access token has expired: {JWT}",
        f"token={quote(JWT, safe='')}",
        f"received {JWT[:30]}...",
        f"{{'Authorization': 'Bearer {JWT}'}}",
        f"client_secret={quote(SECRET, safe='')}&grant_type=client_credentials",
        f"secret {SECRET[:14]}",
        f"secret {SECRET}",
    ],
)
def test_every_spelling_of_a_secret_is_redacted(echo: str):
    shown = redact(echo, [JWT, SECRET])
    assert "***" in shown
    for secret in (JWT, SECRET):
        for size in (8, 12, 20):
            assert not any(secret[i : i + size] in shown for i in range(len(secret) - size + 1)), shown


def test_an_access_token_no_setting_holds_is_redacted_too():
    """A credential fetched the token: any JWT and whatever follows Bearer is hidden."""
    assert redact(f"got {JWT} with Authorization: Bearer abc.def", []) == "got *** with Authorization: Bearer ***"


def test_ordinary_text_is_left_alone():
    text = "Graph answered 401 InvalidAuthenticationToken for /beta/auditLogs/signIns?$top=1000 at 2026-11-05"
    assert redact(text, [JWT, SECRET]) == text


@pytest.mark.parametrize("kind", ["401", "401-encoded", "401-truncated", "401-header"])
def test_an_echoing_server_never_gets_its_echo_printed(store, graph_env, kind: str):  # noqa: F811
    records = make_records(5, datetime.now(UTC) - timedelta(hours=5))
    with GraphServer(records) as server:
        settings = graph_env(server, SIGNINS_EVENT_TYPES="interactiveUser", SIGNINS_GRAPH_TOKEN=JWT)
        server.fault_in(1, kind)
        with pytest.raises(GraphAccessError) as raised:
            run_pull(store, settings)
    message = str(raised.value)
    assert "***" in message and JWT[:12] not in message and quote(JWT[:12], safe="") not in message
    assert TOKEN not in message
