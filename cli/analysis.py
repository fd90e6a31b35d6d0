"""Commands over the stored sign-ins' causes: `tag`, `explain` and `evaluate`."""

from __future__ import annotations

from pathlib import Path

import click

from cli.options import DB_OPTION, TENANT_OPTION, reading, settings_for, writing


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
    """A --set value as the number it spells, else as text."""
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


@click.command()
@DB_OPTION
@click.option("--preset", default=None, help="Named threshold preset, e.g. `sentinel` (> 10 prompts in 5 minutes).")
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override one threshold of transforms/thresholds.toml (repeatable).",
)
@click.option("--privileged", default=None, help="Comma-separated privileged account UPNs (adds to the settings file).")
@click.option("--full", is_flag=True, help="Re-tag everything instead of only what new data can change.")
@TENANT_OPTION
def tag(
    db_path: Path | None,
    preset: str | None,
    settings: tuple[str, ...],
    privileged: str | None,
    full: bool,
    tenant: str | None,
) -> None:
    """Tag every 500121 sign-in with its likely causes, evidence and fix; rebuild user and policy findings.

    Incremental: only users with sign-ins loaded since the last run are re-tagged (with the part of their
    history that can change a feature), which gives the same result as a full re-tag. Changing a
    threshold re-tags everything. With baseline_days set, each tenant learns its own fatigue and recurrence
    thresholds from its recent tags (at least the values set); the output shows the thresholds in effect.
    --tenant tags one tenant's users only and leaves the watermark where it was, so the next run over
    every tenant still tags the others' new sign-ins.
    """
    from signins.analysis.baselines import describe
    from signins.analysis.tagging import findings_per_kind
    from signins.analysis.tagging import tag as run_tagging
    from signins.store.database import connect
    from signins.store.tenants import require_tenant

    thresholds = _thresholds(preset, settings, privileged)
    store = settings_for(db_path)
    with writing(store, create=False), connect(store.db_path) as con:
        if tenant is not None:
            require_tenant(con, tenant)
        outcome = run_tagging(con, thresholds, full=full, tenant=tenant)
        findings = findings_per_kind(con)
    kind = "full re-tag" if outcome.full else "incremental"
    built = ", the summary of older history built anew" if outcome.history_built else ""
    click.echo(
        f"tagged {outcome.tagged} MFA failures of {outcome.users} user(s) ({kind}, {outcome.signins_read} "
        f"sign-ins read{built})"
    )
    for finding, count in findings:
        click.echo(f"  {finding}: {count} user(s)")
    for line in describe(outcome.baselines, outcome.thresholds):
        click.echo(line)


@click.command()
@click.argument("key")
@DB_OPTION
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="For a user principal name: show at most this many of the newest failures per tenant.",
)
@TENANT_OPTION
def explain(key: str, db_path: Path | None, limit: int, tenant: str | None) -> None:
    """Explain one sign-in (by id, correlation id or request id): what happened, each cause with its evidence,
    the fix; or a user's recent failed sign-ins (by user principal name, any case).

    For a sign-in, also prints the ids to quote to Microsoft support (request id, correlation id, timestamp).
    For a user: a header line (tenants, failures, 500121 failures, first and last failure, findings), then
    the newest failures first, per tenant, each with its cause, fix and ids to quote; a line says when
    --limit left older failures out. Exits 6 when nothing in the store matches KEY.
    """
    from signins.analysis.explain import explain as explain_text
    from signins.store.database import connect
    from signins.store.tenants import scope_to_tenant

    settings = settings_for(db_path)
    with reading(settings), connect(settings.db_path, read_only=True) as con:
        scope_to_tenant(con, tenant)
        click.echo(explain_text(con, key, limit=limit))


@click.command()
@DB_OPTION
@click.option(
    "--truth",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=Path("data/sample/ground_truth.csv"),
    show_default=True,
    help="CSV with columns id and cause, and verdict for the verdicts' matrix (the simulator's ground truth).",
)
def evaluate(db_path: Path | None, truth: Path) -> None:
    """Per-cause precision and recall of the primary cause against a ground truth, and the verdicts'
    confusion matrix."""
    from signins.analysis.evaluation import matrix_lines, score, table_lines
    from signins.store.database import connect

    settings = settings_for(db_path)
    with reading(settings), connect(settings.db_path, read_only=True) as con:
        scores, matrix = score(con, truth)
    for line in [*table_lines(scores), *matrix_lines(matrix)]:
        click.echo(line)
