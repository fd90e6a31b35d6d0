"""What the commands share: the --db and --tenant options, the settings --db selects, the writer's lock,
exit codes."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import click

from signins.settings import Settings

EXIT_UNREADABLE = 4
EXIT_QUARANTINED = 5

DB_OPTION = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="DuckDB database file (default: $SIGNINS_DB, else data/signins.duckdb).",
)


TENANT_OPTION = click.option(
    "--tenant",
    default=None,
    metavar="ID",
    help="Only this tenant's data (a store can hold several); exits 2 when the store has no sign-in of it.",
)


def settings_for(db_path: Path | None) -> Settings:
    """The settings, with --db in place of $SIGNINS_DB when given."""
    return Settings(db_path=db_path) if db_path is not None else Settings()


def _waiting(settings: Settings):
    def say(holder: str) -> None:
        whom = f"process {holder}, which is writing to" if holder != "unknown" else "the processes reading"
        click.echo(
            f"waiting up to {settings.run_wait_seconds:g} s for {whom} {settings.db_path} ($SIGNINS_RUN_WAIT_SECONDS)",
            err=True,
        )

    return say


@contextmanager
def writing(settings: Settings, create: bool = True):
    """Hold the store's run lock while a command writes, saying whom it waits for and which runs that
    had died while landing were undone first. Without `create`, a missing store is an error (exit 3)."""
    from signins.runs.landing import writing as hold_lock

    with hold_lock(settings.db_path, settings.run_wait_seconds, _waiting(settings), create) as undone:
        for name in undone:
            click.echo(f"undid run {name}: it had died while landing its files", err=True)
        yield


@contextmanager
def reading(settings: Settings):
    """Hold the store's run lock shared while a command reads it: writers wait for the reading, and it
    waits for them (exit 10 after $SIGNINS_RUN_WAIT_SECONDS). A missing store is an error (exit 3)."""
    from signins.runs.landing import reading as hold_lock

    with hold_lock(settings.db_path, settings.run_wait_seconds, _waiting(settings)):
        yield
