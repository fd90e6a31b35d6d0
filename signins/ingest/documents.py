"""Whole-document JSON (a Graph page, a bare array, `{"records": [...]}`, one object).

A document that fits the in-memory budget is parsed at once (orjson), then leniently when real exports
are slightly off (trailing commas), and, when it is cut short, salvaged element by element so the
complete records still load. A larger one is streamed element by element (ijson), so memory stays
bounded whatever its size.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import ijson
import orjson

CONTAINER_KEYS = ("value", "records", "expected")  # Graph page, Event Hub body, Elastic test output
_TRAILING_COMMA = re.compile(rb",(\s*[}\]])")
DUPLICATE_CHECK_LIMIT = 16 * 1024 * 1024


@dataclass
class ParsedDocument:
    items: list[tuple[str, object]]  # (JSON pointer, element)
    notes: list[str] = field(default_factory=list)
    failure: tuple[str, int, str] | None = None  # (pointer, line, reason) where reading stopped
    root: object = None  # the parsed document, when it parsed as a whole

    @property
    def clean(self) -> bool:
        """Parsed as a whole, strictly, with nothing tolerated (no trailing comma, no repeated key)."""
        return self.root is not None and not self.notes and not self.failure


def container_items(root: object, prefix: str = "") -> list[tuple[str, object]]:
    """The records a parsed JSON value holds, each with its JSON pointer."""
    if isinstance(root, list):
        return [(f"{prefix}/{i}", item) for i, item in enumerate(root)]
    if isinstance(root, dict):
        for key in CONTAINER_KEYS:
            if isinstance(root.get(key), list):
                return [(f"{prefix}/{key}/{i}", item) for i, item in enumerate(root[key])]
    return [(prefix or "/", root)]


def _may_repeat_keys(text: bytes, root: object) -> bool:
    """False when the document certainly repeats no key, found without parsing it again.

    Outside strings, a colon separates the key and value of one member; inside them, a colon is
    written as it is, or escaped (\\u003a). Without that escape, orjson's writing of the parsed
    document holds as many colons as the text unless members were dropped, which happens only to
    repeated keys (the last value is kept).
    """
    if b"\\u003a" in text or b"\\u003A" in text:
        return True
    try:
        return orjson.dumps(root).count(b":") != text.count(b":")
    except orjson.JSONEncodeError:
        return True


def _duplicate_keys(text: bytes) -> int:
    """How many objects repeat a key (Python and orjson keep the last value)."""
    found = 0

    def hook(pairs):
        nonlocal found
        keys = [k for k, _ in pairs]
        found += len(keys) != len(set(keys))
        return dict(pairs)

    try:
        json.loads(text, object_pairs_hook=hook)
    except (ValueError, RecursionError):
        return 0
    return found


def _line_of(text: bytes, index: int) -> int:
    return text.count(b"\n", 0, index) + 1


def _salvage(text: bytes) -> ParsedDocument:
    """Read the record array element by element; stop at the first element that cannot be read."""
    decoder = json.JSONDecoder()
    body = text.decode("utf-8", errors="replace")
    match = re.match(r'\s*\{[^\[]*?"(value|records|expected)"\s*:\s*\[', body) or re.match(r"\s*\[", body)
    if not match:
        return ParsedDocument([], failure=("/", 1, "malformed JSON document (no record array found)"))
    prefix = f"/{match.group(1)}" if match.groups() else ""
    items, index = [], match.end()
    while True:
        while index < len(body) and body[index] in " \t\r\n,":
            index += 1
        if index >= len(body) or body[index] == "]":
            reason = (
                "document ends without closing its array (truncated)"
                if index >= len(body)
                else _after_array(body[index + 1 :], bool(prefix))
            )
            failure = (f"{prefix}/{len(items)}", body.count("\n", 0, index) + 1, reason) if reason else None
            return ParsedDocument(items, failure=failure)
        try:
            element, index = decoder.raw_decode(body, index)
        except (ValueError, RecursionError) as exc:
            reason = f"truncated or malformed JSON: {getattr(exc, 'msg', str(exc))}"
            return ParsedDocument(items, failure=(f"{prefix}/{len(items)}", body.count("\n", 0, index) + 1, reason))
        items.append((f"{prefix}/{len(items)}", element))


def _after_array(rest: str, in_object: bool) -> str | None:
    """Why the text after the record array does not end the document (e.g. JSON lines appended to a
    page), so that it is quarantined rather than dropped unread; None when it ends it (or is cut off)."""
    try:
        orjson.loads(('{"value": []' if in_object else "[]") + rest)
    except orjson.JSONDecodeError:
        if rest.strip():
            return f"{len(rest.strip())} characters after the record array are not part of the document: not read"
    return None


def parse_document(text: bytes) -> ParsedDocument:
    """The records of a whole JSON document, with the defects that were tolerated."""
    notes: list[str] = []
    try:
        root = orjson.loads(text)
    except orjson.JSONDecodeError:
        fixed = _TRAILING_COMMA.sub(rb"\1", text)
        try:
            root = orjson.loads(fixed)
            notes.append("trailing comma(s) tolerated")
            text = fixed
        except orjson.JSONDecodeError:
            return _salvage(text)
    if len(text) <= DUPLICATE_CHECK_LIMIT and _may_repeat_keys(text, root) and (count := _duplicate_keys(text)):
        notes.append(f"duplicate keys in {count} object(s): the last value of each was used")
    return ParsedDocument(container_items(root), notes, root=root)


_ARRAY_START = re.compile(rb'^\s*(?:\[|\{.*?"(value|records|expected)"\s*:\s*\[)', re.S)


def stream_prefix(head: bytes) -> str | None:
    """The ijson prefix of the record array a document starts with, from its first bytes."""
    match = _ARRAY_START.match(head)
    if not match:
        return None
    return f"{match.group(1).decode()}.item" if match.group(1) else "item"


def stream_elements(stream: BinaryIO, prefix: str) -> Iterator[tuple[str, object] | tuple[str, None, str]]:
    """(pointer, element) for every element of the array; a final (pointer, None, reason) if reading stops."""
    base = "/" + prefix.removesuffix("item").rstrip(".").replace(".", "/") if prefix != "item" else ""
    index = 0
    try:
        # Several documents one after another (pages saved one per line) stream as one run of elements.
        for element in ijson.items(stream, prefix, use_float=True, multiple_values=True):
            yield f"{base}/{index}", element
            index += 1
    except (ijson.JSONError, ijson.IncompleteJSONError) as exc:
        yield f"{base}/{index}", None, f"truncated or malformed JSON: {str(exc).splitlines()[0][:200]}"
