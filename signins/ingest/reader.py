"""Read one input file: detect its format and yield every record as Found or Rejected.

Detection is per file, from its first bytes: gzip and text encoding (signins.ingest.decode), then
JSON lines, a whole JSON document, or CSV (Log Analytics or portal headers). The shape of each record
(Graph, Azure Monitor, Log Analytics, Elastic) is recognised per record (signins.ingest.shapes), so a
file mixing shapes still loads.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from signins.ingest import log_analytics, portal_csv
from signins.ingest.decode import Decoded, DecodeProblem, LineBlock, Prepended, looks_binary, open_decoded
from signins.ingest.documents import container_items, parse_document, stream_elements, stream_prefix
from signins.ingest.records import Candidate, Found, Rejected
from signins.ingest.shapes import NotASignin, canonicalise, checked
from signins.settings import IngestLimits

TRAILING_COMMA = "trailing comma after the record tolerated"
OPEN_BRACE = ord("{")


@dataclass
class FileReading:
    """A file being read: what it was found to be, and its records (a lazy iterator)."""

    path: Path
    encoding: str
    container: str  # ndjson, document, csv, unknown
    notes: list[str] = field(default_factory=list)
    items: Iterator[Found | Rejected | Candidate | LineBlock] = iter(())
    tenant: str | None = None

    def resolve(self, candidate: Candidate) -> list[Found | Rejected]:
        """Read a record the database handed back (not a plain Graph sign-in) as Python reads any other:
        a line as a line, the element of a page as the element it was (its text is orjson's writing of
        it, which orjson reads back to an equal value)."""
        if candidate.container == "ndjson":
            return _line_items(candidate.line, candidate.offset, candidate.text, self.tenant)
        element = orjson.loads(candidate.text)
        return [_found_or_rejected(element, candidate.locator, candidate.line, candidate.container, self.tenant)]


def _text_of(value: object) -> str:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    return orjson.dumps(value).decode() if not isinstance(value, str) else value


def _found_or_rejected(
    record: object,
    locator: str,
    line: int | None,
    container: str,
    tenant: str | None,
    original: bytes | None = None,
    offset: int | None = None,
) -> Found | Rejected:
    try:
        canonical = canonicalise(record, tenant)
    except NotASignin as exc:
        return Rejected(locator, line, str(exc), _text_of(original if original is not None else record))
    # A Graph record read from its own line goes to the database as its original text.
    text = original if original is not None and canonical.shape == "graph" else orjson.dumps(canonical.signin)
    length = len(original) if original is not None else None
    return Found.of(locator, line, offset, length, container, canonical, text)


def _is_page(root: object) -> bool:
    """A Graph response page (`{"value": [...]}`) or a bare array of records."""
    return isinstance(root, list) or (isinstance(root, dict) and isinstance(root.get("value"), list))


def _page_items(
    items: list[tuple[str, object]], line: int | None, container: str, tenant: str | None
) -> Iterator[Found | Rejected | Candidate]:
    """The elements of a cleanly parsed page. Once the first proves to be a plain Graph sign-in, the
    objects that follow go to the database as candidates, as the very text Python hands it for a
    Graph record (orjson.dumps of the element); whatever else is read here, as the slow path reads it."""
    plain_graph = None
    for pointer, element in items:
        if plain_graph and isinstance(element, dict):
            try:
                text = orjson.dumps(element)
            except orjson.JSONEncodeError:  # nested too deep for orjson: whatever Python makes of it
                pass
            else:
                yield Candidate(pointer, line, None, text, container)
                continue
        item = _found_or_rejected(element, pointer, line, container, tenant)
        if plain_graph is None:
            plain_graph = isinstance(item, Found) and item.format == f"graph/{container}"
        yield item


def _line_items(
    number: int, offset: int, line: bytes, tenant: str | None, pages_to_database: bool = False
) -> list[Found | Rejected | Candidate]:
    """The records of one JSON line: a sign-in, or a response page or Event Hub body of them.

    With `pages_to_database`, the elements of a Graph page on the line may come back as candidates
    (_page_items); never when the line needed leniency (a trailing comma)."""
    locator = f"line:{number}"
    notes: list[str] = []
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        stripped = line.rstrip().rstrip(b",")
        try:
            record = orjson.loads(stripped)
        except orjson.JSONDecodeError:
            return [Rejected(locator, number, f"malformed JSON: {exc}", _text_of(line))]
        line, notes = stripped, [TRAILING_COMMA]
    items = container_items(record, locator) if isinstance(record, (dict, list)) else [(locator, record)]
    if len(items) == 1 and items[0][0] == locator:
        results = [_found_or_rejected(record, locator, number, "ndjson", tenant, line, offset)]
    elif pages_to_database and not notes and _is_page(record):
        return list(_page_items(items, number, "page", tenant))
    else:  # a response page or Event Hub body on one line
        results = [_found_or_rejected(element, pointer, number, "page", tenant) for pointer, element in items]
    for item in results:
        if isinstance(item, Found):
            item.notes.extend(notes)
    return results


def _ndjson(
    decoded: Decoded, limits: IngestLimits, tenant: str | None
) -> Iterator[Found | Rejected | Candidate | LineBlock]:
    """Every line's records. Once the first line proves to be a plain Graph sign-in, the lines that
    follow go to the database unparsed, as candidates (see Candidate): a block of lines that all open
    a JSON object as it is, without a Candidate per line; so do the elements of a Graph page on a line
    after its first (_page_items)."""
    to_database = limits.database_reads_graph_lines
    plain_graph = None if to_database else False
    for block in decoded.blocks(limits.max_record_bytes):
        if (
            plain_graph
            and isinstance(block, LineBlock)
            and all(block.data[start] == OPEN_BRACE for start in block.starts)
        ):
            yield block
            continue
        for number, offset, line in block.lines():
            if isinstance(line, int):
                yield Rejected(
                    f"line:{number}", number, f"record of {line} bytes exceeds the {limits.max_record_bytes} byte limit"
                )
                continue
            if not line.strip():
                continue
            if plain_graph and line[:1] == b"{":
                yield Candidate(f"line:{number}", number, offset, line)
                continue
            items = _line_items(number, offset, line, tenant, to_database)
            if plain_graph is None:
                plain_graph = len(items) == 1 and isinstance(items[0], Found) and items[0].format == "graph/ndjson"
            yield from items


def _document(
    decoded: Decoded, limits: IngestLimits, tenant: str | None, notes: list[str]
) -> Iterator[Found | Rejected | Candidate]:
    text = decoded.stream.read(limits.max_document_bytes + 1)
    if len(text) > limits.max_document_bytes:
        yield from _streamed_document(text, decoded, tenant, notes)
        return
    document = parse_document(text)
    if document.failure and document.failure[0] == "/" and text.count(b"\n") > 1:
        # Not one JSON document after all (a stray first line?): read it line by line, keeping what parses.
        notes.append("not a single JSON document: read as JSON lines")
        yield from _ndjson(Decoded(io.BytesIO(text), "", text[:1]), limits, tenant)
        return
    notes.extend(document.notes)
    if limits.database_reads_graph_lines and document.clean and _is_page(document.root):
        yield from _page_items(document.items, None, "document", tenant)
        return
    for pointer, element in document.items:
        yield _found_or_rejected(element, pointer, None, "document", tenant)
    if document.failure:
        pointer, line, reason = document.failure
        yield Rejected(pointer, line, reason, text[-2048:].decode("utf-8", errors="replace"))


def _streamed_document(
    start: bytes, decoded: Decoded, tenant: str | None, notes: list[str]
) -> Iterator[Found | Rejected]:
    """A document over the in-memory budget, read element by element."""
    prefix = stream_prefix(start[: 1 << 20])
    if prefix is None:
        yield Rejected("/", 1, "JSON document too large to read at once and not an array of records")
        return
    notes.append("large document streamed element by element (no lenient parsing)")
    stream = io.BufferedReader(Prepended(start, decoded.stream), buffer_size=1 << 20)
    for pointer, element, *failure in stream_elements(stream, prefix):
        if failure:
            yield Rejected(pointer, None, failure[0])
        else:
            yield _found_or_rejected(element, pointer, None, "document", tenant)


def _csv_rows(decoded: Decoded, limits: IngestLimits) -> Iterator[tuple[int, list[str], str | None]]:
    """(first line of the row, its cells, None) for every CSV row, header included; (line, [], why) for a
    row that cannot be read: over the size limit (skipped without being held in memory) or refused by
    the csv module (a NUL byte).

    Rows are cut here, not by the csv module: a row ends at a line end outside quotes (RFC 4180; a
    doubled quote inside a cell toggles twice). So a row that cannot be read costs that row alone, and
    the rows after it still load."""
    stream, line, first, quotes, size, row = decoded.stream, 1, 1, 0, 0, []
    while chunk := stream.readline(1 << 20):
        size += len(chunk)
        quotes += chunk.count(b'"')
        if size <= limits.max_record_bytes:
            row.append(chunk)
        line += chunk.endswith(b"\n")
        if chunk.endswith(b"\n") and quotes % 2 == 0:
            yield first, *_cells(row, size, limits)
            first, quotes, size, row = line, 0, 0, []
    if size:
        yield first, *_cells(row, size, limits)


def _cells(row: list[bytes], size: int, limits: IngestLimits) -> tuple[list[str], str | None]:
    """The cells of one CSV row, or why it cannot be read."""
    if size > limits.max_record_bytes:
        return [], f"row of {size} bytes exceeds the {limits.max_record_bytes} byte limit"
    text = b"".join(row).decode("utf-8", errors="replace")
    try:
        return next(csv.reader(io.StringIO(text, newline="")), []), None
    except csv.Error as exc:
        return [], f"unreadable CSV row: {exc}"


def _csv(
    decoded: Decoded, path: Path, limits: IngestLimits, tenant: str | None, notes: list[str]
) -> Iterator[Found | Rejected]:
    rows = _csv_rows(decoded, limits)
    _, headers, _ = next(rows, (1, [], None))
    headers = [h.replace("\ufeff", "") for h in headers]
    portal = portal_csv.is_portal_header(headers)
    if not portal and not log_analytics.looks_like_row(log_analytics.merge_csv_columns(dict.fromkeys(headers, ""))):
        yield Rejected("row:0", 1, f"CSV with unknown columns ({', '.join(headers[:5])}, ...): not a sign-in export")
        return
    if portal and (unknown := portal_csv.unknown_columns(headers)):
        notes.append(f"columns not mapped (kept in the raw file): {', '.join(unknown)}")
    event_type = next(
        (t for p, t in portal_csv.EVENT_TYPE_BY_FILE_PREFIX.items() if path.name.lower().startswith(p)),
        "interactiveUser",
    )
    for number, (line, cells, problem) in enumerate(rows, start=1):
        locator = f"row:{number}"
        if problem:
            yield Rejected(locator, line, problem)
            continue
        if not any(c.strip() for c in cells):
            continue
        raw = ",".join(cells)
        if len(cells) != len(headers):
            yield Rejected(
                locator,
                line,
                f"row has {len(cells)} cells but the header has {len(headers)} (truncated or misquoted)",
                raw,
            )
            continue
        if portal:
            try:
                canonical = checked("portal-csv", portal_csv.to_graph(headers, cells), event_type, tenant, [])
            except NotASignin as exc:
                yield Rejected(locator, line, str(exc), raw)
                continue
            yield Found.of(locator, line, None, None, "csv", canonical, orjson.dumps(canonical.signin))
        else:
            yield _found_or_rejected(dict(zip(headers, cells, strict=False)), locator, line, "csv", tenant)


def _is_ndjson(head: bytes) -> bool:
    """JSON lines when the first line is a complete JSON value (or too long to tell from the head)."""
    first, newline, _ = head.lstrip().partition(b"\n")
    if not newline:
        return not first.startswith(b"[")
    try:
        orjson.loads(first.rstrip().rstrip(b","))
    except orjson.JSONDecodeError:
        return False
    return True


def _first_line_fits(decoded: Decoded, limits: IngestLimits) -> tuple[Decoded, bool]:
    """For a file that opens with a page of records on a line longer than the head: whether that line fits
    the record size limit (a page saved on a line, read as JSON lines), or not (a compact page of any size,
    read as a document, element by element). Reads at most the limit ahead, and puts it back; should the
    stream fail meanwhile (a truncated gzip), it fails again where the records are read."""
    chunks, size, tail = [], 0, decoded.stream
    try:
        while size <= limits.max_record_bytes and (chunk := decoded.stream.read(1 << 20)):
            chunks.append(chunk)
            size += len(chunk)
            if b"\n" in chunk:
                break
    except DecodeProblem as problem:
        tail = _Failing(problem)
    start = b"".join(chunks)
    stream = io.BufferedReader(Prepended(start, tail), buffer_size=1 << 20)
    return Decoded(stream, decoded.encoding, decoded.head), b"\n" in start or size <= limits.max_record_bytes


class _Failing(io.RawIOBase):
    """A stream that already failed: reading it raises that failure again."""

    def __init__(self, problem: DecodeProblem):
        self.problem = problem

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        raise self.problem


def _guarded(items: Iterator[Found | Rejected]) -> Iterator[Found | Rejected]:
    """Turn a failure of the byte stream (truncated gzip, zip bomb) into one rejection for the rest."""
    try:
        yield from items
    except DecodeProblem as exc:
        yield Rejected("eof", None, f"{exc}; the records before it were kept")


def read_file(path: Path, limits: IngestLimits, tenant: str | None = None) -> FileReading:
    """Open a file, detect its format, and return its records as a lazy iterator."""
    try:
        decoded = open_decoded(path, limits.max_gzip_ratio)
    except DecodeProblem as exc:
        return FileReading(path, "unknown", "unknown", items=iter([Rejected("/", None, str(exc))]))
    head = decoded.head.lstrip()
    reading = FileReading(path, decoded.encoding, "unknown", tenant=tenant)
    if decoded.encoding.endswith("-sig"):
        reading.notes.append("UTF-8 byte order mark skipped")
    if not head:
        reading.notes.append("empty file: no records")
        return reading
    if looks_binary(decoded.head):
        reading.items = iter(
            [Rejected("/", None, "binary data, not a text export (JSON, JSON lines or CSV)", repr(decoded.head[:64]))]
        )
        return reading
    if head[:1] in (b"{", b"["):
        ndjson = _is_ndjson(head)
        if ndjson and b"\n" not in head and stream_prefix(head) is not None:
            decoded, ndjson = _first_line_fits(decoded, limits)
        reading.container = "ndjson" if ndjson else "document"
        items = (
            _ndjson(decoded, limits, tenant)
            if reading.container == "ndjson"
            else _document(decoded, limits, tenant, reading.notes)
        )
        reading.items = _guarded(items)
    elif b"," in head.partition(b"\n")[0]:
        reading.container = "csv"
        reading.items = _guarded(_csv(decoded, path, limits, tenant, reading.notes))
    else:
        start = head[:40].decode("utf-8", errors="replace")
        reading.items = iter(
            [Rejected("/", 1, f"unknown format: neither JSON, JSON lines nor CSV (starts with {start!r})")]
        )
    return reading
