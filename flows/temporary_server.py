"""Prefect's temporary local server for a one-off run (`signins run`, `signins backfill`), started before
the pipeline's modules are imported so that its start-up overlaps theirs.

With no PREFECT_API_URL, Prefect starts this very server itself (SubprocessASGIServer: uvicorn serving
its API app, no UI, the ephemeral services) once a flow is called: after our imports, after importing
its own server modules into this process, and then waiting for it, one after the other. Started here
first, in a child process that needs nothing from this one, it is ready about when the imports are done.
This module imports nothing from Prefect, so starting it costs the imports nothing.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

START_SECONDS = 60.0
PORT_IN_USE = 3  # uvicorn's exit status when the port is taken


def temporary_server() -> _Server | _Configured:
    """Start Prefect's temporary server, unless PREFECT_API_URL names a server. Import the flows, then
    run them inside `server.api()`.

    The server stops when Python exits, as Prefect's own does: after Prefect has sent its last logs
    and events (its workers drain at exit too, registered later, so run first)."""
    if os.environ.get("PREFECT_API_URL"):
        return _Configured()
    server = _Server()
    atexit.register(server.stop)
    return server


class _Configured:
    """The server PREFECT_API_URL names."""

    def api(self) -> AbstractContextManager[None]:
        return nullcontext()


class _Server:
    def __init__(self):
        self.process = self._start()

    def _start(self) -> subprocess.Popen:
        self.port = _free_port()
        # As Prefect's SubprocessASGIServer starts it: the API only, as an ephemeral server.
        env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "prefect.server.api.server:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "error",
                "--lifespan",
                "on",
            ],
            env=env,
        )

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @contextmanager
    def api(self) -> Iterator[None]:
        """Once the server answers, Prefect's API URL for this process and the ones it starts (Dask workers)."""
        from prefect.settings import (
            PREFECT_API_URL,
            PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
            PREFECT_UI_URL,
            temporary_settings,
        )

        self._wait_until_ready()
        print(f"Prefect: temporary server at {self.api_url} (API only, no UI; stopped at exit)", file=sys.stderr)
        os.environ["PREFECT_API_URL"] = self.api_url
        try:
            # No UI is served: no "View at" links into it. No heartbeats either: they tell a server that
            # a flow run still lives, and this one ends with the run (a flow's end would wait for them).
            with temporary_settings(
                updates={PREFECT_API_URL: self.api_url, PREFECT_UI_URL: "", PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
            ):
                yield
        finally:
            os.environ.pop("PREFECT_API_URL", None)

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            status = self.process.poll()
            if status == PORT_IN_USE:  # taken since we picked it
                self.process = self._start()
            elif status is not None:
                raise RuntimeError(f"Prefect's temporary server exited with status {status} while starting")
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:  # not listening yet (URLError is an OSError)
                pass
            time.sleep(0.1)
        raise RuntimeError(f"Prefect's temporary server did not answer within {START_SECONDS:.0f} s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
