"""What a reader hands the loader: records that became sign-ins, and records that were rejected."""

from __future__ import annotations

from dataclasses import dataclass

from signins.ingest.shapes import Canonical

QUARANTINE_TEXT_LIMIT = 64 * 1024


@dataclass
class Found:
    """A record that is a sign-in, where it was, and its canonical JSON text for the database."""

    locator: str            # 'line:12', 'line:1/value/3', '/value/3', 'row:7'
    line: int | None
    offset: int | None      # byte offset of the record in the decoded UTF-8 text, when contiguous
    length: int | None
    container: str          # ndjson, document, csv
    canonical: Canonical
    text: bytes             # canonical (Graph beta shaped) JSON


@dataclass
class Rejected:
    """A record (or the rest of a file) that cannot become a sign-in, with where and why."""

    locator: str
    line: int | None
    reason: str
    text: str = ""

    def __post_init__(self) -> None:
        self.text = self.text[:QUARANTINE_TEXT_LIMIT]
