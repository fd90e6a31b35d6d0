"""The incremental, resumable pull: one tenant, each event type, slice by slice, page by page.

For each (tenant, event type) the window to read runs from the watermark minus the overlap (or
`--since`, or the retention window on the first run) to `--until` (default now). It is cut into
slices (SIGNINS_PULL_SLICE_HOURS, oldest first) because Graph returns each query newest first:
only when every page of a slice is in the store does `committed_until` move to the slice's end.

Every page's raw bytes are written atomically to `<db>.pulls/<tenant>/<event type>/` and loaded with
`signins.load.ingest_file` (blob store, raw layer, dedup, quarantine), then logged in `pull_pages`.
A run that stops early (crash, kill, throttling, server error) leaves `committed_until` at the last
whole slice; the next run resumes there on the same slice grid and re-reads at most one slice,
which the idempotent load absorbs: nothing lost, nothing doubled.
"""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import duckdb
import orjson

from signins import blobs
from signins.graph.client import SigninsClient
from signins.graph.errors import GraphSettingsError, GraphUnavailableError
from signins.graph.settings import GraphSettings
from signins.ingest.timestamps import parse_utc
from signins.load import FileOutcome, ingest_file
from signins.settings import IngestLimits

log = logging.getLogger("signins.graph")
MAX_PAGES_PER_SLICE = 100_000  # a nextLink loop stops here


@dataclass
class EventTypeOutcome:
    event_type: str
    window_start: datetime
    window_end: datetime
    resumed: bool = False
    pages: int = 0
    records: int = 0
    new_signins: int = 0
    quarantined: int = 0

    def summary(self) -> str:
        how = "resumed " if self.resumed else ""
        return (f"{self.event_type}: {how}{iso(self.window_start)} .. {iso(self.window_end)}: {self.pages} page(s), "
                f"{self.records} records, {self.new_signins} new, {self.quarantined} quarantined")


@dataclass
class PullOutcome:
    tenant: str
    event_types: list[EventTypeOutcome] = field(default_factory=list)

    def _total(self, name: str) -> int:
        return sum(getattr(e, name) for e in self.event_types)

    new_signins = property(lambda self: self._total("new_signins"))
    records = property(lambda self: self._total("records"))
    quarantined = property(lambda self: self._total("quarantined"))
    pages = property(lambda self: self._total("pages"))


def iso(moment: datetime) -> str:
    """`2025-01-01T00:00:00Z`: the form Graph's $filter takes."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_when(text: str, option: str) -> datetime:
    """An ISO date or date-time (UTC unless it says otherwise), for --since / --until."""
    moment = parse_utc(text.strip())
    if moment is None:
        raise GraphSettingsError(f"{option} {text!r}: expected an ISO date or date-time, e.g. 2025-01-31T00:00:00Z")
    return moment.replace(microsecond=0)


def odata_filter(start: datetime, end: datetime, event_type: str) -> str:
    return (f"createdDateTime ge {iso(start)} and createdDateTime le {iso(end)} "
            f"and signInEventTypes/any(t: t eq '{event_type}')")


def pulls_root(db_path: Path) -> Path:
    """Where pulled pages are written before loading: `<db file>.pulls/`."""
    return db_path.with_name(db_path.name + ".pulls")


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "default"


def write_atomically(folder: Path, name: str, body: bytes) -> Path:
    """Write `body` to folder/name via a temporary file and a rename: never a half-written page."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        target = folder / name
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _state(con: duckdb.DuckDBPyConnection, tenant: str, event_type: str):
    rows = con.execute(
        "SELECT window_start, window_end, committed_until, max_created_at FROM pull_watermarks "
        "WHERE tenant_id = ? AND event_type = ?", [tenant, event_type]).fetchall()
    return rows[0] if rows else None


def plan_window(state, since: datetime | None, until: datetime | None, now: datetime,
                settings: GraphSettings) -> tuple[datetime, datetime, bool]:
    """(start, end, resumed) of the window to read for one event type."""
    if since is None and until is None and state is not None:
        window_start, window_end, committed_until, max_created = state
        if committed_until < window_end:  # the last run stopped early: finish its window first
            return committed_until, window_end, True
    end = until or now
    if since is not None:
        start = since
    elif state is not None:
        _, _, committed_until, max_created = state
        start = min(committed_until, max_created or committed_until) - timedelta(hours=settings.overlap_hours)
    else:
        start = end - timedelta(days=settings.retention_days)
    if start >= end:
        raise GraphSettingsError(f"--since {iso(start)} is not before --until {iso(end)}")
    return start.replace(microsecond=0), end.replace(microsecond=0), False


def slices(start: datetime, end: datetime, hours: float) -> list[tuple[datetime, datetime]]:
    step = timedelta(hours=hours)
    cuts, at = [], start
    while at < end:
        cuts.append((at, min(at + step, end)))
        at += step
    return cuts


