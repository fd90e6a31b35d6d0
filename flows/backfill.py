"""Backfill: pull a date range from Microsoft Graph in day-sized chunks, each landed, gated and merged
on its own (and retried on its own), then tag and report once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from prefect import flow

from flows.nightly import REPORT_DIR, pull_graph
from flows.steps import Landed, RunRecord, exclusive_run, finish, land_gated
from signins.settings import Settings
from signins.staging import MergeOutcome
from signins.validation import GateReport


def day_chunks(since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """[since, until) cut at UTC midnights."""
    chunks, start = [], since
    while start < until:
        end = min(datetime.combine(start.date() + timedelta(days=1), datetime.min.time(), timezone.utc), until)
        chunks.append((start, end))
        start = end
    return chunks


@flow(name="backfill-day", retries=1, retry_delay_seconds=60)
def backfill_day(db_path: str, since: datetime, until: datetime, record_name: str) -> tuple:
    """One chunk: pull it into a staging store, gate it, merge it (a retry does it again, idempotently)."""
    db = Path(db_path)
    record = RunRecord.new(db, f"{record_name}-{since:%Y%m%d}")
    return land_gated(db, lambda staging: pull_graph(staging, since, until), record, Settings(db_path=db),
                      graph_window=True)


@flow(name="backfill")
def backfill(since: datetime, until: datetime, db_path: str | None = None, preset: str | None = None,
             out: str | None = None) -> dict:
    """Pull [since, until) from Graph day by day into the store, then tag and report; the run's totals."""
    settings = Settings(db_path=Path(db_path)) if db_path else Settings()
    db = settings.db_path
    landed, report, merged = Landed([]), GateReport(), MergeOutcome(0, 0)
    with exclusive_run(db, settings) as record:
        for start, end in day_chunks(since.astimezone(timezone.utc), until.astimezone(timezone.utc)):
            day_landed, day_report, day_merged = backfill_day(str(db), start, end, record.name)
            landed.rows += day_landed.rows
            landed.tenants += day_landed.tenants
            report.rows += day_report.rows
            report.quarantined += day_report.quarantined
            report.results += day_report.results
            merged = MergeOutcome(merged.new_signins + day_merged.new_signins,
                                  merged.updated_signins + day_merged.updated_signins)
        return finish(db, landed, report, merged, record, preset=preset, privileged=[],
                      out=Path(out) if out else REPORT_DIR, settings=settings)
