"""Bytes to UTF-8 text: transparent gzip (with a zip-bomb guard), BOMs, UTF-16, binary detection."""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

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
    encoding: str        # utf-8, utf-8-sig, utf-16-le, utf-16-be (prefixed gzip+ when compressed)
    head: bytes          # the first bytes of the UTF-8 text, for format detection

    def lines(self, max_line: int) -> Iterator[tuple[int, int, bytes | int]]:
        """(line number from 1, byte offset in the UTF-8 text, line without its newline).

        A line longer than `max_line` is skipped without holding it in memory: its length (an int)
        stands in for the bytes.
        """
        offset, number = 0, 0
        while True:
            line = self.stream.readline(max_line + 1)
            if not line:
                return
            number += 1
            size = len(line)
            if size > max_line and not line.endswith(b"\n"):
                while (rest := self.stream.readline(1 << 20)) and not rest.endswith(b"\n"):
                    size += len(rest)
                size += len(rest)
                yield number, offset, size
            else:
                yield number, offset, line.rstrip(b"\r\n")
            offset += size


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
