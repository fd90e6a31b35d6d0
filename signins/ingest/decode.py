"""Bytes to UTF-8 text: transparent gzip (with a zip-bomb guard), BOMs, UTF-16, binary detection."""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
SNIFF_BYTES = 8192


class DecodeProblem(Exception):
    """The bytes cannot be read further (truncated gzip, zip bomb, undecodable text)."""


class _GuardedGunzip(io.RawIOBase):
    """Decompresses gzip (also multi-member) and refuses to expand past a byte budget."""

    def __init__(self, raw: BinaryIO, budget: int):
        self._raw, self._budget, self._out = raw, budget, 0
        self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._pending = b""
        self._eof = False
        self._in_member = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending and not self._eof:
            self._pending = self._inflate_some(len(buffer))
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def _inflate_some(self, want: int) -> bytes:
        data = self._inflater.unconsumed_tail or self._raw.read(1 << 16)
        if not data:
            if self._in_member:
                raise DecodeProblem(f"gzip stream is truncated after {self._out} decompressed bytes")
            self._eof = True
            return b""
        self._in_member = True
        try:
            out = self._inflater.decompress(data, max(want, 1 << 16))
        except zlib.error as exc:
            raise DecodeProblem(f"corrupt gzip data after {self._out} decompressed bytes: {exc}") from None
        if self._inflater.eof:  # another gzip member may follow
            rest = self._inflater.unused_data
            self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            self._in_member = False
            if rest:
                self._raw = io.BufferedReader(Prepended(rest, self._raw))
        self._out += len(out)
        if self._out > self._budget:
            raise DecodeProblem(f"gzip expands beyond {self._budget} bytes (a zip bomb?); stopped")
        return out


class Prepended(io.RawIOBase):
    """Bytes already read, then the rest of a stream."""

    def __init__(self, head: bytes, tail: BinaryIO):
        self._head, self._tail = memoryview(head), tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if len(self._head):
            size = min(len(buffer), len(self._head))
            buffer[:size], self._head = self._head[:size], self._head[size:]
            return size
        data = self._tail.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


@dataclass
class Decoded:
    """A readable UTF-8 byte stream of a file, with what was undone to get it."""

    stream: BinaryIO
    encoding: str  # utf-8, utf-8-sig, utf-16-le, utf-16-be (prefixed gzip+ when compressed)
    head: bytes  # the first bytes of the UTF-8 text, for format detection

    def blocks(self, max_line: int) -> Iterator[LineBlock | LongLine]:
        """The text as blocks of whole lines lying in the buffers they were read into (a block's lines
        can go to the database as they are); a line longer than `max_line` (without its newline) is
        skipped without holding it in memory, a LongLine in its place.

        `read1` reads BLOCK_BYTES straight into a new buffer, and never hands out bytes it read along
        with an error: a stream that breaks (a truncated gzip) loses only the line it broke in."""
        number, offset, pieces = 1, 0, []  # pieces: the start of a line the last reads ended in
        while True:
            chunk = self.stream.read1(BLOCK_BYTES)
            if not chunk:
                if pieces:  # the last line, without a line end
                    yield from LineBlock(number, offset, b"".join(pieces), 0, [sum(map(len, pieces))]).bounded(max_line)
                return
            first = chunk.find(b"\n")
            if first < 0:
                pieces.append(chunk)
                if (size := sum(map(len, pieces))) > max_line:
                    size += _skip_line(self.stream)
                    yield LongLine(number, offset, size)
                    number, offset, pieces = number + 1, offset + size, []
                continue
            start = 0
            if pieces:  # that line, now whole: a block of its own
                line = b"".join([*pieces, chunk[: first + 1]])
                yield from LineBlock(number, offset, line, 0, [len(line)]).bounded(max_line)
                number, offset, pieces, start = number + 1, offset + len(line), [], first + 1
            last = chunk.rfind(b"\n")
            if last >= start:
                for part in LineBlock(number, offset, chunk, start, _line_ends(chunk, start, last + 1)).bounded(
                    max_line
                ):
                    yield part
                    number, offset = number + len(part), offset + part.size
            if last + 1 < len(chunk):
                pieces.append(chunk[last + 1 :])


BLOCK_BYTES = 8 * 1024 * 1024


@dataclass(slots=True)
class LongLine:
    """A line over the record size limit, skipped: where it was and how long."""

    number: int
    offset: int
    size: int

    def __len__(self) -> int:
        return 1

    def lines(self) -> list[tuple[int, int, int]]:
        """As LineBlock.lines, its size standing in for its bytes."""
        return [(self.number, self.offset, self.size)]


