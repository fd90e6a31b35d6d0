"""The `signins` command: its commands, its exit codes, and errors as one line instead of a traceback."""

from __future__ import annotations

import atexit
import gc
import sys

import click

from cli import analysis, loading, outputs, running, sample
from signins import __version__
from signins.errors import SigninsError
from signins.settings import switch_off_analytics
from signins.text import printable


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="signins", message="%(prog)s %(version)s")
def cli() -> None:
    """Turn Microsoft Entra ID sign-in logs into answers about MFA failures (error 500121).

    \b
    Exit codes: 0 success; 2 usage error; 3 database error; 4 input missing or unreadable;
    5 some records were quarantined (see the quarantine table); 6 no such sign-in (explain);
    7 Graph refused access (credentials, tenant, permission, licence; pull);
    8 Graph unavailable or throttled past the retries (pull; rerun to resume);
    9 a run's data failed a validation gate (run, backfill; the store is as it was);
    10 another command is writing to the database (every command that uses the store waits first).
    """


for command in (
    loading.ingest,
    loading.pull,
    running.run,
    running.backfill,
    running.serve,
    sample.simulate,
    analysis.tag,
    analysis.explain,
    analysis.evaluate,
    outputs.export,
    outputs.export_parquet,
    outputs.report,
):
    cli.add_command(command)

EXIT_USAGE = 2
EXIT_DATABASE = 3


def main() -> None:
    """Entry point: errors from bad input or the database print one line, never a traceback."""
    switch_off_analytics()
    # Registered first, so run last at exit: without it, Python's final garbage collections walk every
    # object of the libraries a run imports (Great Expectations, Prefect, pandas), which slows every exit.
    atexit.register(gc.freeze)
    try:
        cli(standalone_mode=True)
    except SigninsError as exc:
        _fail(str(exc), exc.exit_code)
    except Exception as exc:
        if _rule_error(exc):
            _fail(str(exc), EXIT_USAGE)
        if not _database_error(exc):
            raise
        # A damaged file (truncated, corrupt blocks) opens, then fails on the first read that reaches the damage.
        _fail(f"the database cannot be read or written: {str(exc).splitlines()[0]}", EXIT_DATABASE)


def _fail(message: str, exit_code: int) -> None:
    """Say what went wrong on stderr, each line of it with its control characters shown as escapes
    (a message may quote a file name or a value from the logs), and exit."""
    click.echo("error: " + "\n".join(printable(line) for line in message.split("\n")), err=True)
    sys.exit(exit_code)


def _rule_error(exc: Exception) -> bool:
    """Invalid rule files (only possible once a command has loaded the rules)."""
    rules = sys.modules.get("transforms.rules")
    return rules is not None and isinstance(exc, rules.RuleFileError)


def _database_error(exc: Exception) -> bool:
    """An error of DuckDB itself (only possible once a command has imported it)."""
    duckdb = sys.modules.get("duckdb")
    return duckdb is not None and isinstance(exc, duckdb.Error)


if __name__ == "__main__":
    main()
