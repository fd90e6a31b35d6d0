"""Backfill: pull a date range from Microsoft Graph in day-sized chunks, each landed, gated and merged
on its own (and retried on its own), then tag and report once.

Several days or tenants are pulled at once on Dask first ($SIGNINS_DASK_SCHEDULER), each (tenant, day)
into a partition store of its own; the days are then landed from their partitions, gated and merged in
day order, which gives the store pulling them one after another gives.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from prefect import flow

from flows.nightly import (
    REPORT_DIR,
    Chunk,
    Partitions,
    discard_partitions,
    fans_out,
    partition_path,
    pull_graph,
    pull_partitions,
    tenant_names,
)
from flows.steps import Landed, RunRecord, exclusive_run, finish, land_gated
from signins.ingest.staging import MergeOutcome, staging_path
from signins.runs.gates import GateReport
from signins.settings import Settings


def day_chunks(since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """[since, until) cut at UTC midnights."""
    chunks, start = [], since
    while start < until:
        end = min(datetime.combine(start.date() + timedelta(days=1), datetime.min.time(), UTC), until)
        chunks.append((start, end))
        start = end
    return chunks


def day_run_name(record_name: str, since: datetime) -> str:
    return f"{record_name}-{since:%Y%m%d}"


@flow(name="backfill-day", retries=1, retry_delay_seconds=60)
def backfill_day(
    db_path: str, since: datetime, until: datetime, record_name: str, pulled: Partitions | None = None
) -> tuple:
    """One chunk: pull it (or merge its partitions, when `pulled` on Dask already) into a staging store,
    gate it, merge it (a retry does it again, idempotently)."""
    db = Path(db_path)
    record = RunRecord.new(db, day_run_name(record_name, since))
    if pulled is None:
        land = partial(pull_graph, since=since, until=until)
    else:
        record.started = pulled.started  # so the gate reads the window from the watermarks its pulls moved
        land = partial(pulled.land, chunks=[chunk for chunk in pulled.paths if chunk.since == since])
    return land_gated(db, land, record, Settings(db_path=db), graph_window=True)


def day_partitions(db: Path, record_name: str, days: list[tuple[datetime, datetime]]) -> dict[Chunk, Path]:
    """Where each (tenant, day) is pulled when the chunks fan out on Dask (beside the day's staging store);
    none when they are pulled one after another."""
    chunks = [Chunk(name, start, end) for start, end in days for name in tenant_names()]
    if not fans_out(db, chunks):
        return {}
    return {
        chunk: partition_path(staging_path(db, day_run_name(record_name, chunk.since)), chunk.tenant)
        for chunk in chunks
    }


@flow(name="backfill")
def backfill(
    since: datetime, until: datetime, db_path: str | None = None, preset: str | None = None, out: str | None = None
) -> dict:
    """Pull [since, until) from Graph day by day into the store, then tag and report; the run's totals."""
    settings = Settings(db_path=Path(db_path)) if db_path else Settings()
    db = settings.db_path
    days = day_chunks(since.astimezone(UTC), until.astimezone(UTC))
    landed, report, merged = Landed([]), GateReport(), MergeOutcome(0, 0)
    with exclusive_run(db, settings) as record:
        paths = day_partitions(db, record.name, days)
        try:
            pulled = pull_partitions(db, paths) if paths else None
            for start, end in days:
                day_landed, day_report, day_merged = backfill_day(str(db), start, end, record.name, pulled)
                landed.sources += day_landed.sources
                landed.tenants += day_landed.tenants
                report.rows += day_report.rows
                report.quarantined += day_report.quarantined
                report.results += day_report.results
                merged = MergeOutcome(
                    merged.new_signins + day_merged.new_signins, merged.updated_signins + day_merged.updated_signins
                )
        finally:  # merged days are in the store; a failed day's staging store is kept
            discard_partitions(paths)
        return finish(
            db,
            landed,
            report,
            merged,
            record,
            preset=preset,
            privileged=None,
            out=Path(out) if out else REPORT_DIR,
            settings=settings,
        )
