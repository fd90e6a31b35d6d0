"""Property-based fuzzing of the classes of bad input that once stopped a file, a folder or the store:
whatever the time, file name or CSV cell, the load never raises, one bad thing costs that thing alone,
and what reaches a terminal holds no control character."""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signins.ingest import blobs
from signins.ingest.load import ingest_paths
from signins.settings import IngestLimits
from signins.text import printable, shown_path
from tests.conftest import FIXTURES, Store

BASE = json.loads((FIXTURES / "cross_format" / "graph_beta_page.json").read_text())["value"][0]
LA_CSV = (FIXTURES / "cross_format" / "log_analytics.csv").read_bytes()
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
STORE_FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def signin(n: int, **changes) -> dict:
    return {**BASE, "id": f"00000000-0000-4000-8000-{n:012d}", **changes}


def loaded(files: dict[str, bytes], limits: IngestLimits | None = None) -> tuple[Store, list]:
    """A new store with the files (name -> bytes, names as the file system takes them) loaded as a folder."""
    tmp = Path(tempfile.mkdtemp())
    folder = tmp / "drop"
    folder.mkdir()
    for name, content in files.items():
        (folder / name).write_bytes(content)
    store = Store(tmp / "s.duckdb")
    outcomes = ingest_paths(store.con, [folder], blobs.blob_root(store.db_path), limits or IngestLimits())
    return store, outcomes


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_printable_leaves_no_control_character(text: str):
    shown = printable(text)
    assert not CONTROL.search(shown)
    assert printable(shown) == shown  # once is enough


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=1, max_size=60).filter(lambda b: b"/" not in b and b"\x00" not in b))
def test_any_file_name_is_shown_as_one_line_of_valid_text(name: bytes):
    shown = shown_path(os.fsdecode(name))
    assert not CONTROL.search(shown)
    shown.encode("utf-8")


TIMES = st.one_of(
    st.datetimes().map(lambda d: d.isoformat() + "Z"),
    st.text(max_size=40),
    st.integers().map(str),
    st.sampled_from(["0001-01-01T00:00:00Z", "9999-12-31T23:59:59.9999999Z", "2026-02-30T00:00:00Z", "1e400"]),
)


@STORE_FUZZ
@given(st.lists(TIMES, min_size=1, max_size=5), st.sampled_from(["lines", "page"]))
def test_any_time_costs_its_record_alone(times: list[str], container: str):
    records = [signin(1), *[signin(10 + n, createdDateTime=t) for n, t in enumerate(times)], signin(2)]
    if container == "lines":
        content = b"".join(json.dumps(r).encode() + b"\n" for r in records)
    else:
        content = json.dumps({"value": records}).encode()
    store, (outcome,) = loaded({"times.json": content})
    ids = {i for (i,) in store.rows("SELECT id FROM signins")}
    assert {signin(1)["id"], signin(2)["id"]} <= ids
    assert outcome.records == len(records)
    assert store.scalar("SELECT count(*) FROM signins") + outcome.quarantined == len(records)
    store.con.close()


@STORE_FUZZ
@given(
    st.lists(
        st.binary(min_size=1, max_size=40).filter(
            lambda b: b"/" not in b and b"\x00" not in b and not b.startswith(b".")
        ),
        min_size=1,
        max_size=4,
        unique=True,
    )
)
def test_any_file_names_in_a_folder_load_every_file(names: list[bytes]):
    """Names that are not UTF-8 or hold line ends and escapes (not hidden ones: a folder skips those)."""
    files = {os.fsdecode(name + b".json"): json.dumps({"value": [signin(n)]}).encode() for n, name in enumerate(names)}
    store, outcomes = loaded(files)
    assert len(outcomes) == len(names) and all(not o.unreadable for o in outcomes)
    assert store.scalar("SELECT count(*) FROM signins") == len(names)
    assert all(not CONTROL.search(o.summary()) for o in outcomes)
    store.con.close()


@STORE_FUZZ
@given(st.lists(st.integers(0, 3000), min_size=1, max_size=4))
def test_a_csv_cell_of_any_size_costs_its_row_alone(sizes: list[int]):
    """Rows with one cell of each drawn size (over the 1,000-byte limit given, or not) between two good rows."""
    header, row = LA_CSV.split(b"\r\n", 1)
    rows = [
        row.replace(b"3c1d2f7a-9e4b-4a61-b0c2-7d8e9f0a1b2c", f"3c1d2f7a-9e4b-4a61-b0c2-{n:012d}".encode())
        for n in range(len(sizes) + 2)
    ]
    middle = [b'x,"' + b'y"",' * (size // 4) + b'"\r\n' for size in sizes]
    content = header + b"\r\n" + rows[0] + b"".join(middle) + rows[-1]
    limits = IngestLimits(max_record_bytes=max(len(rows[0]), 1000))
    store, (outcome,) = loaded({"cells.csv": content}, limits)
    assert store.scalar("SELECT count(*) FROM signins") == 2
    assert outcome.quarantined == len(sizes) and outcome.records == len(sizes) + 2
    store.con.close()
