"""Load input files into the store: the original bytes (blob), records in batches, then the ingest log.

Every batch is one transaction (raw records, sign-ins, child rows and quarantine together), and every
step is idempotent, so a run killed at any moment is completed by the next one: nothing lost, nothing
doubled. A file whose ingest finished is recognised by its content hash and skipped.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from signins.errors import IngestError, StoreError
from signins.ingest import blobs
from signins.ingest.batches import CHUNK_ROWS, Batch, Candidates, Prefetched, batches
from signins.ingest.reader import FileReading, read_file
from signins.ingest.records import Candidate, Found, Rejected
from signins.settings import IngestLimits
from signins.store.database import query, run_script
from signins.text import path_text, printable, shown_path

DATA_SUFFIXES = {".json", ".jsonl", ".ndjson", ".log", ".csv", ".gz", ".txt"}
# The child rows of a batch's accepted records (load/35_stage_children.sql), by the name the merge
# (load/45_replace.sql) reads them under.
CHILD_ROWS = {
    "stg_auth_steps": "batch_auth_steps",
    "stg_ca_sets": "batch_ca_sets",
    "stg_app_policy_evaluations": "batch_app_policy_evaluations",
    "stg_app_device_details": "batch_app_device_details",
}
NESTED_COLUMNS = ["auth_details", "app_policy_evaluations", "app_device"]
# Policy-list texts a staging connection remembers (load/37_forget_ca_lists.sql): ~5 KB each; a tenant's
# sign-ins spell a few hundred lists.
KNOWN_CA_LISTS = 10_000
# What the database raises when a strict parse refuses a batch's text: not JSON, or not UTF-8.
REFUSED_TEXT = (duckdb.InvalidInputException, duckdb.ConversionException)
# Where the merge looks for the stored versions of a batch's sign-ins (load/40_winners.sql): the batch's
# time span, widened in case a source rounds or shifts a sign-in's time; else the whole store.
SPAN_MARGIN = timedelta(days=1)
EARLIEST = datetime(1, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, tzinfo=UTC)


class UnreadableFile(IngestError):
    """A file that cannot be read at all (gone, no permission, an I/O error)."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{shown_path(path)}: {reason}")
        self.reason = reason


@dataclass
class FileOutcome:
    """What one file brought: the one-line summary the CLI prints, and the ingest log row."""

    path: Path
    sha256: str = ""
    format: str = ""
    encoding: str = ""
    records: int = 0
    new_signins: int = 0
    updated_signins: int = 0
    quarantined: int = 0
    already_ingested: bool = False
    unreadable: str = ""  # why the file could not be read at all (nothing of it was loaded)
    notes: list[str] = field(default_factory=list)
    reasons: Counter = field(default_factory=Counter)
    formats: Counter = field(default_factory=Counter)
    record_notes: Counter = field(default_factory=Counter)

    def tally(self, found: list[Found], rejected: list[Rejected]) -> None:
        """Count records written: found ones by format and note, rejected ones by reason."""
        self.records += len(found) + len(rejected)
        self.quarantined += len(rejected)
        self.formats.update(f.format for f in found)
        self.record_notes.update(note for f in found for note in f.notes)
        self.reasons.update(_reason_kind(r.reason) for r in rejected)

    def tally_candidates(self, candidates: Candidates, refused: list[Candidate]) -> None:
        """Count the candidates written, all but the refused ones (written after, as read by Python)."""
        self.records += len(candidates) - len(refused)
        self.formats.update(candidates.formats() - Counter(c.format for c in refused))

    @property
    def duplicates(self) -> int:
        """Records of sign-ins the store already had in an equal or more complete version."""
        return self.records - self.new_signins - self.updated_signins - self.quarantined

    def summary(self) -> str:
        if self.unreadable:
            return f"FAIL {shown_path(self.path)}: {printable(self.unreadable)}"
        if self.already_ingested:
            return f"SKIP {shown_path(self.path)}: already ingested (sha256 {self.sha256[:12]}), nothing added"
        status = "WARN" if self.quarantined else "OK  "
        line = (
            f"{status} {shown_path(self.path)}: {self.format or 'unknown'}, {self.records} records, "
            f"{self.new_signins} new, {self.updated_signins} updated, {self.duplicates} already known, "
            f"{self.quarantined} quarantined"
        )
        if self.reasons:
            reasons = "; ".join(f"{printable(reason)} x{count}" for reason, count in self.reasons.most_common(3))
            line += f" ({reasons})"
        if self.notes:
            line += " [" + "; ".join(printable(note) for note in self.notes) + "]"
        return line


