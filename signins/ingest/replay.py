"""Replay a raw record from the blob store: the exact bytes of a line, or the element a JSON pointer names."""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from pathlib import Path

import duckdb
import orjson

from signins.ingest import blobs
from signins.ingest.decode import open_decoded
from signins.ingest.documents import parse_document
from signins.settings import IngestLimits


def _decoded_copy(blob_root: Path, blob_path: str, workdir: Path) -> Path:
    """The blob as a plain file again (as it was on disk), so it decodes like the original did."""
    target = workdir / "original"
    with blobs.open_blob(blob_root, blob_path) as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return target


def record_text(con: duckdb.DuckDBPyConnection, blob_root: Path, record_key: str) -> bytes:
    """The record's original text: exact bytes for lines; the element, as JSON, for JSON pointers and CSV rows."""
    row = con.execute(
        "SELECT f.blob_path, r.locator, r.byte_offset, r.byte_length FROM raw_records r "
        "JOIN raw_files f USING (file_sha256) WHERE r.record_key = ?",
        [record_key],
    ).fetchall()
    if not row:
        raise KeyError(record_key)
    blob_path, locator, offset, length = row[0]
    limits = IngestLimits()
    with tempfile.TemporaryDirectory() as workdir:
        decoded = open_decoded(_decoded_copy(blob_root, blob_path, Path(workdir)), limits.max_gzip_ratio)
        if offset is not None and length is not None:
            decoded.stream.read(offset)
            return decoded.stream.read(length)
        if locator.startswith("row:"):
            rows = csv.reader(io.TextIOWrapper(decoded.stream, encoding="utf-8", errors="replace", newline=""))
            headers = next(rows)
            for number, cells in enumerate(rows, start=1):
                if number == int(locator[4:]):
                    return orjson.dumps(dict(zip(headers, cells, strict=False)))
            raise KeyError(record_key)
        text = decoded.stream.read()
    if locator.startswith("line:"):  # an element of a container on one line
        line_no, _, pointer = locator[5:].partition("/")
        text, locator = text.splitlines()[int(line_no) - 1], "/" + pointer
    items = dict(parse_document(text).items)
    return orjson.dumps(items[locator])
