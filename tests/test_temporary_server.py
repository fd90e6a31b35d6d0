"""Prefect's temporary server for `signins run` and `backfill`, started before the flows import: used by
the run, stopped after Prefect has sent its last logs, replaced when its port was taken meanwhile."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from flows import temporary_server as module
from tests.conftest import FIXTURES


def test_a_run_uses_its_own_server_and_stops_it(tmp_path: Path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "run",
            "--source",
            str(FIXTURES / "cross_format" / "azure_monitor.log"),
            "--db",
            str(tmp_path / "s.duckdb"),
            "--out",
            str(tmp_path / "report"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "nightly run: 1 source(s), 1 records, 1 new sign-ins" in result.stdout
    port = int(re.search(r"Prefect: temporary server at http://127\.0\.0\.1:(\d+)/api", result.stderr).group(1))
    assert "View at" not in result.stderr  # no links into a UI that is not served
    assert "Error logging to API" not in result.stderr  # the server outlived Prefect's last logs
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_a_port_taken_before_the_server_binds_it_is_replaced(monkeypatch):
    from prefect.settings import PREFECT_API_URL, get_current_settings

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    ports = iter([taken.getsockname()[1], module._free_port()])
    monkeypatch.setattr(module, "_free_port", lambda: next(ports))
    server = module._Server()
    try:
        with server.api():
            assert server.port != taken.getsockname()[1]
            assert PREFECT_API_URL.value() == server.api_url == f"http://127.0.0.1:{server.port}/api"
            assert get_current_settings().flows.heartbeat_frequency is None  # the server ends with the run
            with urllib.request.urlopen(f"{server.api_url}/health", timeout=5) as response:
                assert response.status == 200
    finally:
        server.stop()
        taken.close()
    assert server.process.poll() is not None


def test_a_server_named_by_prefect_api_url_is_used_as_it_is(monkeypatch):
    monkeypatch.setenv("PREFECT_API_URL", "http://prefect.example:4200/api")
    monkeypatch.setattr(module, "_Server", lambda: pytest.fail("no server may be started"))
    server = module.temporary_server()
    with server.api():
        pass


def test_the_cli_skips_the_final_garbage_collections_at_exit():
    """They would walk every object of Great Expectations, Prefect and pandas (~1 s at the end of a run)."""
    script = (
        "import atexit, gc; from cli import main as cli; "
        "atexit.register(lambda: print('frozen' if gc.get_freeze_count() else 'not frozen')); "
        "import sys; sys.argv = ['signins', '--help']; cli.main()"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.stdout.splitlines()[-1] == "frozen"
