"""Settings read from SIGNINS_* environment variables (and a git-ignored .env file)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from signins import PROJECT_ROOT

DEFAULT_DB = PROJECT_ROOT / "data" / "signins.duckdb"
# Prefect and Great Expectations send usage analytics unless told not to; this project never does.
ANALYTICS_OFF = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "GX_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}


def switch_off_analytics() -> None:
    """Tell Prefect and Great Expectations (and what they start) not to phone home, unless the
    environment already says otherwise. Entry points call it before they import either."""
    for name, value in ANALYTICS_OFF.items():
        os.environ.setdefault(name, value)


def _load_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a .env file; comments and blank lines ignored; the environment wins."""
    if not path.is_file():
        return {}
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip().strip('"').strip("'")
    return values


def env(name: str, default: str | None = None) -> str | None:
    """A SIGNINS_* setting from the environment, else from ./.env, else the default."""
    if name in os.environ:
        return os.environ[name]
    return _load_dotenv(Path.cwd() / ".env").get(name, default)


@dataclass(frozen=True)
class IngestLimits:
    """Bounds that keep hostile input from exhausting memory or time."""

    max_record_bytes: int = 32 * 1024 * 1024  # one JSON record / CSV row
    max_document_bytes: int = 256 * 1024 * 1024  # larger JSON documents are streamed element by element
    max_gzip_ratio: int = 200  # decompressed / compressed bytes (zip bombs)
    # Records per transaction, or this much JSON text: bounds memory per batch (two batches are in
    # memory at once). Each batch also has a fixed cost (statements planned, a commit), so smaller
    # batches ingest more slowly; benchmarks/README.md has the peak memory this gives.
    batch_records: int = 40_000
    batch_bytes: int = 192 * 1024 * 1024
    # Plain Graph records go to DuckDB as text (Candidate): JSON lines after a plain first line, and the
    # elements of a cleanly parsed Graph page after a plain first element.
    database_reads_graph_lines: bool = True


@dataclass(frozen=True)
class Settings:
    db_path: Path = field(default_factory=lambda: Path(env("SIGNINS_DB") or DEFAULT_DB))
    # DuckDB's memory budget (beyond it, joins and sorts spill to the temp directory): every
    # connection of the project applies them (signins.store.database.connect).
    duckdb_memory_limit: str | None = field(default_factory=lambda: env("SIGNINS_DUCKDB_MEMORY_LIMIT"))
    duckdb_temp_directory: str | None = field(default_factory=lambda: env("SIGNINS_DUCKDB_TEMP_DIRECTORY"))
    limits: IngestLimits = field(default_factory=IngestLimits)
    # The nightly run: the validation gate's threshold, how long a run waits for another one
    # on the same database, where alerts go (an apprise URL; a secret: webhook URLs carry tokens),
    # and when the deployment runs.
    gate_max_failed_percent: float = field(default_factory=lambda: float(env("SIGNINS_GATE_MAX_FAILED_PERCENT") or 5))
    run_wait_seconds: float = field(default_factory=lambda: float(env("SIGNINS_RUN_WAIT_SECONDS") or 600))
    notify_url: str | None = field(default_factory=lambda: env("SIGNINS_NOTIFY_URL"), repr=False)
    nightly_cron: str = field(default_factory=lambda: env("SIGNINS_NIGHTLY_CRON") or "30 2 * * *")
    # Where several tenants' pulls run at once: `local` (a Dask cluster on this machine), a
    # scheduler address (tcp://host:8786), or `off` (one after another in this process).
    dask_scheduler: str = field(default_factory=lambda: env("SIGNINS_DASK_SCHEDULER") or "local")
