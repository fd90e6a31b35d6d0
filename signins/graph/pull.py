"""The incremental, resumable pull: one tenant, each event type, slice by slice, page by page.

For each (tenant, event type) the window to read runs from the watermark minus the overlap (or
`--since`, or the retention window on the first run) to `--until` (default now). It is read in
slices, oldest first, because Graph returns each query newest first: only when every page of a slice is
in the store does `committed_until` move to the slice's end. The first slice is SIGNINS_PULL_SLICE_HOURS
long; the next ones are sized by what Graph returned (`signins.graph.slicing`), so an empty month costs
a few requests and a busy day is still read in bounded slices.

Every page's raw bytes are written atomically to `<db>.pulls/<tenant>/<event type>/` and loaded with
`signins.ingest.load.ingest_file` (blob store, raw layer, dedup, quarantine), then logged in `pull_pages`.
A run that stops early (crash, kill, throttling, server error) leaves `committed_until` at the last
whole slice; the next run resumes with the slice it was reading (its bounds are in `pull_pages`) and
re-reads at most that slice, which the idempotent load absorbs: nothing lost, nothing doubled.

Inside that slice the run continues from the `@odata.nextLink` of the last page it landed (kept in
`pull_pages`), so a big tenant does not pay for the slice's first pages twice; when Graph no longer
accepts that link (skip tokens are not documented to live forever) the slice is read again from
page 1, which is still correct for the reason above.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from signins.graph import privileged, slicing
from signins.graph.client import SigninsClient
from signins.graph.errors import GraphAccessError, GraphSettingsError, GraphUnavailableError
from signins.graph.pages import Page, parse_page, write_atomically
from signins.graph.settings import GraphSettings
from signins.ingest import blobs
from signins.ingest.load import FileOutcome, ingest_file
from signins.ingest.timestamps import parse_utc
from signins.settings import IngestLimits
from signins.store.database import sql_text

log = logging.getLogger("signins.graph")
MAX_PAGES_PER_SLICE = 100_000  # a nextLink loop stops here


@dataclass
class EventTypeOutcome:
    event_type: str
    window_start: datetime
    window_end: datetime
    resumed: bool = False
    slices: int = 0
    pages: int = 0
    requests: int = 0  # for sign-in pages, landed or not (the first page of a slice read shorter instead)
    records: int = 0
    new_signins: int = 0
    quarantined: int = 0
    ca_applied: int = 0
    ca_listed: int = 0

    def summary(self) -> str:
        how = "resumed " if self.resumed else ""
        return (
            f"{self.event_type}: {how}{iso(self.window_start)} .. {iso(self.window_end)}: {self.pages} page(s) "
            f"in {self.slices} slice(s), "
            f"{self.records} records, {self.new_signins} new, {self.quarantined} quarantined"
        )

    def add(self, page: Page, landed: FileOutcome) -> None:
        self.pages += 1
        self.records += landed.records
        self.new_signins += landed.new_signins
        self.quarantined += landed.quarantined
        self.ca_applied += page.ca_applied
        self.ca_listed += page.ca_listed


@dataclass
class PullOutcome:
    tenant: str
    event_types: list[EventTypeOutcome] = field(default_factory=list)
    privileged: int | None = None  # privileged accounts listed by the directory roles (None: not pulled)
    privileged_warning: str | None = None

    def _total(self, name: str) -> int:
        return sum(getattr(e, name) for e in self.event_types)

    new_signins = property(lambda self: self._total("new_signins"))
    records = property(lambda self: self._total("records"))
    quarantined = property(lambda self: self._total("quarantined"))
    pages = property(lambda self: self._total("pages"))

    @property
    def warnings(self) -> list[str]:
        """One-line warnings about this pull: directory roles Graph did not list, Conditional Access policies
        it withheld."""
        # Graph returns appliedConditionalAccessPolicies "only for callers with privileges to read
        # conditional access data" (learn.microsoft.com/graph/api/resources/appliedconditionalaccesspolicy);
        # without them the property comes back null or empty (microsoftgraph/microsoft-graph-docs-contrib
        # issue #8761), while
        # conditionalAccessStatus still says success/failure. All three shapes count as empty here.
        applied, listed = self._total("ca_applied"), self._total("ca_listed")
        found = [self.privileged_warning] if self.privileged_warning else []
        if applied and not listed:
            found.append(
                f"tenant {self.tenant}: none of the {applied} sign-in(s) where Conditional Access applied lists "
                "its policies; grant the app Policy.Read.All (or Policy.Read.ConditionalAccess), else the "
                "per-policy analysis has no data"
            )
        return found


def iso(moment: datetime) -> str:
    """`2025-01-01T00:00:00Z`: the form Graph's $filter takes."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_when(text: str, option: str) -> datetime:
    """An ISO date or date-time (UTC unless it says otherwise), for --since / --until."""
    moment = parse_utc(text.strip())
    if moment is None:
        raise GraphSettingsError(f"{option} {text!r}: expected an ISO date or date-time, e.g. 2025-01-31T00:00:00Z")
    return moment.replace(microsecond=0)