def expand_paths(paths: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """(files to read, files skipped) for files and folders; folders are walked for data files."""
    files, skipped = [], []
    for path in paths:
        if not path.exists():
            raise IngestError(f"{shown_path(path)}: no such file or folder")
        if path.is_file():
            files.append(path)
            continue
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            if any(part.startswith(".") for part in child.relative_to(path).parts):
                continue
            (files if child.suffix.lower() in DATA_SUFFIXES else skipped).append(child)
    return files, skipped


@dataclass
class Staged:
    """A batch parsed and typed, ready to merge: one row per record (rn, accepted, the typed sign-in;
    load/20_staged_records.sql) and the child rows of the accepted ones, by the name the merge reads."""

    records: pa.Table
    children: dict[str, pa.Table]


def stage(con: duckdb.DuckDBPyConnection, table: pa.Table, tenant: str | None, lenient: bool) -> Staged:
    """Parse and type a batch, and unnest its child rows, as Arrow tables of small record batches:
    everything but the merge itself, so that the reader's thread does it (_staged_ahead).

    `con` holds the staging macros and the policy lists met so far (load/10_stage_macros.sql), created
    once per connection and file."""
    con.register("batch", table)
    try:
        params = {"tenant": tenant, "lenient": lenient}
        records = query(con, "load/20_staged_records.sql", params).to_arrow_table(CHUNK_ROWS)
    finally:
        con.unregister("batch")
    con.register("stg_records", records)
    try:
        new_lists = records["ca_json"].null_count < len(records)  # policy lists not met before
        if new_lists:
            run_script(con, "load/25_new_ca_lists.sql")
            records = query(con, "load/27_known_ca_lists.sql").to_arrow_table(CHUNK_ROWS)
            con.register("stg_records", records)
        else:
            records = records.drop_columns(["ca_json"])
        run_script(con, "load/35_stage_children.sql")
        children = {name: con.view(view).to_arrow_table(CHUNK_ROWS) for name, view in CHILD_ROWS.items()}
        if new_lists:
            run_script(con, "load/37_forget_ca_lists.sql", {"max_known": KNOWN_CA_LISTS})
    finally:
        con.unregister("stg_records")
    return Staged(records.drop_columns(NESTED_COLUMNS), children)


def _staged_ahead(source: Iterator[Batch], cursor: duckdb.DuckDBPyConnection, tenant: str | None) -> Iterator[Batch]:
    """Each batch staged on a connection of its own, in the reader's thread: the next batch is parsed
    while the current one is merged. A batch this strict parse refuses is left to the writer."""
    try:
        run_script(cursor, "load/10_stage_macros.sql")
        for batch in source:
            if batch.table is not None:
                try:
                    batch.staged = stage(cursor, batch.table, tenant, lenient=False)
                except duckdb.Error:
                    batch.staged = None
            yield batch
    finally:
        cursor.close()


class _FileLoad:
    """Writes the batches of one file, each in one transaction, while its blob is kept in a thread."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        outcome: FileOutcome,
        ingest_id: str,
        reading: FileReading,
        blob: Future,
        blob_root: Path,
        run: str | None,
        resumed: bool = True,
    ):
        self.con, self.outcome, self.ingest_id, self.reading = con, outcome, ingest_id, reading
        self.blob, self.blob_root, self.run = blob, blob_root, run
        self.resumed = resumed  # an earlier attempt may have begun to load the file: some raw records stored
        run_script(con, "load/10_stage_macros.sql")  # for stage() here and the staged views

    def write(self, batch: Batch, lenient: bool = False, whole_store: bool = False) -> None:
        """One transaction: raw records, merged sign-ins and children, quarantine.

        The batch was usually parsed and typed ahead (_staged_ahead); if not, that happens here.
        Candidates the database does not accept are read by Python (reading.resolve) and written in
        a batch of their own, right after; unless one of them is a version of a sign-in the batch
        holds too: then they are written together, as if Python had read the whole batch (which of
        two equally complete versions wins, and whether a sign-in counts as new or updated, is
        decided within a batch). A batch with a candidate that is not even UTF-8 or JSON is tried again leniently.
        Should the database's JSON parser refuse a record the reader accepted, the batch is split
        until the refused record is alone, and that record is quarantined; the rest still loads.
        Stored versions are looked for in the batch's time span, or in the `whole_store` when a version
        outside it broke the primary key (load/40_winners.sql).
        """
        con, outcome = self.con, self.outcome
        staged = batch.staged if not lenient else None
        if batch.table is not None and staged is None:
            try:
                staged = stage(con, batch.table, self.reading.tenant, lenient)
            except REFUSED_TEXT as exc:
                self._retry(batch, lenient, exc)
                return
        refused = _refused(staged) if staged is not None and batch.candidates else []
        refused_candidates = [batch.candidates[rn - len(batch.found)] for rn in refused]
        if refused:
            resolved = self._resolved(refused_candidates)
            if _shares_signins(staged, resolved.found):
                refused_set = set(refused)
                taken = [c for rn, c in enumerate(batch.candidates, len(batch.found)) if rn not in refused_set]
                self.write(Batch(batch.found + resolved.found, batch.rejected + resolved.rejected, taken).sealed())
                return
        con.execute("BEGIN TRANSACTION")
        try:
            new = updated = 0
            if staged is not None:
                new, updated = self._merge(staged, whole_store)
            if batch.rejected:
                self._quarantine(batch.rejected)
            self.wait_for_blob()  # no raw record is committed before the bytes it points into are kept
            con.execute("COMMIT")
        except duckdb.InvalidInputException as exc:
            con.execute("ROLLBACK")
            self._retry(batch, lenient, exc)
            return
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            if isinstance(exc, duckdb.ConstraintException) and not whole_store:
                # a version stored outside the batch's time span broke the primary key (load/40_winners.sql)
                self.write(batch, lenient, whole_store=True)
                return
            raise StoreError(
                f"{shown_path(outcome.path)}: writing to the database failed: {str(exc).splitlines()[0]}"
            ) from exc
        except StoreError:
            con.execute("ROLLBACK")
            raise
        finally:
            for name in ("stg_records", *CHILD_ROWS):
                con.unregister(name)
        outcome.tally(batch.found, batch.rejected)
        outcome.tally_candidates(batch.candidates, refused_candidates)
        outcome.new_signins += new
        outcome.updated_signins += updated
        if refused:
            self.write(resolved)

    def _quarantine(self, rejected: list[Rejected]) -> None:
        """Insert the rejected records in one statement: executemany costs milliseconds a row, and a
        small hostile file can hold tens of thousands of bad records."""
        rows = pa.table(
            {
                "file_sha256": [self.outcome.sha256] * len(rejected),
                "locator": [r.locator for r in rejected],
                "path": [path_text(self.outcome.path)] * len(rejected),
                "line": pa.array([r.line for r in rejected], pa.int32()),
                "reason": [r.reason for r in rejected],
                "raw_text": pa.array([r.text for r in rejected], pa.string()),
            }
        )
        self.con.register("rejected_rows", rows)
        try:
            self.con.execute("INSERT INTO quarantine SELECT *, now() FROM rejected_rows ON CONFLICT DO NOTHING")
        finally:
            self.con.unregister("rejected_rows")

    def _retry(self, batch: Batch, lenient: bool, exc: duckdb.Error) -> None:
        """After the database refused the batch: leniently, in halves, or (one record) quarantined."""
        if batch.candidates and not lenient:
            self.write(batch, lenient=True)
        elif batch.size > 1:
            for half in batch.halves():
                self.write(half, lenient)
        elif batch.candidates:
            self.write(self._resolved(batch.candidates))
        elif batch.found:
            record = batch.found[0]
            reason = f"the database refused the record: {str(exc).splitlines()[0]}"
            refused = Rejected(record.locator, record.line, reason, record.text.decode("utf-8", errors="replace"))
            self.write(Batch([], [*batch.rejected, refused]))
        else:
            raise StoreError(
                f"{shown_path(self.outcome.path)}: writing to the database failed: {str(exc).splitlines()[0]}"
            ) from exc

    def _resolved(self, candidates: list[Candidate]) -> Batch:
        """The records of candidate lines, read by Python."""
        items = [item for candidate in candidates for item in self.reading.resolve(candidate)]
        return Batch([i for i in items if isinstance(i, Found)], [i for i in items if isinstance(i, Rejected)]).sealed()

    def _merge(self, staged: Staged, whole_store: bool) -> tuple[int, int]:
        """Merge a staged batch (without the candidates it did not accept) inside the open transaction,
        looking for the stored versions of its sign-ins in its time span or in the `whole_store`.

        Returns the counts of new and updated sign-ins.
        """
        con = self.con
        # Batches are staged before the file's hash is known (a pass over the whole file), so the
        # raw records' keys (hash:locator) are made here.
        keys = pc.binary_join_element_wise(f"{self.outcome.sha256}:", staged.records["locator"], "")
        records = staged.records.append_column("record_key", keys)
        # unregistered by write(), after the transaction ends
        for name, rows in {"stg_records": records, **staged.children}.items():
            con.register(name, rows)
        run_script(con, "load/30_stage_signins.sql")
        run_script(
            con,
            "load/38_raw_records_resumed.sql" if self.resumed else "load/38_raw_records.sql",
            {"file_sha256": self.outcome.sha256, "ingest_id": self.ingest_id},
        )
        since, until = (EARLIEST, LATEST) if whole_store else _time_span(staged.records)
        run_script(con, "load/40_winners.sql", {"since": since, "until": until})
        new, updated = con.execute(
            "SELECT count(*) FILTER (is_new), count(*) FILTER (NOT is_new) FROM winners"
        ).fetchall()[0]
        if updated:  # nothing to remove otherwise: the common case, a file of sign-ins new to the store
            if self.run:
                run_script(con, "load/42_keep_displaced.sql", {"run": self.run})
            run_script(con, "load/43_remove_replaced.sql")
        run_script(con, "load/45_replace.sql")
        if updated:
            run_script(con, "ca_sets/drop_released.sql")
        return new, updated

    def wait_for_blob(self) -> None:
        try:
            self.blob.result()
        except OSError as exc:  # full disk, read-only folder
            raise StoreError(f"{self.blob_root}: cannot keep the raw file: {exc.strerror or exc}") from exc


def _time_span(records: pa.Table) -> tuple[datetime, datetime]:
    """The times of the sign-ins a batch merges (its accepted records), widened by SPAN_MARGIN within
    [EARLIEST, LATEST] (load/40_winners.sql). A record the database did not accept may carry any time
    (year 9999, say): it is read again by Python, and quarantined there if its time is impossible."""
    span = pc.min_max(pc.filter(records["created_at"], records["accepted"]))
    first, last = span["min"].as_py(), span["max"].as_py()
    if first is None:
        return EARLIEST, EARLIEST
    return max(first, EARLIEST + SPAN_MARGIN) - SPAN_MARGIN, min(last, LATEST - SPAN_MARGIN) + SPAN_MARGIN


def _refused(staged: Staged) -> list[int]:
    """The row numbers of the candidates the database did not accept (found rows always are)."""
    records = staged.records
    return sorted(pc.filter(records["rn"], pc.invert(records["accepted"])).to_pylist())


def _shares_signins(staged: Staged, found: list[Found]) -> bool:
    """Whether a sign-in of `found` is also among the records the database accepted of the batch."""
    if not found:
        return False
    ids = pa.array(list({f.signin_id for f in found}), pa.string())
    records = staged.records
    return bool(pc.any(pc.and_kleene(records["accepted"], pc.is_in(records["id"], value_set=ids))).as_py())


def _already_ingested(con: duckdb.DuckDBPyConnection, sha: str) -> bool:
    return con.execute(
        "SELECT count(*) > 0 FROM ingest_log WHERE file_sha256 = ? AND NOT already_ingested", [sha]
    ).fetchall()[0][0]


def _begun(con: duckdb.DuckDBPyConnection, sha: str) -> bool:
    """Whether an earlier attempt began to load the file (its raw_files row is written first)."""
    return con.execute("SELECT count(*) > 0 FROM raw_files WHERE file_sha256 = ?", [sha]).fetchall()[0][0]


def _log(con: duckdb.DuckDBPyConnection, outcome: FileOutcome, ingest_id: str, started: datetime) -> None:
    con.execute(
        "INSERT INTO ingest_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
        [
            ingest_id,
            outcome.sha256,
            path_text(outcome.path),
            outcome.format,
            outcome.records,
            outcome.new_signins,
            outcome.updated_signins,
            outcome.quarantined,
            outcome.already_ingested,
            outcome.notes,
            started,
        ],
    )


def _reason_kind(reason: str) -> str:
    """The stable head of a reason, for the per-file summary ("malformed JSON", "no sign-in id", ...)."""
    return re.split(r": | \(", reason, maxsplit=1)[0][:80]


@dataclass
class _Opened:
    """A file being read: its hash known, its compressed copy under way (in `pool`), its batches read
    and staged in a thread (`produced`)."""

    path: Path
    started: datetime
    pool: ThreadPoolExecutor
    copy: blobs.BlobCopy
    reading: FileReading
    produced: Prefetched
    sha256: str

    def close(self) -> None:
        """Stop reading and drop the copy: the file is ingested already, or was read ahead and not reached."""
        self.produced.close()
        self.copy.discard()
        self.pool.shutdown()


def _open(
    con: duckdb.DuckDBPyConnection, path: Path, blob_root: Path, limits: IngestLimits, tenant: str | None
) -> _Opened:
    """Start reading a file: its hash and the compressed copy of the original at once, each in a thread,
    while its first batch is read and parsed; returns once the hash is known."""
    started = datetime.now(UTC)
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="signins-blob")
    try:
        sha = pool.submit(blobs.file_sha256, path)
        copy = blobs.BlobCopy(blob_root, path, pool)
        try:
            reading, produced, sha256 = _start_reading(con, path, limits, tenant, sha)
        except BaseException:
            copy.discard()
            raise
    except BaseException:
        pool.shutdown()
        raise
    return _Opened(path, started, pool, copy, reading, produced, sha256)


def _load(con: duckdb.DuckDBPyConnection, opened: _Opened, blob_root: Path, run: str | None) -> FileOutcome:
    """Write an opened file's batches into the store, or skip it if its hash was ingested already.
    A run landing in the store (signins.runs.landing) notes the file first, so that it can undo what it wrote."""
    ingest_id = uuid.uuid4().hex
    path, reading = opened.path, opened.reading
    outcome = FileOutcome(path, sha256=opened.sha256)
    if run:
        con.execute("INSERT INTO run_ingests VALUES (?, ?, ?)", [run, ingest_id, opened.sha256])
    with opened.pool:
        if _already_ingested(con, outcome.sha256):
            opened.close()
            outcome.already_ingested = True
            _log(con, outcome, ingest_id, opened.started)
            return outcome
        outcome.encoding, outcome.notes = reading.encoding, reading.notes
        blob = opened.pool.submit(opened.copy.keep, outcome.sha256)
        load = _FileLoad(con, outcome, ingest_id, reading, blob, blob_root, run, _begun(con, outcome.sha256))
        con.execute(
            "INSERT INTO raw_files VALUES (?, ?, ?, ?, ?, ?, now()) ON CONFLICT DO NOTHING",
            [
                outcome.sha256,
                path_text(path),
                path.stat().st_size,
                blobs.blob_path(path, outcome.sha256),
                reading.container,
                reading.encoding,
            ],
        )
        try:
            for batch in opened.produced:
                load.write(batch)
        finally:
            opened.produced.close()
        load.wait_for_blob()  # a file without records still keeps its bytes
    outcome.format = "+".join(sorted(outcome.formats)) or reading.container
    outcome.notes.extend(f"{note} ({count} record(s))" for note, count in sorted(outcome.record_notes.items()))
    _log(con, outcome, ingest_id, opened.started)
    return outcome


def ingest_file(
    con: duckdb.DuckDBPyConnection, path: Path, blob_root: Path, limits: IngestLimits, tenant: str | None = None
) -> FileOutcome:
    """Load one file into the store (idempotent)."""
    return _load(con, _open(con, path, blob_root, limits, tenant), blob_root, run=None)


def _start_reading(
    con: duckdb.DuckDBPyConnection, path: Path, limits: IngestLimits, tenant: str | None, sha: Future
) -> tuple[FileReading, Prefetched, str]:
    """Open the file and start reading and staging its batches; with the file's hash, once known."""
    try:
        reading = read_file(path, limits, tenant)
        produced = Prefetched(
            _staged_ahead(batches(reading.items, limits.batch_records, limits.batch_bytes), con.cursor(), tenant)
        )
        try:
            return reading, produced, sha.result()
        except OSError:
            produced.close()
            raise
    except OSError as exc:
        raise UnreadableFile(path, f"cannot read: {exc.strerror or exc}") from exc


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    paths: Iterable[Path],
    blob_root: Path,
    limits: IngestLimits,
    tenant: str | None = None,
    on_file: Callable[[FileOutcome], None] | None = None,
    run: str | None = None,
) -> list[FileOutcome]:
    """Load files and folders; returns one outcome per file read. `run`: the run landing them (signins.runs.landing).

    A file of at most one batch (a Graph page, say) is read and parsed while the file before it is
    written: one file after another, each would leave a core idle."""
    files, _ = expand_paths(paths)
    outcomes, ahead = [], None
    try:
        for number, path in enumerate(files):
            opened, ahead = ahead, None
            try:
                opened = opened or _open(con, path, blob_root, limits, tenant)
            except UnreadableFile as unreadable:  # said on its line; the other files still load
                outcome = FileOutcome(path, unreadable=unreadable.reason)
            else:
                ahead = _read_ahead(con, files[number + 1 : number + 2], blob_root, limits, tenant)
                outcome = _load(con, opened, blob_root, run)
            outcomes.append(outcome)
            if on_file:
                on_file(outcome)
    finally:
        if ahead:
            ahead.close()
    return outcomes


def _read_ahead(
    con: duckdb.DuckDBPyConnection, following: list[Path], blob_root: Path, limits: IngestLimits, tenant: str | None
) -> _Opened | None:
    """The next file, opened now if it is small. If that fails, it is opened again at its turn, which
    says what went wrong where it belongs (after the files before it are loaded)."""
    try:
        if following and following[0].stat().st_size <= limits.batch_bytes:
            return _open(con, following[0], blob_root, limits, tenant)
    except Exception:  # noqa: BLE001  (raised again at the file's turn)
        pass
    return None
