"""What a reader hands the loader: records that became sign-ins, and records that were rejected."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from signins.ingest.shapes import Canonical

QUARANTINE_TEXT_LIMIT = 64 * 1024


@dataclass(slots=True)
class Found:
    """A record that is a sign-in: where it was, what it is, and its canonical JSON text.

    The parsed record itself is not kept: a batch holds tens of thousands of these, and holding their
    object trees would cost memory and garbage-collector time for nothing.
    """

    locator: str            # 'line:12', 'line:1/value/3', '/value/3', 'row:7'
    line: int | None
    offset: int | None      # byte offset of the record in the decoded UTF-8 text (lines only)
    length: int | None
    format: str             # shape/container, e.g. diag/ndjson, graph/document, log-analytics/csv
    event_type: str
    tenant_id: str | None
    signin_id: str
    created_at: datetime
    notes: list[str]
    text: bytes             # canonical (Graph beta shaped) JSON

    @classmethod
    def of(cls, locator: str, line: int | None, offset: int | None, length: int | None, container: str,
           canonical: Canonical, text: bytes) -> "Found":
        return cls(locator, line, offset, length, f"{canonical.shape}/{container}", canonical.event_type,
                   canonical.tenant_id, canonical.signin_id, canonical.created_at, canonical.notes, text)


@dataclass(slots=True)
class Candidate:
    """A JSON line of a file of plain Graph records, handed to the database unparsed.

    Parsing every line in Python and again in the database would pay for JSON twice: the database
    parses a candidate once, takes it when it is a plain Graph sign-in (signins.load), and hands back
    the lines it cannot vouch for, which the reader then reads like any other (FileReading.resolve).
    """

    FORMAT: ClassVar[str] = "graph/ndjson"   # the format of every candidate the database accepts

    locator: str
    line: int
    offset: int
    text: bytes


@dataclass
class Rejected:
    """A record (or the rest of a file) that cannot become a sign-in, with where and why."""

    locator: str
    line: int | None
    reason: str
    text: str = ""

    def __post_init__(self) -> None:
        self.text = self.text[:QUARANTINE_TEXT_LIMIT]
