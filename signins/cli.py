"""The `signins` command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from signins import blobs
from signins.errors import SigninsError
from signins.settings import Settings

EXIT_QUARANTINED = 5

DB_OPTION = click.option(
    "--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="DuckDB database file (default: $SIGNINS_DB, else data/signins.duckdb).",
)


def _settings(db_path: Path | None) -> Settings:
    settings = Settings()
    if db_path is not None:
        settings = Settings(db_path=db_path)
    return settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Turn Microsoft Entra ID sign-in logs into answers about MFA failures (error 500121).

    \b
    Exit codes: 0 success; 2 usage error; 3 database error; 4 input missing or unreadable;
    5 some records were quarantined (see the quarantine table).
    """


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@DB_OPTION
@click.option("--tenant", default=None, help="Tenant id to record for these files (default: from the records).")
def ingest(paths: tuple[Path, ...], db_path: Path | None, tenant: str | None) -> None:
    """Load sign-in exports (files or folders, any supported format, gzip too) into the store.

    Formats are detected per file: Graph JSON (page, array, JSON lines; v1.0, beta, legacy beta),
    Azure Monitor diagnostic records (JSON lines, Event Hub bodies, PT1H.json blob trees), Log
    Analytics rows (JSON or CSV) and Entra admin-center downloads (JSON, CSV). Re-ingesting a file
    adds nothing. Prints one line per file; exits 5 when any record was quarantined.
    """
    from signins.load import expand_paths, ingest_paths
    from signins.store import connect

    settings = _settings(db_path)
    files, skipped = expand_paths(paths)
    if skipped:
        click.echo(f"skipped {len(skipped)} file(s) that are not data files: {', '.join(p.name for p in skipped[:5])}")
    con = connect(settings.db_path, settings.duckdb_memory_limit)
    try:
        outcomes = ingest_paths(con, files, blobs.blob_root(settings.db_path), settings.limits, tenant,
                                on_file=lambda o: click.echo(o.summary()))
    finally:
        con.close()
    quarantined = sum(o.quarantined for o in outcomes)
    new = sum(o.new_signins for o in outcomes)
    click.echo(f"{len(outcomes)} file(s): {new} new sign-ins, {quarantined} record(s) quarantined -> {settings.db_path}")
    if quarantined:
        sys.exit(EXIT_QUARANTINED)


@cli.command()
@click.option("--source", default="sample", show_default=True,
              help="`sample` (the bundled tenant in data/sample/) or a file or folder of exports.")
@DB_OPTION
def run(source: str, db_path: Path | None) -> None:
    """Run the nightly flow once, now (a real Prefect run on its local ephemeral server).

    Today the flow lands the source into the store and writes a run summary artifact; validation,
    cause tagging and dashboards join it as they land. Exits 5 when records were quarantined.
    """
    import flows  # noqa: F401  (switches off Prefect/GX analytics before Prefect is imported)
    from flows.nightly import nightly

    settings = _settings(db_path)
    totals = nightly(source=source, db_path=str(settings.db_path))
    click.echo(f"nightly run: {totals['files']} file(s), {totals['records']} records, "
               f"{totals['new_signins']} new sign-ins, {totals['quarantined']} quarantined -> {settings.db_path}")
    if totals["quarantined"]:
        sys.exit(EXIT_QUARANTINED)


@cli.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("data/sample"), show_default=True,
              help="Folder to write the sample into.")
@click.option("--seed", type=int, default=None, help="Random seed (default: the bundled sample's, 500121).")
@click.option("--days", type=int, default=None, help="Days simulated (default 30).")
@click.option("--users", type=int, default=None, help="Accounts in the tenant (default 250).")
def simulate(out: Path, seed: int | None, days: int | None, users: int | None) -> None:
    """Write the deterministic synthetic sample tenant (Graph beta pages + ground truth).

    With the defaults this regenerates data/sample/ byte for byte; see data/sample/README.md.
    """
    from signins.simulator.cli import main as simulator_main

    argv = ["--out", str(out)]
    for flag, value in (("--seed", seed), ("--days", days), ("--users", users)):
        if value is not None:
            argv += [flag, str(value)]
    sys.exit(simulator_main(argv))


def main() -> None:
    """Entry point: errors from bad input or the database print one line, never a traceback."""
    try:
        cli(standalone_mode=True)
    except SigninsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