@dataclass(slots=True)
class LineBlock:
    """Consecutive whole lines of the text lying in one buffer: line i spans data[start:ends[0]] (i = 0)
    or data[ends[i-1]:ends[i]], its line end included (the last line of a text may have none)."""

    number: int  # the first line's number (from 1)
    offset: int  # the first line's byte offset in the UTF-8 text
    data: bytes
    start: int
    ends: list[int]
    file: int = 0  # which file of a load the lines are from (signins.ingest.writer)

    def __len__(self) -> int:
        return len(self.ends)

    @property
    def size(self) -> int:
        return self.ends[-1] - self.start

    @property
    def starts(self) -> list[int]:
        return [self.start, *self.ends[:-1]]

    def line(self, i: int) -> tuple[int, int, bytes]:
        """Line i: its number, its byte offset in the text and its bytes without the line end."""
        start = self.ends[i - 1] if i else self.start
        return self.number + i, self.offset + start - self.start, self.data[start : self.ends[i]].rstrip(b"\r\n")

    def lines(self) -> Iterator[tuple[int, int, bytes]]:
        return (self.line(i) for i in range(len(self)))

    def content_lengths(self) -> list[int]:
        """Each line's length without its line end."""
        data = self.data
        if data.find(b"\r", self.start, self.ends[-1]) < 0 and data[self.ends[-1] - 1] == 10:
            return [end - start - 1 for start, end in zip(self.starts, self.ends, strict=False)]
        lengths = []
        for start, end in zip(self.starts, self.ends, strict=False):
            while end > start and data[end - 1] in (10, 13):
                end -= 1
            lengths.append(end - start)
        return lengths

    def split(self, count: int) -> tuple[LineBlock, LineBlock]:
        """The first `count` lines, and the rest."""
        head = LineBlock(self.number, self.offset, self.data, self.start, self.ends[:count], self.file)
        return head, LineBlock(
            self.number + count, self.offset + head.size, self.data, head.ends[-1], self.ends[count:], self.file
        )

    def bounded(self, max_line: int) -> Iterator[LineBlock | LongLine]:
        """The block, with any line over `max_line` bytes (its newline not counted) as a LongLine of its own."""
        if self.size <= max_line:
            yield self
            return
        rest = self
        while len(rest):
            long = next(
                (
                    i
                    for i, (start, end) in enumerate(zip(rest.starts, rest.ends, strict=False))
                    if end - start - (rest.data[end - 1] == 10) > max_line
                ),
                None,
            )
            if long is None:
                yield rest
                return
            if long:
                head, rest = rest.split(long)
                yield head
            line, rest = rest.split(1)
            yield LongLine(line.number, line.offset, line.size)


def _skip_line(stream: BinaryIO) -> int:
    """Read past the rest of a line; how many bytes that was, its line end included."""
    size = 0
    while (rest := stream.readline(1 << 20)) and not rest.endswith(b"\n"):
        size += len(rest)
    return size + len(rest)


def _line_ends(data: bytes, start: int, end: int) -> list[int]:
    """Where each line of data[start:end] ends (after its newline); data[end - 1] is a newline."""
    ends, position, find = [], start, data.find
    while position < end:
        position = find(b"\n", position, end) + 1
        ends.append(position)
    return ends


def looks_binary(head: bytes) -> bool:
    """True when the sample is not text: NUL bytes or many control characters."""
    if not head:
        return False
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return b"\x00" in head or controls > len(head) // 20


def _text_encoding(head: bytes) -> tuple[str, int]:
    """(encoding, BOM length) from the first bytes."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", 3
    if head.startswith(b"\xff\xfe"):
        return "utf-16-le", 2
    if head.startswith(b"\xfe\xff"):
        return "utf-16-be", 2
    if len(head) >= 4 and head[1] == 0 and head[3] == 0 and head[0] and head[2]:
        return "utf-16-le", 0
    if len(head) >= 4 and head[0] == 0 and head[2] == 0 and head[1] and head[3]:
        return "utf-16-be", 0
    return "utf-8", 0


class _Utf16ToUtf8(io.RawIOBase):
    """Re-encodes a UTF-16 byte stream as UTF-8, so every reader sees one encoding."""

    def __init__(self, raw: BinaryIO, encoding: str):
        self._text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            chunk = self._text.read(1 << 16)
            if not chunk:
                return 0
            self._pending = chunk.encode("utf-8", errors="surrogatepass")
        size = min(len(buffer), len(self._pending))
        buffer[:size], self._pending = self._pending[:size], self._pending[size:]
        return size


def open_decoded(path: Path, max_gzip_ratio: int) -> Decoded:
    """Open a file as UTF-8 bytes, undoing gzip, a BOM and UTF-16 (PowerShell writes it)."""
    raw = open(path, "rb")
    compressed = raw.read(2) == GZIP_MAGIC
    raw.seek(0)
    stream: BinaryIO = raw
    if compressed:
        budget = max(path.stat().st_size * max_gzip_ratio, 64 * 1024 * 1024)
        stream = io.BufferedReader(_GuardedGunzip(raw, budget), buffer_size=1 << 20)
    else:
        stream = io.BufferedReader(raw, buffer_size=1 << 20)
    encoding, bom = _text_encoding(stream.peek(4)[:4])
    if bom:
        stream.read(bom)
    if encoding.startswith("utf-16"):
        stream = io.BufferedReader(_Utf16ToUtf8(stream, encoding.replace("-", "_")), buffer_size=1 << 20)
    head = stream.peek(SNIFF_BYTES)[:SNIFF_BYTES]
    return Decoded(stream, ("gzip+" if compressed else "") + encoding, head)
