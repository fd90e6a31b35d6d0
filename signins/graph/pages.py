"""One Graph response page: parsed just enough to page on, watermark and check, and written atomically."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson

from signins.graph.errors import GraphUnavailableError
from signins.ingest.timestamps import parse_utc

# conditionalAccessStatus values that mean Conditional Access evaluated at least one policy
# ("notApplied" and "unknownFutureValue" do not).
CA_APPLIED = frozenset({"success", "failure"})


@dataclass(frozen=True)
class Page:
    records: int
    next_link: str | None
    oldest: datetime | None
    newest: datetime | None
    ca_applied: int  # records on which Conditional Access applied ...
    ca_listed: int  # ... and records that list appliedConditionalAccessPolicies


def parse_page(body: bytes, where: str) -> Page:
    """What the pull needs from a page; a truncated or malformed page is a resumable error."""
    try:
        page = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise GraphUnavailableError(
            f"{where}: Graph sent a truncated or malformed page ({len(body)} bytes); rerun `signins pull` to resume"
        ) from None
    if not isinstance(page, dict) or not isinstance(page.get("value"), list):
        raise GraphUnavailableError(
            f"{where}: Graph sent a page without a `value` list; rerun `signins pull` to resume"
        )
    records = [r for r in page["value"] if isinstance(r, dict)]
    times = [t for t in (parse_utc(r.get("createdDateTime")) for r in records) if t]
    link = page.get("@odata.nextLink")
    return Page(
        len(page["value"]),
        link if isinstance(link, str) and link else None,
        min(times, default=None),
        max(times, default=None),
        sum(r.get("conditionalAccessStatus") in CA_APPLIED for r in records),
        sum(bool(r.get("appliedConditionalAccessPolicies")) for r in records),
    )


def write_atomically(folder: Path, name: str, body: bytes) -> Path:
    """Write `body` to folder/name via a temporary file and a rename: never a half-written page."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        target = folder / name
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
