"""The `signins` command line."""

from __future__ import annotations

import atexit
import gc
import sys
from contextlib import contextmanager
from datetime import datetime, timezone
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


@contextmanager
def _writing(settings: Settings):
    """Hold the store's run lock while a command writes (signins.runs.writing), saying which runs that
    had died while landing were undone first."""
    from signins.runs import writing

    def waiting(holder: str) -> None:
        click.echo(f"waiting up to {settings.run_wait_seconds:g} s for process {holder}, which is writing to "
                   f"{settings.db_path} ($SIGNINS_RUN_WAIT_SECONDS)", err=True)

    with writing(settings.db_path, settings.run_wait_seconds, waiting) as undone:
        for name in undone:
            click.echo(f"undid run {name}: it had died while landing its files", err=True)
        yield


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Turn Microsoft Entra ID sign-in logs into answers about MFA failures (error 500121).

    \b
    Exit codes: 0 success; 2 usage error; 3 database error; 4 input missing or unreadable;
    5 some records were quarantined (see the quarantine table); 6 no such sign-in (explain);
    7 Graph refused access (credentials, tenant, permission, licence; pull);
    8 Graph unavailable or throttled past the retries (pull; rerun to resume);
    9 a run's data failed a validation gate (run, backfill; the store is as it was);
    10 another run or command is writing to the database (run, backfill, ingest, pull, tag).
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
    # A progress bar on a terminal only: scripts and logs get the one line per file and nothing else.
    with _writing(settings), connect(settings.db_path) as con, click.progressbar(
            length=sum(f.stat().st_size for f in files), label="ingesting", file=sys.stderr,
            hidden=not sys.stderr.isatty()) as progress:
        def on_file(outcome) -> None:
            click.echo(outcome.summary())
            progress.update(outcome.path.stat().st_size)
        outcomes = ingest_paths(con, files, blobs.blob_root(settings.db_path), settings.limits, tenant, on_file)
    quarantined = sum(o.quarantined for o in outcomes)
    new = sum(o.new_signins for o in outcomes)
    click.echo(f"{len(outcomes)} file(s): {new} new sign-ins, {quarantined} record(s) quarantined -> {settings.db_path}")
    if quarantined:
        sys.exit(EXIT_QUARANTINED)


@cli.command()
@DB_OPTION
@click.option("--since", default=None, metavar="ISO",
              help="Start of the window (default: the watermark minus the overlap; first run: the retention window).")
@click.option("--until", default=None, metavar="ISO", help="End of the window (default: now).")
@click.option("--tenant", default=None, metavar="NAME|ID",
              help="With a tenants file: pull only the tenant of this name. Without: the tenant id "
                   "(default: $SIGNINS_TENANT_ID, else the token's tenant).")
@click.option("--tenants", "tenants_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Tenants file (TOML) listing the tenants to pull, each with its own credentials "
                   "(default: $SIGNINS_TENANTS_FILE; see docs/tenants.example.toml).")
def pull(db_path: Path | None, since: str | None, until: str | None, tenant: str | None,
         tenants_file: Path | None) -> None:
    """Pull sign-ins from Microsoft Graph (GET /beta/auditLogs/signIns) into the store, incrementally.

    Reads every event type in $SIGNINS_EVENT_TYPES, from a per-tenant watermark minus an overlap
    window ($SIGNINS_PULL_OVERLAP_HOURS, default 3), page by page; each page lands as it arrives.
    Credentials: $SIGNINS_GRAPH_TOKEN, else a client secret, else a certificate, else
    DefaultAzureCredential (see the README). A run that stops early is resumed by the next one.
    With a tenants file every tenant is pulled in turn and gets one line, OK or FAILED; a failing
    tenant does not stop the others.
    Exits 5 when records were quarantined, 7 when Graph refuses access, 8 when Graph is unavailable
    (with several tenants failing: 2 for a tenant's settings, else 7, else 8).
    """
    from signins.graph.fleet import run_sync
    from signins.graph.pull import parse_when, pull_tenant
    from signins.graph.settings import GraphSettings
    from signins.settings import env
    from signins.store import connect

    settings = _settings(db_path)
    graph = GraphSettings.from_env()
    start = parse_when(since, "--since") if since else None
    end = parse_when(until, "--until") if until else None
    tenants_file = tenants_file or (Path(env("SIGNINS_TENANTS_FILE")) if env("SIGNINS_TENANTS_FILE") else None)
    if tenants_file:
        return _pull_tenants(settings, graph, tenants_file, tenant, start, end)
    with _writing(settings), connect(settings.db_path) as con:
        outcome = run_sync(pull_tenant(con, settings.db_path, graph, start, end, tenant, on_line=click.echo))
    for warning in outcome.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"pulled tenant {outcome.tenant}: {outcome.pages} page(s), {outcome.records} records, "
               f"{outcome.new_signins} new sign-ins, {outcome.quarantined} quarantined -> {settings.db_path}")
    if outcome.quarantined:
        sys.exit(EXIT_QUARANTINED)


