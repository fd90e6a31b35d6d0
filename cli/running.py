"""Commands that run the nightly flow: `run` (once, now), `backfill` (a date range), `serve` (on a schedule)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from cli.options import DB_OPTION, EXIT_QUARANTINED, settings_for

OUT_OPTION = click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the dashboards (default: data/report/).",
)


@click.command()
@click.option(
    "--source",
    default="sample",
    show_default=True,
    help="`graph` (Microsoft Graph, see `signins pull`), `sample` (the bundled tenant in "
    "data/sample/) or a file or folder of exports.",
)
@DB_OPTION
@OUT_OPTION
def run(source: str, db_path: Path | None, out: Path | None) -> None:
    """Run the nightly flow once, now (a real Prefect run on its local ephemeral server).

    Files land in the store as an undoable run; Graph pulls land in a staging store of the run's own.
    Great Expectations gates check what landed (rows failing a row check are quarantined; a failing
    gate stops the run, exit 9, and leaves the store as it was); then causes are tagged; the
    dashboards, a summary artifact and the run record (<db>.runs/<run>/) are written; alerts go to
    $SIGNINS_NOTIFY_URL. One run at a time per database (exit 10 after $SIGNINS_RUN_WAIT_SECONDS).
    Exits 5 when records were quarantined.
    """
    from flows.temporary_server import temporary_server

    server = temporary_server()  # starts while the flows import
    from flows.nightly import nightly

    settings = settings_for(db_path)
    with server.api():
        totals = nightly(source=source, db_path=str(settings.db_path), out=str(out) if out else None)
    _echo_totals("nightly run", totals, settings.db_path)


@click.command()
@click.option("--since", required=True, metavar="ISO", help="Start of the range (UTC unless it says otherwise).")
@click.option("--until", default=None, metavar="ISO", help="End of the range (default: now).")
@DB_OPTION
@OUT_OPTION
def backfill(since: str, until: str | None, db_path: Path | None, out: Path | None) -> None:
    """Pull a date range from Microsoft Graph in day-sized chunks (each gated, merged and retried on its
    own), then tag and report once. Same exit codes as `run`."""
    from flows.temporary_server import temporary_server

    server = temporary_server()  # starts while the flows import
    from flows.backfill import backfill as backfill_flow
    from signins.graph.pull import parse_when

    settings = settings_for(db_path)
    start = parse_when(since, "--since")
    end = parse_when(until, "--until") if until else datetime.now(UTC)
    with server.api():
        totals = backfill_flow(since=start, until=end, db_path=str(settings.db_path), out=str(out) if out else None)
    _echo_totals("backfill", totals, settings.db_path)


def _echo_totals(what: str, totals: dict, db_path: Path) -> None:
    click.echo(
        f"{what}: {totals['sources']} source(s), {totals['records']} records, "
        f"{totals['new_signins']} new sign-ins, {totals['updated_signins']} updated, "
        f"{totals['quarantined']} quarantined, {totals['tagged']} MFA failures tagged, "
        f"{totals['findings']} user finding(s) ({totals['new_findings']} new) -> {db_path}; "
        f"dashboards: {totals['report']}; run record: {totals['run_record']}"
    )
    if totals["quarantined"]:
        sys.exit(EXIT_QUARANTINED)


@click.command()
@click.option("--source", default="graph", show_default=True, help="What the scheduled runs read (as `run`).")
@DB_OPTION
@click.option("--cron", default=None, help="When to run (default: $SIGNINS_NIGHTLY_CRON, else '30 2 * * *', UTC).")
def serve(source: str, db_path: Path | None, cron: str | None) -> None:
    """Serve the nightly deployment from this machine (Prefect `flow.serve`) until stopped: runs on the
    cron schedule, for teams without a work pool. Point PREFECT_API_URL at a Prefect server or Prefect
    Cloud to see the runs there; without it, Prefect's local server is used."""
    from flows.deployment import serve_nightly

    settings = settings_for(db_path)
    serve_nightly(source, settings.db_path, cron or settings.nightly_cron)