def odata_filter(start: datetime, end: datetime, event_type: str) -> str:
    return (
        f"createdDateTime ge {iso(start)} and createdDateTime le {iso(end)} "
        f"and signInEventTypes/any(t: t eq '{event_type}')"
    )


def pulls_root(db_path: Path) -> Path:
    """Where pulled pages are written before loading: `<db file>.pulls/`."""
    return db_path.with_name(db_path.name + ".pulls")


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "default"


def _state(con: duckdb.DuckDBPyConnection, tenant: str, event_type: str):
    rows = con.execute(sql_text("pull/10_state.sql"), {"tenant": tenant, "event_type": event_type}).fetchall()
    return rows[0] if rows else None


def plan_window(
    state, since: datetime | None, until: datetime | None, now: datetime, settings: GraphSettings
) -> tuple[datetime, datetime, bool]:
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


@dataclass(frozen=True)
class ResumePoint:
    """Where the slice a run was reading when it stopped continues."""

    slice_end: datetime
    page: int  # the last page landed
    next_link: str | None  # that page's nextLink (None: it was the slice's last page)
    newest: datetime | None  # the newest sign-in of the slice's landed pages


@dataclass(frozen=True)
class SliceRead:
    newest: datetime | None  # the newest sign-in landed
    pages: int
    shorter_hours: float | None = None  # not read: far bigger than a slice should be; read this long instead


async def pull_tenant(
    con: duckdb.DuckDBPyConnection,
    db_path: Path,
    settings: GraphSettings,
    since: datetime | None = None,
    until: datetime | None = None,
    tenant: str | None = None,
    on_line: Callable[[str], None] | None = None,
    now: datetime | None = None,
) -> PullOutcome:
    """Pull every configured event type of one tenant into the store; raises a one-line Graph error."""
    say = on_line or (lambda line: None)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    outcome = PullOutcome(settings.tenant_key(tenant))
    client = SigninsClient(settings, tenant or settings.tenant_id)
    run_id, stamp = uuid.uuid4().hex[:12], now.strftime("%Y%m%dT%H%M%SZ")
    try:
        for event_type in settings.event_types:
            job = _Job(con, client, db_path, outcome.tenant, tenant or settings.tenant_id, event_type, run_id, stamp)
            outcome.event_types.append(await _pull_event_type(job, since, until, now))
            say(outcome.event_types[-1].summary())
        outcome.privileged, outcome.privileged_warning = await privileged.refresh(
            con, client, tenant or settings.tenant_id
        )
        if outcome.privileged is not None:
            say(f"privileged accounts: {outcome.privileged} in the directory roles")
    finally:
        await client.close()
    for warning in outcome.warnings:
        log.warning(warning)
    return outcome


@dataclass
class _Job:
    """What every page of one tenant's event type shares."""

    con: duckdb.DuckDBPyConnection
    client: SigninsClient
    db_path: Path
    tenant_key: str
    tenant_id: str | None
    event_type: str
    run_id: str
    stamp: str

    @property
    def folder(self) -> Path:
        return pulls_root(self.db_path) / _safe(self.tenant_key) / _safe(self.event_type)

    def params(self, **more) -> dict:
        return {"tenant": self.tenant_key, "event_type": self.event_type, **more}


async def _pull_event_type(
    job: _Job, since: datetime | None, until: datetime | None, now: datetime
) -> EventTypeOutcome:
    """Read one event type's window slice by slice; committed_until follows each whole slice."""
    settings = job.client.settings
    start, end, resumed = plan_window(_state(job.con, job.tenant_key, job.event_type), since, until, now, settings)
    result = EventTypeOutcome(job.event_type, start, end, resumed)
    if not resumed:
        job.con.execute(sql_text("pull/20_start_window.sql"), job.params(window_start=start, window_end=end))
    _remove_leftovers(job.folder)
    at, hours = start, settings.slice_hours
    resume = _resume_point(job, start) if resumed else None
    while at < end:
        slice_end = resume.slice_end if resume else min(at + timedelta(seconds=round(hours * 3600)), end)
        read = await _pull_slice(job, at, slice_end, result, resume)
        resume = None
        if read.shorter_hours is not None:
            hours = read.shorter_hours
            continue
        job.con.execute(sql_text("pull/30_commit_slice.sql"), job.params(committed_until=slice_end, newest=read.newest))
        result.slices += 1
        hours = slicing.next_hours((slice_end - at) / timedelta(hours=1), read.pages, settings.slice_pages)
        at = slice_end
    return result


def _remove_leftovers(folder: Path) -> None:
    """Pages a killed run wrote but did not remove: the landed ones are in the blob store, the others are
    fetched again (the watermark never passed them). The database's lock keeps any other run out."""
    if folder.is_dir():
        for path in folder.iterdir():
            if path.is_file():
                path.unlink(missing_ok=True)


