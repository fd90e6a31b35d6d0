"""Load input files into the store: the original bytes (blob), records in batches, then the ingest log.

A folder is read as a stream of files. A file loaded before, unchanged, costs a stat and a lookup
(signins.ingest.ledger). Small files are read whole, one after another in a thread, and their records
share batches: each batch is one transaction whatever files its records come from, so a drop folder of
thousands of one-record files is a few transactions, not thousands. A large file is read batch by batch,
hashed and copied while its first batch is parsed. Either way every step is idempotent: a load killed at
any moment is completed by the next one, nothing lost, nothing doubled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from signins.errors import IngestError
from signins.ingest import blobs, ledger
from signins.ingest.batches import Prefetched, batches
from signins.ingest.decode import LineBlock
from signins.ingest.ledger import Stat
from signins.ingest.reader import FileReading, read_file
from signins.ingest.records import Candidate, Found, Rejected
from signins.ingest.writer import BatchWriter, FileOutcome, Member, staged_ahead
from signins.settings import IngestLimits
from signins.text import shown_path

DATA_SUFFIXES = {".json", ".jsonl", ".ndjson", ".log", ".csv", ".gz", ".txt"}
# A file up to this size is read whole and shares batches with the small files around it; a larger one
# is read batch by batch on its own.
SMALL_FILE_BYTES = 4 * 1024 * 1024
CHECKED_TOGETHER = 256  # small files whose hashes are looked up in the store in one statement


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
class _Load:
    """One load: where it writes, how it reads, the run landing it, and each file's outcome, said (to
    `on_file`) as each is done, in the order the files were given."""

    con: duckdb.DuckDBPyConnection
    blob_root: Path
    limits: IngestLimits
    tenant: str | None
    run: str | None
    on_file: Callable[[FileOutcome], None] | None
    stats: dict[Path, Stat] = field(default_factory=dict)
    remember: bool = True  # note the files loaded by where they lie (known_files), to skip them unread later
    outcomes: list[FileOutcome] = field(default_factory=list)

    def done(self, members: list[Member]) -> None:
        """Files read to the end, skipped, or unreadable: their log rows, then their lines."""
        stats = self.stats if self.remember else {}
        ledger.log(self.con, [m for m in members if not m.outcome.unreadable], self.run, stats)
        for member in members:
            self.outcomes.append(member.outcome)
            if self.on_file:
                self.on_file(member.outcome)

    def size(self, path: Path) -> int:
        stat = self.stats.get(path)
        return stat.size if stat else 0


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    paths: Iterable[Path],
    blob_root: Path,
    limits: IngestLimits,
    tenant: str | None = None,
    on_file: Callable[[FileOutcome], None] | None = None,
    run: str | None = None,
) -> list[FileOutcome]:
    """Load files and folders; returns one outcome per file, in order. `run`: the run landing them
    (signins.runs.landing). A file that cannot be read is said on its own line; the others still load."""
    files, _ = expand_paths(paths)
    load = _Load(con, blob_root, limits, tenant, run, on_file)
    load.stats = {stat.path: stat for stat in map(Stat.of, files) if stat}
    known = ledger.known(con, list(load.stats.values()))
    for kind, run_of_files in _runs(files, known, load):
        if kind == "known":  # logged together: a stat and a lookup each, no statement of their own
            load.done([_member(load, path, known[path], skipped=True) for path in run_of_files])
        elif kind == "small":
            _load_small(load, run_of_files)
        else:
            _load_large(load, run_of_files[0])
    return load.outcomes


def _runs(files: list[Path], known: dict[Path, str], load: _Load) -> Iterator[tuple[str, list[Path]]]:
    """The files in order, as runs of one kind: known (loaded before, unchanged), small, or one large."""
    run: list[Path] = []
    kind = ""
    for path in files:
        this = "known" if path in known else "small" if 0 < load.size(path) <= SMALL_FILE_BYTES else "large"
        if run and (this != kind or kind == "large"):
            yield kind, run
            run = []
        kind = this
        run.append(path)
    if run:
        yield kind, run


def ingest_file(
    con: duckdb.DuckDBPyConnection, path: Path, blob_root: Path, limits: IngestLimits, tenant: str | None = None
) -> FileOutcome:
    """Load one file into the store (idempotent), batch by batch. It is recognised later by its content,
    not by where it lies: a pulled page, say, is removed once landed."""
    load = _Load(con, blob_root, limits, tenant, None, None, remember=False)
    if stat := Stat.of(path):
        load.stats[path] = stat
    _load_large(load, path)
    return load.outcomes[0]


def _member(
    load: _Load,
    path: Path,
    sha256: str = "",
    reading: FileReading | None = None,
    blob: Future | None = None,
    begun: bool = False,
    skipped: bool = False,
    unreadable: str = "",
) -> Member:
    """A file of the load: one to write (its reading and kept copy given, and whether an earlier attempt
    `begun` it), or one `skipped` (its content was loaded before) or `unreadable` (its reason given),
    which write nothing."""
    outcome = FileOutcome(path, sha256=sha256, already_ingested=skipped, unreadable=unreadable)
    if reading is None:
        return Member(outcome, FileReading(path, "", "unknown"), _done(), "", load.size(path))
    outcome.encoding, outcome.notes = reading.encoding, reading.notes  # the reader may note more as it reads
    member = Member(outcome, reading, blob, blobs.blob_path(path, sha256), load.size(path))
    member.begun = member.noted = begun
    member.registered = not load.run
    return member


def _done() -> Future:
    future: Future = Future()
    future.set_result("")
    return future


def _load_large(load: _Load, path: Path) -> None:
    """A file read batch by batch: its hash and compressed copy made at once, each in a thread, while its
    first batch is read and parsed; skipped once its hash shows it was loaded before."""
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="signins-blob") as pool:
        sha = pool.submit(blobs.file_sha256, path)
        copy = blobs.BlobCopy(load.blob_root, path, pool)
        try:
            reading = read_file(path, load.limits, load.tenant)
            produced = _produced(load, reading.items, load.con.cursor())
            try:
                sha256 = sha.result()
            except BaseException:
                produced.close()
                raise
        except OSError as exc:
            copy.discard()
            load.done([_member(load, path, unreadable=f"cannot read: {exc.strerror or exc}")])
            return
        except BaseException:
            copy.discard()
            raise
        try:
            if ledger.ingested(load.con, [sha256]):
                produced.close()
                copy.discard()
                load.done([_member(load, path, sha256, skipped=True)])
                return
            writer = BatchWriter(load.con, [], load.blob_root, load.run, load.tenant)
            begun = bool(ledger.begun(load.con, [sha256]))
            writer.members.append(_member(load, path, sha256, reading, pool.submit(copy.keep, sha256), begun))
            for batch in produced:
                writer.write(batch)
        finally:
            produced.close()
        _finish(load, writer, 0, 1)


def _produced(load: _Load, items: Iterator, cursor: duckdb.DuckDBPyConnection) -> Prefetched:
    """The records cut into batches, each parsed and typed in the reader's thread (on `cursor`)."""
    return Prefetched(
        staged_ahead(batches(items, load.limits.batch_records, load.limits.batch_bytes), cursor, load.tenant)
    )