def _pull_tenants(settings: Settings, graph, tenants_file: Path, name: str | None, start, end) -> None:
    """`signins pull` over a tenants file: one line per tenant, then the totals; the worst failure's exit code."""
    from signins.graph.fleet import TenantResult, pull_tenants, raise_for_failures
    from signins.graph.tenants import load_tenants, select
    from signins.store import connect

    def report(result: TenantResult) -> None:
        click.echo(result.line)
        for warning in result.outcome.warnings if result.outcome else ():
            click.echo(f"warning: {warning}", err=True)

    tenants = select(load_tenants(tenants_file), name)
    with _writing(settings), connect(settings.db_path) as con:
        results = pull_tenants(con, settings.db_path, tenants, graph, start, end, on_result=report)
    pulled = [r.outcome for r in results if r.outcome]
    click.echo(f"{len(pulled)} of {len(results)} tenant(s) pulled: {sum(o.new_signins for o in pulled)} new sign-ins, "
               f"{sum(o.quarantined for o in pulled)} quarantined -> {settings.db_path}")
    raise_for_failures(results)
    if any(o.quarantined for o in pulled):
        sys.exit(EXIT_QUARANTINED)


@cli.command()
@click.option("--source", default="sample", show_default=True,
              help="`graph` (Microsoft Graph, see `signins pull`), `sample` (the bundled tenant in "
                   "data/sample/) or a file or folder of exports.")
@DB_OPTION
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the dashboards (default: data/report/).")
def run(source: str, db_path: Path | None, out: Path | None) -> None:
    """Run the nightly flow once, now (a real Prefect run on its local ephemeral server).

    The source lands in a staging store of the run's own; Great Expectations gates check it (rows
    failing a row check are quarantined; a failing gate stops the run, exit 9, and leaves the store
    as it was); it is merged into the store in one transaction; causes are tagged; the dashboards, a
    summary artifact and the run record (<db>.runs/<run>/) are written; alerts go to
    $SIGNINS_NOTIFY_URL. One run at a time per database (exit 10 after $SIGNINS_RUN_WAIT_SECONDS).
    Exits 5 when records were quarantined.
    """
    import flows  # noqa: F401  (switches off Prefect/GX analytics before Prefect is imported)
    from flows.temporary_server import temporary_server

    server = temporary_server()  # starts while the flows import
    from flows.nightly import nightly

    settings = _settings(db_path)
    with server.api():
        totals = nightly(source=source, db_path=str(settings.db_path), out=str(out) if out else None)
    _echo_totals("nightly run", totals, settings.db_path)


@cli.command()
@click.option("--since", required=True, metavar="ISO", help="Start of the range (UTC unless it says otherwise).")
@click.option("--until", default=None, metavar="ISO", help="End of the range (default: now).")
@DB_OPTION
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the dashboards (default: data/report/).")
def backfill(since: str, until: str | None, db_path: Path | None, out: Path | None) -> None:
    """Pull a date range from Microsoft Graph in day-sized chunks (each gated, merged and retried on its
    own), then tag and report once. Same exit codes as `run`."""
    import flows  # noqa: F401
    from flows.temporary_server import temporary_server

    server = temporary_server()  # starts while the flows import
    from flows.backfill import backfill as backfill_flow
    from signins.graph.pull import parse_when

    settings = _settings(db_path)
    start = parse_when(since, "--since")
    end = parse_when(until, "--until") if until else datetime.now(timezone.utc)
    with server.api():
        totals = backfill_flow(since=start, until=end, db_path=str(settings.db_path), out=str(out) if out else None)
    _echo_totals("backfill", totals, settings.db_path)


def _echo_totals(what: str, totals: dict, db_path: Path) -> None:
    click.echo(f"{what}: {totals['sources']} source(s), {totals['records']} records, "
               f"{totals['new_signins']} new sign-ins, {totals['updated_signins']} updated, "
               f"{totals['quarantined']} quarantined, {totals['tagged']} MFA failures tagged, "
               f"{totals['findings']} user finding(s) ({totals['new_findings']} new) -> {db_path}; "
               f"dashboards: {totals['report']}; run record: {totals['run_record']}")
    if totals["quarantined"]:
        sys.exit(EXIT_QUARANTINED)


