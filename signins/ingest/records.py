"""What a reader hands the loader: records that became sign-ins, and records that were rejected."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from signins.ingest.shapes import Canonical

QUARANTINE_TEXT_LIMIT = 64 * 1024


@dataclass(slots=True)
class Found:
    """A record that is a sign-in: where it was, what it is, and its canonical JSON text.

    The parsed record itself is not kept: a batch holds tens of thousands of these, and holding their
    object trees would cost memory and garbage-collector time for nothing.
    """

    locator: str  # 'line:12', 'line:1/value/3', '/value/3', 'row:7'
    line: int | None
    offset: int | None  # byte offset of the record in the decoded UTF-8 text (lines only)
    length: int | None
    format: str  # shape/container, e.g. diag/ndjson, graph/document, log-analytics/csv
    event_type: str
    tenant_id: str | None
    signin_id: str
    created_at: datetime
    notes: list[str]
    text: bytes  # canonical (Graph beta shaped) JSON
    file: int = 0  # which file of a load it is from (signins.ingest.writer)

    @classmethod
    def of(
        cls,
        locator: str,
        line: int | None,
        offset: int | None,
        length: int | None,
        container: str,
        canonical: Canonical,
        text: bytes,
    ) -> Found:
        return cls(
            locator,
            line,
            offset,
            length,
            f"{canonical.shape}/{container}",
            canonical.event_type,
            canonical.tenant_id,
            canonical.signin_id,
            canonical.created_at,
            canonical.notes,
            text,
        )


@dataclass(slots=True)
class Candidate:
    """A Graph record handed to the database as JSON text, without Python reading it as a sign-in.

    Parsing every record in Python and again in the database would pay for JSON twice: the database
    parses a candidate once, takes it when it is a plain Graph sign-in (signins.ingest.load), and hands back
    the records it cannot vouch for, which the reader then reads like any other (FileReading.resolve).

    A candidate is either a JSON line of a file of plain Graph records (container `ndjson`: its text is
    the line as it is, unparsed), or an element of a Graph response page whose first element is a plain
    Graph sign-in (container `document` or, for a page on one line, `page`: its text is the element as
    Python would hand it to the database, orjson.dumps of the parsed element).
    """

    locator: str  # 'line:12', '/value/3', 'line:1/value/3'
    line: int | None
    offset: int | None  # byte offset of a JSON line; None for the element of a page
    text: bytes
    container: str = "ndjson"
    file: int = 0  # which file of a load it is from (signins.ingest.writer)

    @property
    def format(self) -> str:
        """The format of the record when the database accepts it, e.g. graph/ndjson, graph/page."""
        return f"graph/{self.container}"

    @property
    def length(self) -> int | None:
        """The byte length the raw layer records: that of a line; none for the element of a page."""
        return len(self.text) if self.container == "ndjson" else None


@dataclass
class Rejected:
    """A record (or the rest of a file) that cannot become a sign-in, with where and why."""

    locator: str
    line: int | None
    reason: str
    text: str = ""
    file: int = 0  # which file of a load it is from (signins.ingest.writer)

    def __post_init__(self) -> None:
        self.text = self.text[:QUARANTINE_TEXT_LIMIT]