def _finish(load: _Load, writer: BatchWriter, start: int, stop: int) -> None:
    """The writer's files [start, stop), read to the end: one that wrote no record notes its file now (and
    keeps its bytes); then each gets its format and notes, its log row and its line."""
    members = writer.members[start:stop]
    silent = {n for n in range(start, stop) if writer.members[n].blob_path and not writer.members[n].noted}
    if silent:
        writer.wait_for_blobs(silent)
        load.con.execute("BEGIN TRANSACTION")
        writer.note_files(silent)
        load.con.execute("COMMIT")
    for member in members:
        outcome = member.outcome
        if member.blob_path:
            outcome.format = "+".join(sorted(outcome.formats)) or member.reading.container
            notes = sorted(outcome.record_notes.items())
            outcome.notes.extend(f"{note} ({count} record(s))" for note, count in notes)
    load.done(members)


def _load_small(load: _Load, paths: list[Path]) -> None:
    """Small files, read whole one after another in the reader's thread, their records sharing batches.
    A file is done once every batch holding its records is written (files are read in order, so once
    a batch holds records of a later file)."""
    if not paths:
        return
    writer = BatchWriter(load.con, [], load.blob_root, load.run, load.tenant)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="signins-blob") as pool:
        cursor = load.con.cursor()
        produced = _produced(load, _small_items(load, paths, writer.members, pool, cursor.cursor()), cursor)
        finished = 0
        try:
            for batch in produced:
                writer.write(batch)
                files = BatchWriter.files_of(batch)
                if files and max(files) > finished:
                    _finish(load, writer, finished, max(files))
                    finished = max(files)
        finally:
            produced.close()
        _finish(load, writer, finished, len(writer.members))


def _small_items(
    load: _Load, paths: list[Path], members: list[Member], pool: ThreadPoolExecutor, con: duckdb.DuckDBPyConnection
) -> Iterator[Found | Rejected | Candidate | LineBlock]:
    """The records of small files, each tagged with its file's index in `members`, which this fills as it
    reads (in the reader's thread): a file loaded before (its content, maybe under another name, earlier
    in this folder too) or that cannot be read becomes a member that writes nothing. The files' hashes are
    looked up CHECKED_TOGETHER at a time."""
    seen: set[str] = set()
    try:
        for start in range(0, len(paths), CHECKED_TOGETHER):
            chunk = paths[start : start + CHECKED_TOGETHER]
            hashes = {path: _hash(path) for path in chunk}
            known = [h for h in hashes.values() if not isinstance(h, OSError)]
            ingested, begun = ledger.ingested(con, known), ledger.begun(con, known)
            for path in chunk:
                index, sha256 = len(members), hashes[path]
                if not isinstance(sha256, OSError) and (sha256 in seen or sha256 in ingested):
                    members.append(_member(load, path, sha256, skipped=True))
                    continue
                try:
                    if isinstance(sha256, OSError):
                        raise sha256
                    reading = read_file(path, load.limits, load.tenant)
                    items = list(reading.items)
                except OSError as exc:
                    members.append(_member(load, path, unreadable=f"cannot read: {exc.strerror or exc}"))
                    continue
                seen.add(sha256)
                blob = pool.submit(blobs.BlobCopy(load.blob_root, path, pool).keep, sha256)
                members.append(_member(load, path, sha256, reading, blob, sha256 in begun))
                for item in items:
                    item.file = index
                    yield item
    finally:
        con.close()


def _hash(path: Path) -> str | OSError:
    try:
        return blobs.file_sha256(path)
    except OSError as exc:
        return exc
