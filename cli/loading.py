"""Commands that bring sign-ins into the store: `ingest` (files) and `pull` (Microsoft Graph)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cli.options import DB_OPTION, EXIT_QUARANTINED, EXIT_UNREADABLE, settings_for, writing
from signins.settings import Settings
from signins.text import shown_path


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@DB_OPTION
@click.option("--tenant", default=None, help="Tenant id to record for these files (default: from the records).")
def ingest(paths: tuple[Path, ...], db_path: Path | None, tenant: str | None) -> None:
    """Load sign-in exports (files or folders, any supported format, gzip too) into the store.

    Formats are detected per file: Graph JSON (page, array, JSON lines; v1.0, beta, legacy beta),
    Azure Monitor diagnostic records (JSON lines, Event Hub bodies, PT1H.json blob trees), Log
    Analytics rows (JSON or CSV) and Entra admin-center downloads (JSON, CSV). Re-ingesting a file
    adds nothing. Prints one line per file (OK, WARN when records were quarantined, SKIP when the
    content was ingested before, FAIL when the file cannot be read: the others still load); exits 4
    when a file could not be read, else 5 when any record was quarantined.
    """
    from signins.ingest import blobs
    from signins.ingest.load import expand_paths, ingest_paths
    from signins.store.database import connect

    settings = settings_for(db_path)
    files, skipped = expand_paths(paths)
    if skipped:
        names = ", ".join(shown_path(p.name) for p in skipped[:5])
        click.echo(f"skipped {len(skipped)} file(s) that are not data files: {names}")
    sizes = {path: _size(path) for path in files}
    # A progress bar on a terminal only: scripts and logs get the one line per file and nothing else.
    with (
        writing(settings),
        connect(settings.db_path) as con,
        click.progressbar(
            length=sum(sizes.values()),
            label="ingesting",
            file=sys.stderr,
            hidden=not sys.stderr.isatty(),
        ) as progress,
    ):

        def on_file(outcome) -> None:
            click.echo(outcome.summary())
            progress.update(sizes[outcome.path])

        outcomes = ingest_paths(con, files, blobs.blob_root(settings.db_path), settings.limits, tenant, on_file)
    quarantined = sum(o.quarantined for o in outcomes)
    new = sum(o.new_signins for o in outcomes)
    unreadable = sum(bool(o.unreadable) for o in outcomes)
    click.echo(
        f"{len(outcomes)} file(s): {new} new sign-ins, {quarantined} record(s) quarantined"
        + (f", {unreadable} file(s) unreadable" if unreadable else "")
        + f" -> {settings.db_path}"
    )
    if unreadable:
        sys.exit(EXIT_UNREADABLE)
    if quarantined:
        sys.exit(EXIT_QUARANTINED)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # gone, or not ours to see: reported on its line
        return 0


@click.command()
@DB_OPTION
@click.option(
    "--since",
    default=None,
    metavar="ISO",
    help="Start of the window (default: the watermark minus the overlap; first run: the retention window).",
)
@click.option("--until", default=None, metavar="ISO", help="End of the window (default: now).")
@click.option(
    "--tenant",
    default=None,
    metavar="NAME|ID",
    help="With a tenants file: pull only the tenant of this name. Without: the tenant id "
    "(default: $SIGNINS_TENANT_ID, else the token's tenant).",
)
@click.option(
    "--tenants",
    "tenants_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Tenants file (TOML) listing the tenants to pull, each with its own credentials "
    "(default: $SIGNINS_TENANTS_FILE; see docs/tenants.example.toml).",
)
def pull(
    db_path: Path | None, since: str | None, until: str | None, tenant: str | None, tenants_file: Path | None
) -> None:
    """Pull sign-ins from Microsoft Graph (GET /beta/auditLogs/signIns) into the store, incrementally.

    Reads every event type in $SIGNINS_EVENT_TYPES, from a per-tenant watermark minus an overlap
    window ($SIGNINS_PULL_OVERLAP_HOURS, default 3), page by page; each page lands as it arrives. The
    window is read in slices sized by what Graph returns (a few requests beyond the pages of data).
    Credentials: $SIGNINS_GRAPH_TOKEN, else a client secret, else a certificate, else
    DefaultAzureCredential (see docs/graph.md). A run that stops early is resumed by the next one.
    With a tenants file every tenant is pulled in turn and gets one line, OK or FAILED; a failing
    tenant does not stop the others.
    Exits 5 when records were quarantined, 7 when Graph refuses access, 8 when Graph is unavailable
    (with several tenants failing: 2 for a tenant's settings, else 7, else 8).
    """
    from signins.graph.fleet import run_sync
    from signins.graph.pull import parse_when, pull_tenant
    from signins.graph.settings import GraphSettings
    from signins.settings import env
    from signins.store.database import connect

    settings = settings_for(db_path)
    graph = GraphSettings.from_env()
    start = parse_when(since, "--since") if since else None
    end = parse_when(until, "--until") if until else None
    tenants_file = tenants_file or (Path(env("SIGNINS_TENANTS_FILE")) if env("SIGNINS_TENANTS_FILE") else None)
    if tenants_file:
        return _pull_tenants(settings, graph, tenants_file, tenant, start, end)
    with writing(settings), connect(settings.db_path) as con:
        outcome = run_sync(pull_tenant(con, settings.db_path, graph, start, end, tenant, on_line=click.echo))
    for warning in outcome.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"pulled tenant {outcome.tenant}: {outcome.pages} page(s), {outcome.records} records, "
        f"{outcome.new_signins} new sign-ins, {outcome.quarantined} quarantined -> {settings.db_path}"
    )
    if outcome.quarantined:
        sys.exit(EXIT_QUARANTINED)


def _pull_tenants(settings: Settings, graph, tenants_file: Path, name: str | None, start, end) -> None:
    """`signins pull` over a tenants file: one line per tenant, then the totals; the worst failure's exit code."""
    from signins.graph.fleet import TenantResult, pull_tenants, raise_for_failures
    from signins.graph.tenants import load_tenants, select
    from signins.store.database import connect

    def report(result: TenantResult) -> None:
        click.echo(result.line)
        for warning in result.outcome.warnings if result.outcome else ():
            click.echo(f"warning: {warning}", err=True)

    tenants = select(load_tenants(tenants_file), name)
    with writing(settings), connect(settings.db_path) as con:
        results = pull_tenants(con, settings.db_path, tenants, graph, start, end, on_result=report)
    pulled = [r.outcome for r in results if r.outcome]
    click.echo(
        f"{len(pulled)} of {len(results)} tenant(s) pulled: {sum(o.new_signins for o in pulled)} new sign-ins, "
        f"{sum(o.quarantined for o in pulled)} quarantined -> {settings.db_path}"
    )
    raise_for_failures(results)
    if any(o.quarantined for o in pulled):
        sys.exit(EXIT_QUARANTINED)
