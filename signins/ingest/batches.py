"""Records grouped into batches bound for one transaction each, as Arrow tables DuckDB reads directly.

Reading and parsing the next batch runs in a thread while the database writes the current one.
"""

from __future__ import annotations

import threading
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from queue import Empty, Queue
from typing import TYPE_CHECKING

import pyarrow as pa

from signins.ingest.arrow import column
from signins.ingest.decode import LineBlock
from signins.ingest.records import Candidate, Found, Rejected

if TYPE_CHECKING:
    from signins.ingest.writer import Staged


@dataclass
class Batch:
    """Records bound for one transaction, with the Arrow table the database reads them from.

    The table holds the found records, then the candidates (row number `rn` = position in that order).
    """

    found: list[Found]
    rejected: list[Rejected]
    candidates: Candidates = field(default_factory=lambda: Candidates())
    table: pa.Table | None = None
    staged: Staged | None = None  # parsed and typed ahead (signins.ingest.writer.stage), when that worked

    def __post_init__(self) -> None:
        if not isinstance(self.candidates, Candidates):
            self.candidates = Candidates(self.candidates)

    @property
    def size(self) -> int:
        return len(self.found) + len(self.candidates)

    def sealed(self) -> Batch:
        """The batch with its Arrow table built (in the reader's thread, while the database works)."""
        self.table = batch_table(self.found, self.candidates) if self.size else None
        return self

    def halves(self) -> tuple[Batch, Batch]:
        """The batch split in two (rejected records go with the first half)."""
        half = self.size // 2
        first, second = self.found[:half], self.found[half:]
        rest = half - len(first)
        return (
            Batch(first, self.rejected, self.candidates[:rest]).sealed(),
            Batch(second, [], self.candidates[rest:]).sealed(),
        )


LINE_FORMAT = "graph/ndjson"  # Candidate.format of a JSON line


class Candidates:
    """A batch's candidates in order: runs of single ones, and blocks of JSON lines that go to the
    database as they lie in the file's buffer (no copy, no object per line); a Candidate is made for
    a line only when asked for."""

    def __init__(self, candidates: Iterable[Candidate] = ()):
        self.parts: list[list[Candidate] | LineBlock] = []
        self._count = 0
        for candidate in candidates:
            self.append(candidate)

    def append(self, item: Candidate | LineBlock) -> None:
        if isinstance(item, LineBlock):
            self.parts.append(item)
        elif self.parts and isinstance(self.parts[-1], list):
            self.parts[-1].append(item)
        else:
            self.parts.append([item])
        self._count += len(item) if isinstance(item, LineBlock) else 1

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Candidate]:
        for part in self.parts:
            yield from (_line_candidate(part, i) for i in range(len(part))) if isinstance(part, LineBlock) else part

    def __getitem__(self, index: int | slice) -> Candidate | Candidates:
        if isinstance(index, slice):
            start, stop, _ = index.indices(self._count)
            return self._between(start, stop)
        position = index + self._count if index < 0 else index
        for part in self.parts:
            if position < len(part):
                return _line_candidate(part, position) if isinstance(part, LineBlock) else part[position]
            position -= len(part)
        raise IndexError(index)

    def _between(self, start: int, stop: int) -> Candidates:
        between, position = Candidates(), 0
        for part in self.parts:
            first, last = max(start - position, 0), min(stop - position, len(part))
            if first < last and isinstance(part, LineBlock):
                part = part.split(first)[1] if first else part
                between.append(part.split(last - first)[0] if last - first < len(part) else part)
            elif first < last:
                for candidate in part[first:last]:
                    between.append(candidate)
            position += len(part)
        return between

    def columns(self) -> dict[str, list]:
        """What batch_table needs of each candidate: locator, line, byte_offset, byte_length, format, file."""
        columns: dict[str, list] = {
            "locator": [],
            "line": [],
            "byte_offset": [],
            "byte_length": [],
            "format": [],
            "file": [],
        }
        for part in self.parts:
            if isinstance(part, LineBlock):
                numbers = range(part.number, part.number + len(part))
                columns["locator"] += [f"line:{number}" for number in numbers]
                columns["line"] += numbers
                columns["byte_offset"] += [part.offset + start - part.start for start in part.starts]
                columns["byte_length"] += part.content_lengths()
                columns["format"] += [LINE_FORMAT] * len(part)
                columns["file"] += [part.file] * len(part)
            else:
                columns["locator"] += [c.locator for c in part]
                columns["line"] += [c.line for c in part]
                columns["byte_offset"] += [c.offset for c in part]
                columns["byte_length"] += [c.length for c in part]
                columns["format"] += [c.format for c in part]
                columns["file"] += [c.file for c in part]
        return columns

    def texts(self) -> list[pa.LargeBinaryArray]:
        """Their texts as Arrow chunks: a block's lines where they lie (each with its line end, which
        JSON reads as whitespace), single candidates copied together (_texts)."""
        chunks = []
        for part in self.parts:
            if not isinstance(part, LineBlock):
                chunks += _texts([c.text for c in part]).chunks
                continue
            offsets, data = array("q", [part.start, *part.ends]), pa.py_buffer(part.data)
            for first in range(0, len(part), CHUNK_ROWS):
                rows = min(CHUNK_ROWS, len(part) - first)
                chunk_offsets = pa.py_buffer(offsets[first : first + rows + 1])
                chunks.append(pa.LargeBinaryArray.from_buffers(pa.large_binary(), rows, [None, chunk_offsets, data]))
        return chunks

    def formats(self) -> Counter:
        """How many candidates of each (file, format) the batch holds."""
        counts = Counter()
        for part in self.parts:
            if isinstance(part, LineBlock):
                counts[(part.file, LINE_FORMAT)] += len(part)
            else:
                counts.update((c.file, c.format) for c in part)
        return counts