@cli.command()
@click.option("--source", default="graph", show_default=True, help="What the scheduled runs read (as `run`).")
@DB_OPTION
@click.option("--cron", default=None, help="When to run (default: $SIGNINS_NIGHTLY_CRON, else '30 2 * * *', UTC).")
def serve(source: str, db_path: Path | None, cron: str | None) -> None:
    """Serve the nightly deployment from this machine (Prefect `flow.serve`) until stopped: runs on the
    cron schedule, for teams without a work pool. Point PREFECT_API_URL at a Prefect server or Prefect
    Cloud to see the runs there; without it, Prefect's local server is used."""
    import flows  # noqa: F401
    from flows.deployment import serve_nightly

    settings = _settings(db_path)
    serve_nightly(source, settings.db_path, cron or settings.nightly_cron)


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


def _thresholds(preset: str | None, settings: tuple[str, ...], privileged: str | None):
    from transforms.thresholds import load_thresholds

    overrides = {}
    for item in settings:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r}: expected KEY=VALUE", param_hint="--set")
        overrides[key.strip()] = _setting_value(value.strip())
    if privileged:
        overrides["privileged_accounts"] = [u.strip().lower() for u in privileged.split(",") if u.strip()]
    try:
        return load_thresholds(preset=preset, overrides=overrides)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _setting_value(text: str):
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


@cli.command()
@DB_OPTION
@click.option("--preset", default=None, help="Named threshold preset, e.g. `sentinel` (> 10 prompts in 5 minutes).")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="Override one threshold of transforms/thresholds.toml (repeatable).")
@click.option("--privileged", default=None, help="Comma-separated privileged account UPNs (adds to the settings file).")
@click.option("--full", is_flag=True, help="Re-tag everything instead of only what new data can change.")
def tag(db_path: Path | None, preset: str | None, settings: tuple[str, ...], privileged: str | None, full: bool) -> None:
    """Tag every 500121 sign-in with its likely causes, evidence and fix; rebuild user and policy findings.

    Incremental: only users with sign-ins loaded since the last run are re-tagged (with the part of their
    history that can change a feature), which gives the same result as a full re-tag. Changing a
    threshold re-tags everything.
    """
    from signins.store import connect
    from signins.tagging import tag as run_tagging

    thresholds = _thresholds(preset, settings, privileged)
    settings_ = _settings(db_path)
    with _writing(settings_), connect(settings_.db_path) as con:
        outcome = run_tagging(con, thresholds, full=full)
        findings = con.execute("SELECT finding, count(*) FROM user_findings GROUP BY 1 ORDER BY 1").fetchall()
    kind = "full re-tag" if outcome.full else "incremental"
    built = ", the summary of older history built anew" if outcome.history_built else ""
    click.echo(f"tagged {outcome.tagged} MFA failures of {outcome.users} user(s) ({kind}, {outcome.signins_read} "
               f"sign-ins read{built})")
    for finding, count in findings:
        click.echo(f"  {finding}: {count} user(s)")


@cli.command()
@click.argument("key")
@DB_OPTION
def explain(key: str, db_path: Path | None) -> None:
    """Explain one sign-in (by id or correlation id): what happened, each cause with its evidence, the fix.

    Also prints the ids to quote to Microsoft support (request id, correlation id, timestamp).
    Exits 6 when the store has no such sign-in.
    """
    from signins.explain import explain as explain_text
    from signins.store import connect

    con = connect(_settings(db_path).db_path)
    try:
        click.echo(explain_text(con, key))
    finally:
        con.close()


@cli.command()
@click.argument("kind", type=click.Choice(["causes", "users", "policies"]))
@DB_OPTION
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "parquet"]), default="csv", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="File to write.")
def export(kind: str, db_path: Path | None, fmt: str, out: Path) -> None:
    """Export cause tags (causes), user findings (users) or per-policy daily counts (policies).

    \b
    causes:   signin_id, correlation_id, user_principal_name, created_at, error_code, primary_cause,
              causes (;-separated), confidence, fix, policies (;-separated), report_only_policies,
              requirement_providers, mfa_method, mfa_result, evidence (JSON)
    users:    user_principal_name, user_key, finding, first_at, last_at, failures, failure_days,
              dominant_cause, detail
    policies: day, policy, report_only, failures, users, top_causes (;-separated)
    """
    from signins.exports import export as write_export
    from signins.store import connect

    con = connect(_settings(db_path).db_path)
    try:
        rows = write_export(con, kind, fmt, out)
    finally:
        con.close()
    click.echo(f"wrote {rows} {kind} row(s) to {out}")