async def _pull_slice(
    job: _Job, slice_start: datetime, slice_end: datetime, result: EventTypeOutcome, resume: ResumePoint | None
) -> SliceRead:
    """Every page of one slice, landed in order; or, when its first page shows the slice is far bigger than a
    slice should be, nothing landed and the length to read instead.

    The next page is fetched while the current one lands (in a thread): Graph's latency and the load's
    CPU overlap, and there is still one request at a time. A page fetched ahead of a failed landing is
    dropped; the next run resumes after the last page landed."""
    where = f"{job.tenant_key}/{job.event_type} {iso(slice_start)}..{iso(slice_end)}"
    number, link, newest = (resume.page, resume.next_link, resume.newest) if resume else (0, None, None)
    if number and not link:
        return SliceRead(newest, number)  # every page was landed; only the watermark was not moved
    body, landed = await _first_body(job, slice_start, slice_end, link, number, where)
    result.requests += 1
    seen_links: set[str] = set()
    for number in range(landed + 1, landed + MAX_PAGES_PER_SLICE + 1):
        page = parse_page(body, f"{where} page {number}")
        if number == 1 and page.next_link and page.oldest is not None:
            hours = (slice_end - slice_start) / timedelta(hours=1)
            covered = (slice_end - page.oldest) / timedelta(hours=1)
            shorter = slicing.split_hours(hours, covered, job.client.settings.slice_pages)
            if shorter is not None:
                # Dropped, not landed: the shorter slices read these sign-ins again, and no page of this
                # slice in pull_pages means a crash now cannot resume into it.
                log.info("%s: the first page covers %.3f h; reading %.3f-hour slices", where, covered, shorter)
                return SliceRead(None, 0, shorter)
        looping = page.next_link in seen_links
        following = (
            asyncio.ensure_future(job.client.next_page(page.next_link)) if page.next_link and not looping else None
        )
        try:
            await asyncio.to_thread(_land, job, body, page, slice_start, slice_end, number, result)
        except BaseException:
            if following:
                following.cancel()
                await asyncio.gather(following, return_exceptions=True)
            raise
        newest = max(filter(None, (newest, page.newest)), default=None)
        if not page.next_link:
            return SliceRead(newest, number)
        if looping:
            raise GraphUnavailableError(
                f"{where}: Graph returned the same @odata.nextLink twice (a paging loop); rerun `signins pull` to retry"
            )
        seen_links.add(page.next_link)
        body = await following
        result.requests += 1
    raise GraphUnavailableError(f"{where}: more than {MAX_PAGES_PER_SLICE} pages in one slice")


def _resume_point(job: _Job, slice_start: datetime) -> ResumePoint | None:
    """The slice starting at `slice_start` that a stopped run was reading, if it landed any page of it."""
    rows = job.con.execute(sql_text("pull/50_resume_point.sql"), job.params(slice_start=slice_start)).fetchall()
    return ResumePoint(*rows[0]) if rows else None  # fetched to the end: the connection takes no other work before


async def _first_body(
    job: _Job, slice_start: datetime, slice_end: datetime, link: str | None, landed: int, where: str
) -> tuple[bytes, int]:
    """The slice's next page to land and the number of pages before it: after `link` when Graph still takes it."""
    if link and not job.client.on_graph_host(link):
        log.warning(
            "%s: the saved @odata.nextLink is not on %s; reading the slice again", where, job.client.settings.base_url
        )
    elif link:
        try:
            body = await job.client.next_page(link)
            log.info("%s: continuing after page %d", where, landed)
            return body, landed
        except GraphAccessError as exc:  # e.g. 400 for an expired $skiptoken; a real access error recurs below
            log.warning("%s: Graph refused the saved @odata.nextLink (%s); reading the slice again", where, exc)
    return await job.client.first_page(odata_filter(slice_start, slice_end, job.event_type)), 0


def _land(
    job: _Job,
    body: bytes,
    page: Page,
    slice_start: datetime,
    slice_end: datetime,
    number: int,
    result: EventTypeOutcome,
) -> None:
    """Write the page, load it into the store, record it in pull_pages, then drop the file (the blob stays)."""
    name = f"{job.stamp}-{slice_start.strftime('%Y%m%dT%H%M%S')}-p{number:05d}.json"
    path = write_atomically(job.folder, name, body)
    landed = ingest_file(job.con, path, blobs.blob_root(job.db_path), IngestLimits(), job.tenant_id)
    job.con.execute(
        sql_text("pull/40_record_page.sql"),
        job.params(
            run_id=job.run_id,
            slice_start=slice_start,
            slice_end=slice_end,
            page=number,
            file_sha256=landed.sha256,
            path=str(path),
            records=landed.records,
            new_signins=landed.new_signins,
            quarantined=landed.quarantined,
            min_created_at=page.oldest,
            max_created_at=page.newest,
            next_link=page.next_link,
        ),
    )
    path.unlink(missing_ok=True)
    result.add(page, landed)
    log.info(
        "%s/%s %s page %d: %d records, %d new",
        job.tenant_key,
        job.event_type,
        iso(slice_start),
        number,
        landed.records,
        landed.new_signins,
    )
