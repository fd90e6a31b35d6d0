"""Records grouped into batches bound for one transaction each, as Arrow tables DuckDB reads directly.

Reading and parsing the next batch runs in a thread while the database writes the current one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from queue import Queue
from typing import Iterator

import pyarrow as pa

from signins.ingest.records import Found, Rejected


@dataclass
class Batch:
    """Records bound for one transaction, with the Arrow table the database reads them from."""

    found: list[Found]
    rejected: list[Rejected]
    table: pa.Table | None

    @classmethod
    def of(cls, found: list[Found], rejected: list[Rejected], file_sha: str) -> "Batch":
        return cls(found, rejected, batch_table(found, file_sha) if found else None)


def batches(items: Iterator[Found | Rejected], file_sha: str, max_records: int, max_bytes: int) -> Iterator[Batch]:
    """Consecutive batches of at most `max_records` records or about `max_bytes` of JSON text."""
    found: list[Found] = []
    rejected: list[Rejected] = []
    size = 0
    for item in items:
        if isinstance(item, Found):
            found.append(item)
            size += len(item.text)
        else:
            rejected.append(item)
        if len(found) + len(rejected) >= max_records or size >= max_bytes:
            yield Batch.of(found, rejected, file_sha)
            found, rejected, size = [], [], 0
    yield Batch.of(found, rejected, file_sha)


def prefetched(source: Iterator[Batch]) -> Iterator[Batch]:
    """Read and parse the next batch in a thread while the database writes the current one.

    At most two batches are in memory; an error in the reader is raised here, in the caller's thread.
    """
    queue: Queue = Queue(maxsize=1)
    done = object()

    def produce() -> None:
        try:
            for batch in source:
                queue.put(batch)
            queue.put(done)
        except BaseException as exc:  # handed to the consumer, which raises it
            queue.put(exc)

    worker = threading.Thread(target=produce, name="signins-reader", daemon=True)
    worker.start()
    while (batch := queue.get()) is not done:
        if isinstance(batch, BaseException):
            raise batch
        yield batch
    worker.join()


CHUNK_ROWS = 2048


def _chunked(values: list, type_: pa.DataType) -> pa.ChunkedArray:
    """An Arrow column in chunks of CHUNK_ROWS rows.

    DuckDB scans an Arrow table one chunk per thread, so chunks let both cores parse JSON; and building
    the large JSON-text column in small pieces avoids growing (and copying) one huge buffer.
    """
    return pa.chunked_array([pa.array(values[i:i + CHUNK_ROWS], type_) for i in range(0, len(values), CHUNK_ROWS)],
                            type=type_)


def batch_table(found: list[Found], file_sha: str) -> pa.Table:
    columns = {
        "record_key": ([f"{file_sha}:{f.locator}" for f in found], pa.string()),
        "locator": ([f.locator for f in found], pa.string()),
        "line": ([f.line for f in found], pa.int32()),
        "byte_offset": ([f.offset for f in found], pa.int64()),
        "byte_length": ([f.length for f in found], pa.int64()),
        "format": ([f.format for f in found], pa.string()),
        "event_type": ([f.event_type for f in found], pa.string()),
        "tenant_id": ([f.tenant_id for f in found], pa.string()),
        "signin_id": ([f.signin_id for f in found], pa.string()),
        "created_at": ([f.created_at for f in found], pa.timestamp("us", tz="UTC")),
        "doc": ([f.text for f in found], pa.binary()),
    }
    table = pa.table({name: _chunked(values, type_) for name, (values, type_) in columns.items()})
    return table.set_column(table.schema.get_field_index("doc"), "doc", table["doc"].cast(pa.string()))