def _page(body: bytes, where: str) -> tuple[list, str | None, datetime | None, datetime | None]:
    """(records, next link, oldest, newest createdDateTime) of a page; a broken page is resumable."""
    try:
        page = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise GraphUnavailableError(f"{where}: Graph sent a truncated or malformed page ({len(body)} bytes); "
                                    "rerun `signins pull` to resume") from None
    if not isinstance(page, dict) or not isinstance(page.get("value"), list):
        raise GraphUnavailableError(f"{where}: Graph sent a page without a `value` list; rerun `signins pull` to resume")
    times = [t for t in (parse_utc(r.get("createdDateTime")) for r in page["value"] if isinstance(r, dict)) if t]
    link = page.get("@odata.nextLink")
    return page["value"], link if isinstance(link, str) and link else None, min(times, default=None), max(times, default=None)


async def pull_tenant(con: duckdb.DuckDBPyConnection, db_path: Path, settings: GraphSettings,
                      since: datetime | None = None, until: datetime | None = None, tenant: str | None = None,
                      on_line: Callable[[str], None] | None = None, now: datetime | None = None) -> PullOutcome:
    """Pull every configured event type of one tenant into the store; raises a one-line Graph error."""
    say = on_line or (lambda line: None)
    tenant_key = settings.tenant_key(tenant)
    tenant_id = tenant or settings.tenant_id
    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    run_id = uuid.uuid4().hex[:12]
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    outcome = PullOutcome(tenant_key)
    client = SigninsClient(settings, tenant_id)
    try:
        for event_type in settings.event_types:
            start, end, resumed = plan_window(_state(con, tenant_key, event_type), since, until, now, settings)
            result = EventTypeOutcome(event_type, start, end, resumed)
            outcome.event_types.append(result)
            if not resumed:
                _save_state(con, tenant_key, event_type, start, end, start, None, keep_max=True)
            folder = pulls_root(db_path) / _safe(tenant_key) / _safe(event_type)
            for slice_start, slice_end in slices(start, end, settings.slice_hours):
                newest = await _pull_slice(con, client, db_path, folder, settings, tenant_key, tenant_id, event_type,
                                           slice_start, slice_end, run_id, stamp, result)
                _save_state(con, tenant_key, event_type, None, None, slice_end, newest, keep_max=True)
            say(result.summary())
    finally:
        await client.close()
    return outcome


async def _pull_slice(con, client: SigninsClient, db_path: Path, folder: Path, settings: GraphSettings,
                      tenant_key: str, tenant_id: str | None, event_type: str, slice_start: datetime,
                      slice_end: datetime, run_id: str, stamp: str, result: EventTypeOutcome) -> datetime | None:
    """Every page of one slice, each landed before the next is fetched; returns the newest createdDateTime."""
    newest: datetime | None = None
    where = f"{tenant_key}/{event_type} {iso(slice_start)}..{iso(slice_end)}"
    body = await client.first_page(odata_filter(slice_start, slice_end, event_type))
    seen_links: set[str] = set()
    for number in range(1, MAX_PAGES_PER_SLICE + 1):
        records, link, oldest, page_newest = _page(body, f"{where} page {number}")
        name = f"{stamp}-{slice_start.strftime('%Y%m%dT%H%M%S')}-p{number:05d}.json"
        path = write_atomically(folder, name, body)
        landed: FileOutcome = ingest_file(con, path, blobs.blob_root(db_path), IngestLimits(), tenant_id)
        con.execute(
            "INSERT INTO pull_pages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
            [tenant_key, event_type, run_id, slice_start, slice_end, number, landed.sha256, str(path),
             landed.records, landed.new_signins, landed.quarantined, oldest, page_newest])
        path.unlink(missing_ok=True)  # the exact bytes stay in the blob store
        result.pages += 1
        result.records += landed.records
        result.new_signins += landed.new_signins
        result.quarantined += landed.quarantined
        if page_newest and (newest is None or page_newest > newest):
            newest = page_newest
        log.info("%s page %d: %d records, %d new", where, number, landed.records, landed.new_signins)
        if not link:
            return newest
        if link in seen_links:
            raise GraphUnavailableError(f"{where}: Graph returned the same @odata.nextLink twice (a paging loop); "
                                        "rerun `signins pull` to retry")
        seen_links.add(link)
        body = await client.next_page(link)
    raise GraphUnavailableError(f"{where}: more than {MAX_PAGES_PER_SLICE} pages; lower SIGNINS_PULL_SLICE_HOURS")


def _save_state(con, tenant: str, event_type: str, window_start: datetime | None, window_end: datetime | None,
                committed_until: datetime, newest: datetime | None, keep_max: bool) -> None:
    """Upsert the watermark row; a new window resets the window and committed_until, keeps max_created_at."""
    if window_start is not None:
        con.execute(
            "INSERT INTO pull_watermarks VALUES (?, ?, ?, ?, ?, NULL, now()) "
            "ON CONFLICT (tenant_id, event_type) DO UPDATE SET window_start = excluded.window_start, "
            "window_end = excluded.window_end, committed_until = excluded.committed_until, updated_at = now()",
            [tenant, event_type, window_start, window_end, committed_until])
        return
    con.execute(
        "UPDATE pull_watermarks SET committed_until = ?, "
        "max_created_at = CASE WHEN max_created_at IS NULL OR ? > max_created_at THEN ? ELSE max_created_at END, "
        "updated_at = now() WHERE tenant_id = ? AND event_type = ?",
        [committed_until, newest, newest, tenant, event_type])