@cli.command("export-parquet")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder of the export: OUT/<table>/tenant_id=<t>/day=<YYYY-MM-DD>/*.parquet.")
@DB_OPTION
@click.option("--since", default=None, metavar="ISO", help="First UTC day to export (default: the oldest).")
@click.option("--until", default=None, metavar="ISO",
              help="End of the window, exclusive; a time inside a day includes that day (default: the newest).")
def export_parquet(out: Path, db_path: Path | None, since: str | None, until: str | None) -> None:
    """Export the sign-ins, their child tables and the cause tags as Parquet, partitioned by tenant and day.

    Hive layout, one folder per table (signins, signin_auth_steps, signin_ca_policies,
    signin_app_policy_evaluations, signin_app_device_details, cause_tags), for Spark, Trino or DuckDB.
    Re-running replaces the partitions of the window's days, each in one step: readers never see
    a half-written export. Exits 2 when --since/--until are unreadable or --since is not before --until.
    """
    from signins.parquet_export import day_window
    from signins.parquet_export import export_parquet as write_parquet

    settings = _settings(db_path)
    window = day_window(since, until)
    for result in write_parquet(settings.db_path, out, window):
        click.echo(f"{result.table}: {result.rows} row(s), {result.partitions} partition(s) written, "
                   f"{result.removed} removed")
    click.echo(f"exported to {out}")


def _utc(moment: datetime | None) -> datetime | None:
    """A --since/--until value: naive means UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment and moment.tzinfo is None else moment


@cli.command()
@DB_OPTION
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write the site into (created; its report files are replaced).")
@click.option("--since", type=click.DateTime(), default=None,
              help="Start of the window, UTC (default: 30 days before --until).")
@click.option("--until", type=click.DateTime(), default=None,
              help="End of the window, UTC, exclusive (default: the day after the newest sign-in).")
@click.option("--pseudonymize", is_flag=True,
              help="Replace user names, IPs and device names with keyed hashes ($SIGNINS_PSEUDONYM_KEY).")
def report(db_path: Path | None, out: Path, since: datetime | None, until: datetime | None, pseudonymize: bool) -> None:
    """Write the dashboards: a static site (index + Overview, Users, Policies, Security, Patterns).

    Every figure is drawn from SQL aggregates (sql/report/); the site works offline (plotly.js is
    written beside the pages once) and escapes every string that came from the logs. Open
    OUT/index.html in a browser. Exits 2 when --pseudonymize is given without $SIGNINS_PSEUDONYM_KEY.
    """
    from dashboards.pseudonymize import pseudonym_key
    from dashboards.site import build_report

    key = pseudonym_key() if pseudonymize else None
    written = build_report(_settings(db_path).db_path, out, _utc(since), _utc(until), key)
    for page in written.pages:
        click.echo(f"{page.path}: {page.figures} figures, {page.size / 1024:,.0f} KiB")
    click.echo(f"report {written.window.since:%Y-%m-%d} to {written.window.last_day:%Y-%m-%d} -> {written.index}")


@cli.command()
@DB_OPTION
@click.option("--truth", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=Path("data/sample/ground_truth.csv"), show_default=True,
              help="CSV with columns id and cause (the simulator's ground truth).")
def evaluate(db_path: Path | None, truth: Path) -> None:
    """Per-cause precision and recall of the primary cause against a ground truth."""
    import polars as pl

    from signins.exports import evaluate as score
    from signins.store import connect

    con = connect(_settings(db_path).db_path)
    try:
        tags = con.sql("SELECT signin_id, primary_cause FROM cause_tags").pl()
    finally:
        con.close()
    table = score(tags, pl.read_csv(truth))
    click.echo(f"{'cause':22} {'expected':>8} {'predicted':>9} {'correct':>7} {'precision':>9} {'recall':>6}")
    for row in table.iter_rows(named=True):
        fmt = lambda v: "-" if v is None else f"{v:.2f}"
        click.echo(f"{row['cause']:22} {row['expected']:>8} {row['predicted']:>9} {row['correct']:>7} "
                   f"{fmt(row['precision']):>9} {fmt(row['recall']):>6}")
    total, correct = table["expected"].sum(), table["correct"].sum()
    click.echo(f"overall: {correct} of {total} primary causes match ({correct / max(total, 1):.1%})")


def main() -> None:
    """Entry point: errors from bad input or the database print one line, never a traceback."""
    # Registered first, so run last at exit: without it, Python's final garbage collections walk every
    # object of the libraries a run imports (Great Expectations, Prefect, pandas), ~1 s of each run's end.
    atexit.register(gc.freeze)
    try:
        cli(standalone_mode=True)
    except SigninsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:
        if not _database_error(exc):
            raise
        # A damaged file (truncated, corrupt blocks) opens, then fails on the first read that reaches the damage.
        click.echo(f"error: the database cannot be read or written: {str(exc).splitlines()[0]}", err=True)
        sys.exit(3)


def _database_error(exc: Exception) -> bool:
    """An error of DuckDB itself (only possible once a command has imported it)."""
    duckdb = sys.modules.get("duckdb")
    return duckdb is not None and isinstance(exc, duckdb.Error)


if __name__ == "__main__":
    main()
