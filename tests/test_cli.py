"""The `signins` command: help everywhere, one-line errors, documented exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import FIXTURES, PUBLIC

SIGNINS = [sys.executable, "-m", "cli"]


def signins(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*SIGNINS, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def subcommands() -> list[str]:
    from cli.main import cli

    return sorted(cli.commands)


# The commands, their options and arguments: scripts call them, so a change here breaks somebody.
SURFACE = {
    "backfill": {"--db", "--out", "--since", "--until"},
    "evaluate": {"--db", "--truth"},
    "explain": {"--db", "--limit", "--tenant", "key"},
    "export": {"--db", "--format", "--out", "--tenant", "kind"},
    "export-parquet": {"--db", "--out", "--since", "--until"},
    "ingest": {"--db", "--tenant", "paths"},
    "pull": {"--db", "--since", "--tenant", "--tenants", "--until"},
    "report": {"--db", "--out", "--pseudonymize", "--since", "--tenant", "--until"},
    "run": {"--db", "--out", "--source"},
    "serve": {"--cron", "--db", "--source"},
    "simulate": {"--days", "--out", "--seed", "--users"},
    "tag": {"--db", "--full", "--preset", "--privileged", "--set", "--tenant"},
}


def test_the_commands_and_their_options_stay_as_scripts_know_them():
    from cli.main import cli

    surface = {
        name: {
            opt for param in command.params for opt in (param.opts if param.opts[0].startswith("-") else [param.name])
        }
        for name, command in cli.commands.items()
    }
    assert surface == SURFACE


def test_version_names_the_installed_release():
    from importlib.metadata import version

    result = signins("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"signins {version('signin-analytics')}"


@pytest.mark.parametrize("command", ["", *subcommands()])
def test_every_command_has_help(command: str):
    result = signins(*([command] if command else []), "--help")
    assert result.returncode == 0
    assert "Usage:" in result.stdout


def test_ingest_prints_a_line_per_file_and_exit_5_on_quarantine(tmp_path: Path):
    db = tmp_path / "s.duckdb"
    result = signins(
        "ingest",
        str(FIXTURES / "cross_format" / "azure_monitor.log"),
        str(PUBLIC / "elastic-integrations" / "test-invalid-time.log"),
        "--db",
        str(db),
    )
    assert result.returncode == 5, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("OK   ") and "1 new" in lines[0]
    assert lines[1].startswith("WARN ") and "1 quarantined" in lines[1] and "no sign-in id" in lines[1]
    again = signins("ingest", str(FIXTURES / "cross_format" / "azure_monitor.log"), "--db", str(db))
    assert again.returncode == 0 and again.stdout.startswith("SKIP ")


def test_a_missing_path_is_one_line_and_exit_4(tmp_path: Path):
    result = signins("ingest", str(tmp_path / "nope.json"), "--db", str(tmp_path / "s.duckdb"))
    assert result.returncode == 4
    assert result.stderr.strip() == f"error: {tmp_path / 'nope.json'}: no such file or folder"
    assert "Traceback" not in result.stderr


def test_a_broken_database_is_one_line_and_exit_3(tmp_path: Path):
    db = tmp_path / "s.duckdb"
    db.write_bytes(b"garbage" * 100)
    result = signins("ingest", str(FIXTURES / "cross_format" / "azure_monitor.log"), "--db", str(db))
    assert result.returncode == 3
    assert len(result.stderr.strip().splitlines()) == 1 and "cannot open the database" in result.stderr


def test_an_unwritable_blob_store_is_one_line_and_exit_3(tmp_path: Path):
    db = tmp_path / "s.duckdb"
    (tmp_path / "s.duckdb.blobs").write_text("a file where the blob folder should be")
    result = signins("ingest", str(FIXTURES / "cross_format" / "azure_monitor.log"), "--db", str(db))
    assert result.returncode == 3, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "cannot keep the raw file" in result.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT (SELECT count(*) FROM raw_records) + (SELECT count(*) FROM signins)").fetchall() == [
        (0,)
    ]
    con.close()
