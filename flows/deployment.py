"""The nightly deployment: prefect.yaml describes it for a work pool; `signins serve` serves the same
flow, schedule and parameters from one machine (flow.serve) for teams without one."""

from __future__ import annotations

from pathlib import Path

from prefect.schedules import Cron

from flows.nightly import nightly

DEPLOYMENT = "nightly"


def nightly_deployment(source: str, db_path: Path, cron: str):
    """The deployment `signins serve` runs: the nightly flow on a cron schedule (UTC)."""
    # _sync: a plain call also where an event loop is already running (a notebook, playwright's sync API)
    return nightly.to_deployment(
        name=DEPLOYMENT,
        schedule=Cron(cron, timezone="UTC"),
        _sync=True,
        parameters={"source": source, "db_path": str(db_path)},
        description="Pull yesterday's sign-ins, gate, merge, tag causes, write dashboards.",
    )


def serve_nightly(source: str, db_path: Path, cron: str) -> None:
    from prefect import serve

    serve(nightly_deployment(source, db_path, cron))