def _line_candidate(block: LineBlock, i: int) -> Candidate:
    number, offset, text = block.line(i)
    return Candidate(f"line:{number}", number, offset, text, file=block.file)


def batches(
    items: Iterator[Found | Rejected | Candidate | LineBlock], max_records: int, max_bytes: int
) -> Iterator[Batch]:
    """Consecutive batches of at most `max_records` records or about `max_bytes` of JSON text."""
    batch = Batch([], [])
    count = size = 0
    for item in items:
        while isinstance(item, LineBlock) and len(item) > max_records - count:  # fill the batch, the rest after
            head, item = item.split(max_records - count)
            batch.candidates.append(head)
            yield batch.sealed()
            batch, count, size = Batch([], []), 0, 0
        if isinstance(item, LineBlock):
            batch.candidates.append(item)
            count, size = count + len(item), size + item.size
        elif isinstance(item, Candidate):
            batch.candidates.append(item)
            count, size = count + 1, size + len(item.text)
        elif isinstance(item, Found):
            batch.found.append(item)
            count, size = count + 1, size + len(item.text)
        else:
            batch.rejected.append(item)
            count += 1
        if count >= max_records or size >= max_bytes:
            yield batch.sealed()
            batch, count, size = Batch([], []), 0, 0
    yield batch.sealed()


class Prefetched:
    """Batches read and parsed in a thread, started at once, one batch ahead of the consumer.

    At most two batches are in memory; an error in the reader is raised in the consumer's thread.
    `close()` stops the reader early (a file found to be ingested already).
    """

    _DONE = object()

    def __init__(self, source: Iterator[Batch]):
        self._queue: Queue = Queue(maxsize=1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, args=(source,), name="signins-reader", daemon=True)
        self._thread.start()

    def _produce(self, source: Iterator[Batch]) -> None:
        try:
            for batch in source:
                if self._stop.is_set():
                    break
                self._queue.put(batch)
            self._queue.put(self._DONE)
        except BaseException as exc:  # handed to the consumer, which raises it
            self._queue.put(exc)
        finally:
            close = getattr(source, "close", None)
            if close:
                close()

    def __iter__(self) -> Iterator[Batch]:
        while (batch := self._queue.get()) is not self._DONE:
            if isinstance(batch, BaseException):
                raise batch
            yield batch
        self._thread.join()

    def close(self) -> None:
        self._stop.set()
        while self._thread.is_alive():
            try:
                self._queue.get(timeout=0.05)
            except Empty:
                pass
        self._thread.join()


CHUNK_ROWS = 2048


def _chunked(values: list, type_: pa.DataType) -> pa.ChunkedArray:
    """An Arrow column in chunks of CHUNK_ROWS rows: DuckDB scans an Arrow table one chunk per thread,
    so chunks let both cores parse JSON."""
    return pa.chunked_array(
        [column(values[i : i + CHUNK_ROWS], type_) for i in range(0, len(values), CHUNK_ROWS)], type=type_
    )


def batch_table(found: list[Found], candidates: Candidates) -> pa.Table:
    """Found records carry what the reader learnt of them; candidates only their text, place and the
    format they have if the database accepts them."""
    n_found, n = len(found), len(found) + len(candidates)
    unknown = [None] * len(candidates)
    taken = candidates.columns()
    columns = {
        "rn": (range(n), pa.int32()),
        "file": ([f.file for f in found] + taken["file"], pa.int32()),
        "candidate": ([False] * n_found + [True] * len(candidates), pa.bool_()),
        "locator": ([f.locator for f in found] + taken["locator"], pa.string()),
        "line": ([f.line for f in found] + taken["line"], pa.int32()),
        "byte_offset": ([f.offset for f in found] + taken["byte_offset"], pa.int64()),
        "byte_length": ([f.length for f in found] + taken["byte_length"], pa.int64()),
        "format": ([f.format for f in found] + taken["format"], pa.string()),
        "event_type": ([f.event_type for f in found] + unknown, pa.string()),
        "tenant_id": ([f.tenant_id for f in found] + unknown, pa.string()),
        "signin_id": ([f.signin_id for f in found] + unknown, pa.string()),
        "created_at": ([f.created_at for f in found] + unknown, pa.timestamp("us", tz="UTC")),
    }
    table = {name: _chunked(list(values), type_) for name, (values, type_) in columns.items()}
    table["doc"] = pa.chunked_array(_texts([f.text for f in found]).chunks + candidates.texts(), type=pa.large_binary())
    return pa.table(table)


def _texts(values: list[bytes]) -> pa.ChunkedArray:
    """JSON texts as large_binary chunks, each laid over one joined buffer.

    One copy of each text, of a known size: pa.array would grow its buffer by doubling, touching
    fresh memory several times over, which costs more than the copy itself.
    """
    chunks = []
    for start in range(0, len(values), CHUNK_ROWS):
        part = values[start : start + CHUNK_ROWS]
        offsets = array("q", accumulate(map(len, part), initial=0))
        buffers = [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(part))]
        chunks.append(pa.LargeBinaryArray.from_buffers(pa.large_binary(), len(part), buffers))
    return pa.chunked_array(chunks, type=pa.large_binary())
