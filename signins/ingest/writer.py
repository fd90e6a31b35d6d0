"""Batches of records into the store: each batch parsed and typed by DuckDB, then merged in one transaction.

A batch may hold the records of several files of one load (many small files share batches; a large file
fills batches of its own): each record says which (`file`, an index into the load's `Member`s). Every
batch is one transaction (raw records, sign-ins, child rows, quarantine, and the files it first touches),
and every step is idempotent, so a load killed at any moment is completed by the next one.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from signins.errors import StoreError
from signins.ingest.arrow import column, moment
from signins.ingest.batches import CHUNK_ROWS, Batch
from signins.ingest.reader import FileReading
from signins.ingest.records import Candidate, Found, Rejected
from signins.store.database import query, run_script
from signins.text import path_text, printable, shown_path

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


def _reason_kind(reason: str) -> str:
    """The stable head of a reason, for the per-file summary ("malformed JSON", "no sign-in id", ...)."""
    return re.split(r": | \(", reason, maxsplit=1)[0][:80]


@dataclass
class Member:
    """One file of a load: how it is read, its kept copy, and what it brought."""

    outcome: FileOutcome
    reading: FileReading
    blob: Future  # the copy of the original bytes being kept (signins.ingest.blobs)
    blob_path: str  # where it is kept, relative to the blob store root
    size: int
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    ingest_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    begun: bool = False  # an earlier attempt may have written some of its raw records
    noted: bool = False  # its raw_files row is in the store
    registered: bool = False  # its run_ingests row is in the store (a run can undo what it wrote)

    @property
    def sha256(self) -> str:
        return self.outcome.sha256


@dataclass
class Staged:
    """A batch parsed and typed, ready to merge: one row per record (rn, file, accepted, the typed sign-in;
    load/20_staged_records.sql) and the child rows of the accepted ones, by the name the merge reads."""

    records: pa.Table
    children: dict[str, pa.Table]


def stage(con: duckdb.DuckDBPyConnection, table: pa.Table, tenant: str | None, lenient: bool) -> Staged:
    """Parse and type a batch, and unnest its child rows, as Arrow tables of small record batches:
    everything but the merge itself, so that the reader's thread does it (staged_ahead).

    `con` holds the staging macros and the policy lists met so far (load/10_stage_macros.sql), created
    once per connection."""
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


def staged_ahead(source: Iterator[Batch], cursor: duckdb.DuckDBPyConnection, tenant: str | None) -> Iterator[Batch]:
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


class BatchWriter:
    """Writes batches into the store, each in one transaction, for the files of one load (`members`, to
    which the load may add files as it reads them)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        members: list[Member],
        blob_root: Path,
        run: str | None,
        tenant: str | None,
    ):
        self.con, self.members, self.blob_root, self.run, self.tenant = con, members, blob_root, run, tenant
        run_script(con, "load/10_stage_macros.sql")  # for stage() here and the staged views

    def write(self, batch: Batch, lenient: bool = False, whole_store: bool = False) -> None:
        """One transaction: the files first met, raw records, merged sign-ins and children, quarantine.

        The batch was usually parsed and typed ahead (staged_ahead); if not, that happens here.
        Candidates the database does not accept are read by Python (FileReading.resolve) and written in
        a batch of their own, right after; unless one of them is a version of a sign-in the batch
        holds too: then they are written together, as if Python had read the whole batch (which of
        two equally complete versions wins, and whether a sign-in counts as new or updated, is
        decided within a batch). A batch with a candidate that is not even UTF-8 or JSON is tried again
        leniently. Should the database's JSON parser refuse a record the reader accepted, the batch is
        split until the refused record is alone, and that record is quarantined; the rest still loads.
        Stored versions are looked for in the batch's time span, or in the `whole_store` when a version
        outside it broke the primary key (load/40_winners.sql).
        """
        con = self.con
        staged = batch.staged if not lenient else None
        if batch.table is not None and staged is None:
            try:
                staged = stage(con, batch.table, self.tenant, lenient)
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
        files = self.files_of(batch)
        flags = [(m, m.noted, m.registered) for m in (self.members[i] for i in files)]  # as they were
        con.execute("BEGIN TRANSACTION")
        try:
            self.note_files(files)
            counts = self._merge(staged, whole_store) if staged is not None else Counter()
            if batch.rejected:
                self._quarantine(batch.rejected)
            self.wait_for_blobs(files)  # no raw record is committed before the bytes it points into are kept
            con.execute("COMMIT")
        except duckdb.InvalidInputException as exc:
            con.execute("ROLLBACK")
            _restore(flags)
            self._retry(batch, lenient, exc)
            return
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            _restore(flags)
            if isinstance(exc, duckdb.ConstraintException) and not whole_store:
                # a version stored outside the batch's time span broke the primary key (load/40_winners.sql)
                self.write(batch, lenient, whole_store=True)
                return
            first = self.members[min(files)].outcome.path if files else self.blob_root
            raise StoreError(
                f"{shown_path(first)}: writing to the database failed: {str(exc).splitlines()[0]}"
            ) from exc
        except StoreError:
            con.execute("ROLLBACK")
            _restore(flags)
            raise
        finally:
            for name in ("stg_records", *CHILD_ROWS):
                con.unregister(name)
        self._tally(batch, refused_candidates, counts)
        if refused:
            self.write(resolved)

    @staticmethod
    def files_of(batch: Batch) -> set[int]:
        """The files whose records the batch writes."""
        files = {item.file for item in batch.found} | {item.file for item in batch.rejected}
        return files | {file for file, _ in batch.candidates.formats()}

    def note_files(self, files: set[int]) -> None:
        """In the transaction that first writes a file's records: its raw_files row (a later attempt then
        knows it was begun) and, in a run, its run_ingests row (the run can undo what it wrote)."""
        members = [self.members[i] for i in sorted(files)]
        unregistered = [m for m in members if self.run and not m.registered]
        if unregistered:
            rows = [[self.run, m.ingest_id, m.sha256] for m in unregistered]
            self.con.executemany("INSERT INTO run_ingests VALUES (?, ?, ?)", rows)
        rows = [m for m in members if not m.noted]
        if rows:
            table = pa.table(
                {
                    "file_sha256": column([m.sha256 for m in rows], pa.string()),
                    "first_path": column([path_text(m.outcome.path) for m in rows], pa.string()),
                    "size_bytes": column([m.size for m in rows], pa.int64()),
                    "blob_path": column([m.blob_path for m in rows], pa.string()),
                    "format": column([m.reading.container for m in rows], pa.string()),
                    "encoding": column([m.reading.encoding for m in rows], pa.string()),
                }
            )
            self.con.register("noted_files", table)
            try:
                self.con.execute("INSERT INTO raw_files SELECT *, now() FROM noted_files ON CONFLICT DO NOTHING")
            finally:
                self.con.unregister("noted_files")
        for member in rows:
            member.noted = True
        for member in unregistered:
            member.registered = True

    def _resolved(self, candidates: list[Candidate]) -> Batch:
        """The records of candidate lines, read by Python, each with the file it came from."""
        items = []
        for candidate in candidates:
            for item in self.members[candidate.file].reading.resolve(candidate):
                item.file = candidate.file
                items.append(item)
        return Batch([i for i in items if isinstance(i, Found)], [i for i in items if isinstance(i, Rejected)]).sealed()

    def _merge(self, staged: Staged, whole_store: bool) -> Counter:
        """Merge a staged batch (without the candidates it did not accept) inside the open transaction,
        looking for the stored versions of its sign-ins in its time span or in the `whole_store`.

        Returns the counts of new and updated sign-ins per file: {(file, "new"): n, (file, "updated"): n}.
        """
        con = self.con
        # Batches are staged before the files' hashes are known (a pass over each whole file), so each
        # raw record's key (hash:locator), file hash and ingest id are added here, by the file it is from.
        file = staged.records["file"]
        hashes = pc.take(column([m.sha256 for m in self.members], pa.string()), file)
        ingests = pc.take(column([m.ingest_id for m in self.members], pa.string()), file)
        # the separator as a column: a Python string would be made an Arrow scalar, which imports pandas
        keys = pc.binary_join_element_wise(hashes, staged.records["locator"], column([":"] * len(file), pa.string()))
        records = staged.records.append_column("record_key", keys)
        records = records.append_column("file_sha256", hashes).append_column("ingest_id", ingests)
        # unregistered by write(), after the transaction ends
        for name, rows in {"stg_records": records, **staged.children}.items():
            con.register(name, rows)
        run_script(con, "load/30_stage_signins.sql")
        resumed = any(self.members[i].begun for i in set(file.to_pylist()))
        run_script(con, "load/38_raw_records_resumed.sql" if resumed else "load/38_raw_records.sql")
        since, until = (EARLIEST, LATEST) if whole_store else _time_span(staged.records)
        run_script(con, "load/40_winners.sql", {"since": since, "until": until})
        counts = Counter(
            {
                (file, "new" if is_new else "updated"): count
                for file, is_new, count in con.execute(
                    "SELECT s.file, w.is_new, count(*) FROM winners AS w JOIN stg_records AS s USING (rn) GROUP BY ALL"
                ).fetchall()
            }
        )
        updated = sum(n for (_, kind), n in counts.items() if kind == "updated")
        if updated:  # nothing to remove otherwise: the common case, sign-ins new to the store
            if self.run:
                run_script(con, "load/42_keep_displaced.sql", {"run": self.run})
            run_script(con, "load/43_remove_replaced.sql")
        run_script(con, "load/45_replace.sql")
        if updated:
            run_script(con, "ca_sets/drop_released.sql")
        return counts

    def _tally(self, batch: Batch, refused: list[Candidate], counts: Counter) -> None:
        """What the batch wrote, counted into the outcome of each file it holds records of."""
        for item in batch.found:
            outcome = self.members[item.file].outcome
            outcome.records += 1
            outcome.formats[item.format] += 1
            outcome.record_notes.update(item.notes)
        for item in batch.rejected:
            outcome = self.members[item.file].outcome
            outcome.records += 1
            outcome.quarantined += 1
            outcome.reasons[_reason_kind(item.reason)] += 1
        written = batch.candidates.formats() - Counter((c.file, c.format) for c in refused)
        for (file, fmt), count in written.items():
            outcome = self.members[file].outcome
            outcome.records += count
            outcome.formats[fmt] += count
        for (file, kind), count in counts.items():
            outcome = self.members[file].outcome
            if kind == "new":
                outcome.new_signins += count
            else:
                outcome.updated_signins += count

    def wait_for_blobs(self, files: set[int]) -> None:
        for i in files:
            try:
                self.members[i].blob.result()
            except OSError as exc:  # full disk, read-only folder
                raise StoreError(f"{self.blob_root}: cannot keep the raw file: {exc.strerror or exc}") from exc

    def _quarantine(self, rejected: list[Rejected]) -> None:
        """Insert the rejected records in one statement: executemany costs milliseconds a row, and a
        small hostile file can hold tens of thousands of bad records."""
        members = self.members
        rows = pa.table(
            {
                "file_sha256": column([members[r.file].sha256 for r in rejected], pa.string()),
                "locator": column([r.locator for r in rejected], pa.string()),
                "path": column([path_text(members[r.file].outcome.path) for r in rejected], pa.string()),
                "line": column([r.line for r in rejected], pa.int32()),
                "reason": column([r.reason for r in rejected], pa.string()),
                "raw_text": column([r.text for r in rejected], pa.string()),
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
            refused = Rejected(
                record.locator, record.line, reason, record.text.decode("utf-8", errors="replace"), record.file
            )
            self.write(Batch([], [*batch.rejected, refused]))
        else:
            raise StoreError(f"{self.blob_root}: writing to the database failed: {str(exc).splitlines()[0]}") from exc


def _time_span(records: pa.Table) -> tuple[datetime, datetime]:
    """The times of the sign-ins a batch merges (its accepted records), widened by SPAN_MARGIN within
    [EARLIEST, LATEST] (load/40_winners.sql). A record the database did not accept may carry any time
    (year 9999, say): it is read again by Python, and quarantined there if its time is impossible."""
    # in microseconds: a timestamp scalar's as_py imports pandas (signins.ingest.arrow)
    times = pc.filter(records["created_at"], records["accepted"]).cast(pa.timestamp("us", tz="UTC"))
    span = pc.min_max(times.cast(pa.int64()))
    first, last = (moment(span[end].as_py()) for end in ("min", "max"))
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
    ids = column({f.signin_id for f in found}, pa.string())
    records = staged.records
    return bool(pc.any(pc.and_kleene(records["accepted"], pc.is_in(records["id"], value_set=ids))).as_py())


def _restore(flags: list[tuple[Member, bool, bool]]) -> None:
    """After a rollback: the members' raw_files and run_ingests rows are as they were before it."""
    for member, noted, registered in flags:
        member.noted, member.registered = noted, registered
