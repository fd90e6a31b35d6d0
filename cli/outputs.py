"""Commands that write what the store holds: `export`, `export-parquet` and `report` (the dashboards)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from cli.options import DB_OPTION, TENANT_OPTION, reading, settings_for


@click.command()
@click.argument("kind", type=click.Choice(["causes", "users", "policies"]))
@DB_OPTION
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "parquet"]), default="csv", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="File to write.")
@TENANT_OPTION
def export(kind: str, db_path: Path | None, fmt: str, out: Path, tenant: str | None) -> None:
    """Export cause tags (causes), user findings (users) or per-policy daily counts (policies).

    \b
    causes:   signin_id, correlation_id, user_principal_name, created_at, error_code, primary_cause,
              causes (;-separated), confidence, fix, policies (;-separated), report_only_policies,
              requirement_providers, mfa_method, mfa_result, evidence (JSON), verdict, verdict_reason,
              password_failures_hour, password_failure_ips_hour, spray_users_hour, mfa_interrupts_hour,
              ca_blocks_hour, password_known_elsewhere, tenant_id
    users:    user_principal_name, user_key, finding, first_at, last_at, failures (500121 log rows),
              failure_days, dominant_cause, detail, attempts (distinct MFA attempts), fix, verdict,
              verdict_reason, tenant_id
    policies: day, policy, report_only, failures, users, top_causes (;-separated), tenant_id

    Every tenant's rows, each with its tenant_id; --tenant writes one tenant's.

    In CSV, a text cell that starts with =, +, -, @, a tab or a carriage return (a formula to a
    spreadsheet) is written with a leading ' unless it is a number. Exits 3 when OUT cannot be written.
    """
    from signins.analysis.exports import export as write_export
    from signins.store.database import connect
    from signins.store.tenants import scope_to_tenant

    settings = settings_for(db_path)
    with reading(settings), connect(settings.db_path, read_only=True) as con:
        scope_to_tenant(con, tenant)
        rows = write_export(con, kind, fmt, out)
    click.echo(f"wrote {rows} {kind} row(s) to {out}")


@click.command("export-parquet")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder of the export: OUT/<table>/tenant_id=<t>/day=<YYYY-MM-DD>/*.parquet.",
)
@DB_OPTION
@click.option("--since", default=None, metavar="ISO", help="First UTC day to export (default: the oldest).")
@click.option(
    "--until",
    default=None,
    metavar="ISO",
    help="End of the window, exclusive; a time inside a day includes that day (default: the newest).",
)
def export_parquet(out: Path, db_path: Path | None, since: str | None, until: str | None) -> None:
    """Export the sign-ins, their child tables and the cause tags as Parquet, partitioned by tenant and day.

    Hive layout, one folder per table (signins, signin_auth_steps, signin_ca_policies,
    signin_app_policy_evaluations, signin_app_device_details, cause_tags), for Spark, Trino or DuckDB.
    Re-running replaces the partitions of the window's days, each in one step: readers never see
    a half-written export. Exits 2 when --since/--until are unreadable or --since is not before --until.
    """
    from signins.analysis.parquet_export import day_window
    from signins.analysis.parquet_export import export_parquet as write_parquet

    settings = settings_for(db_path)
    window = day_window(since, until)
    with reading(settings):
        results = write_parquet(settings.db_path, out, window)
    for result in results:
        click.echo(
            f"{result.table}: {result.rows} row(s), {result.partitions} partition(s) written, {result.removed} removed"
        )
    click.echo(f"exported to {out}")


def _utc(moment: datetime | None) -> datetime | None:
    """A --since/--until value: naive means UTC."""
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


@click.command()
@DB_OPTION
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write the site into (created; its report files are replaced).",
)
@click.option(
    "--since", type=click.DateTime(), default=None, help="Start of the window, UTC (default: 30 days before --until)."
)
@click.option(
    "--until",
    type=click.DateTime(),
    default=None,
    help="End of the window, UTC, exclusive (default: the day after the newest sign-in).",
)
@click.option(
    "--pseudonymize",
    is_flag=True,
    help="Replace user names, IPs, device names and sign-in and correlation ids with keyed hashes "
    "($SIGNINS_PSEUDONYM_KEY).",
)
@TENANT_OPTION
def report(
    db_path: Path | None,
    out: Path,
    since: datetime | None,
    until: datetime | None,
    pseudonymize: bool,
    tenant: str | None,
) -> None:
    """Write the dashboards: a static site (a triage landing page, Overview, Users, Policies, Security,
    Patterns, and a page per flagged user and per Conditional Access policy).

    Every figure is drawn from SQL aggregates (sql/report/); the site works offline (plotly.js is
    written beside the pages once) and escapes every string that came from the logs. Open
    OUT/index.html in a browser. A store of several tenants gets a site per tenant (OUT/t-<hash>/) and a
    landing page that compares the tenants and links to their sites; --tenant writes the site of one
    tenant alone. Exits 2 when --pseudonymize is given without $SIGNINS_PSEUDONYM_KEY.
    """
    from dashboards.pseudonymize import pseudonym_key
    from dashboards.site import build_report

    key = pseudonym_key() if pseudonymize else None
    settings = settings_for(db_path)
    with reading(settings):
        written = build_report(settings.db_path, out, _utc(since), _utc(until), key, tenant)
    sites = sorted({page.path.parent for page in written.pages} - {out})  # a site per tenant
    for site in sites:
        pages = [page for page in written.pages if page.path.parent == site]
        click.echo(f"{site}: a tenant's site, {len(pages)} pages, {sum(p.size for p in pages) / 1024:,.0f} KiB")
    details = [page for page in written.pages if page.path.name[:2] in ("u-", "p-")]
    for page in written.pages:
        if page not in details and page.path.parent == out:
            click.echo(f"{page.path}: {page.figures} figures, {page.size / 1024:,.0f} KiB")
    users = sum(page.path.name.startswith("u-") for page in details)
    size = sum(page.size for page in details) / 1024
    click.echo(f"{users:,} user pages and {len(details) - users:,} policy pages, {size:,.0f} KiB")
    click.echo(f"report {written.window.since:%Y-%m-%d} to {written.window.last_day:%Y-%m-%d} -> {written.index}")
