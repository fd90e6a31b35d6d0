"""The soak's inputs: sign-in exports to ingest, and the records the local Graph stand-in serves."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from reliability.graph_server import make_records
from simulator import generate_bulk_records

PULL_START = datetime(2026, 10, 1, tzinfo=UTC)
PULL_STEP = timedelta(minutes=7)
BAD_LINES = [b'{"id": "cut-short", "createdDateTime": "2026-', b'{"createdDateTime": "2026-10-01T00:00:00Z"}', b"42"]


def _lines(records: list[dict]) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


def write_exports(folder: Path, records: int) -> list[Path]:
    """Three files of realistic Graph beta sign-ins (the simulator's bulk mode, with its cause mix):
    JSON lines (read in batches by the database), a gzipped response page (a JSON document), and JSON
    lines that resend sign-ins and carry bad lines (merged as duplicates; quarantined)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = list(generate_bulk_records(records, seed=7, ca_policies=5))
    cut = len(rows) * 2 // 3
    files = {
        "signins.jsonl": _lines(rows[:cut]),
        "page.json.gz": gzip.compress(json.dumps({"value": rows[cut:]}).encode(), compresslevel=1, mtime=0),
        "resent.log": _lines(rows[cut - 50 : cut]) + b"\n".join(BAD_LINES) + b"\n" + _lines(rows[-50:]),
    }
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return [folder / name for name in files]


def graph_records(count: int) -> list[dict]:
    """Sign-ins for the Graph stand-in, all four event types, one every 7 minutes from PULL_START."""
    return make_records(count, PULL_START, PULL_STEP)


def pull_window(count: int) -> tuple[str, str]:
    """(--since, --until): a fixed window around the records, so every run asks for the same pages."""
    start, end = PULL_START - timedelta(hours=1), PULL_START + count * PULL_STEP + timedelta(hours=1)
    return start.strftime("%Y-%m-%dT%H:%M:%SZ"), end.strftime("%Y-%m-%dT%H:%M:%SZ")
