"""Plain Graph JSON lines go to the database unparsed (Candidate); whatever the database does not take,
Python reads. Either way the store must end up exactly as if Python had read every line."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signins.ingest import decode
from signins.ingest.decode import LineBlock
from signins.ingest.reader import read_file
from signins.ingest.records import Candidate
from signins.settings import IngestLimits
from tests.conftest import FIXTURES, Store
from tests.test_fuzz_readers import damage_once

TABLES = [
    "raw_records",
    "signins",
    "signin_auth_steps",
    "signin_ca_policies",
    "signin_app_policy_evaluations",
    "signin_app_device_details",
    "quarantine",
    "raw_files",
    "ingest_log",
]
VOLATILE = {"loaded_at", "ingested_at", "ingest_id", "quarantined_at", "first_seen_at", "started_at", "finished_at"}
PYTHON_ONLY = IngestLimits(database_reads_graph_lines=False)

GRAPH = json.loads((FIXTURES / "cross_format" / "graph_beta_page.json").read_text())["value"][0]
DIAG = (FIXTURES / "cross_format" / "azure_monitor.log").read_bytes().splitlines()[0]


def graph(n: int, **changes) -> bytes:
    record = {**GRAPH, "id": f"00000000-0000-0000-0000-{n:012d}", **changes}
    return orjson.dumps({k: v for k, v in record.items() if v is not ...})


TRICKY_LINES = [
    graph(1),
    graph(2, userDisplayName='Zoë 🙂 "quoted" \\ back'),
    graph(3).replace(b'"userDisplayName":', b'"userDisplayName":"\\u00e9t\\u00e9","x":'),
    graph(4, createdDateTime="2026-11-27T23:43:22.6195838Z"),  # 7 fraction digits: cut, not rounded
    graph(5, createdDateTime="2026-11-27T23:43:22.5+02:00"),  # an offset: Python's reading
    graph(6, createdDateTime="2026-02-30T00:00:00Z"),  # no such day
    graph(7, createdDateTime="1900-01-01T00:00:00Z"),  # out of range
    graph(8, createdDateTime=20261127),
    graph(9, createdDateTime=...),
    graph(10, signInEventTypes=..., isInteractive=False),
    graph(11, signInEventTypes=["SERVICEPRINCIPAL"]),
    graph(12, signInEventTypes=[]),
    graph(13, properties=None),
    graph(14, conditionalAccessPolicies=[]),
    graph(15, resourceTenantId=None),
    graph(16) + b",",  # trailing comma
    graph(17)[:-40],  # cut short
    graph(18).replace(b"Kai", b"K\xffi").replace(b'"userDisplayName":"', b'"userDisplayName":"\xff'),
    b'{"value": [' + graph(19) + b"," + graph(20) + b"]}",  # a page on one line
    DIAG,
    b'{"RecordType": 15, "Operation": "UserLoggedIn", "CreationTime": "2026-11-27T23:43:22"}',
    b"{}",
    b"[]",
    b"  " + graph(21),  # leading blanks
    graph(22, userAgent="a\u0000b"),
    graph(1),  # the same sign-in again
    b"5",
]
TRICKY_LINES = [graph(0)] + [line.replace(b"\n", b" ") for line in TRICKY_LINES]


@pytest.fixture(params=[decode.BLOCK_BYTES, 20_000, 700], ids=["one-read", "reads-of-lines", "reads-within-lines"])
def read_size(request, monkeypatch) -> int:
    """The file read in blocks of this many bytes: once; a few lines at a time (lines after the first
    block go to the database as they lie in it, LineBlock); or less than a line at a time."""
    monkeypatch.setattr(decode, "BLOCK_BYTES", request.param)
    return request.param


def table_rows(store: Store, table: str) -> list[tuple]:
    columns = [
        c
        for (c,) in store.rows(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position", [table]
        )
        if c not in VOLATILE
    ]
    return sorted(store.rows(f"SELECT {', '.join(columns)} FROM {table}"), key=repr)


def ingest_both_ways(
    tmp_path: Path, content: bytes | list[Path], name: str = "signins.jsonl", **limits
) -> tuple[Store, Store]:
    """The file (or files) ingested into two stores: with the database lanes, and by Python alone."""
    paths = content if isinstance(content, list) else [tmp_path / name]
    if not isinstance(content, list):
        paths[0].write_bytes(content)
    stores = []
    for lane, reads in (("database", True), ("python", False)):
        store = Store(tmp_path / f"{lane}.duckdb")
        for path in paths:
            store.ingest(path, IngestLimits(database_reads_graph_lines=reads, **limits))
        stores.append(store)
    return stores[0], stores[1]


def assert_same_tables(database: Store, python: Store) -> None:
    for table in TABLES:
        assert table_rows(database, table) == table_rows(python, table), table


def test_the_database_reads_the_lines_after_a_plain_graph_first_line(tmp_path: Path):
    path = tmp_path / "signins.jsonl"
    path.write_bytes(b"\n".join(TRICKY_LINES) + b"\n")
    items = list(read_file(path, IngestLimits()).items)
    assert sum(isinstance(item, Candidate) for item in items) == len(TRICKY_LINES) - 4  # first, blank-led, [] and 5
    assert not any(isinstance(item, Candidate) for item in read_file(path, PYTHON_ONLY).items)


@pytest.mark.parametrize("line_end", [b"\n", b"\r\n"], ids=["lf", "crlf"])
def test_every_table_is_as_if_python_had_read_every_line(tmp_path: Path, read_size: int, line_end: bytes):
    database, python = ingest_both_ways(tmp_path, line_end.join(TRICKY_LINES) + line_end)
    assert_same_tables(database, python)
    assert database.scalar("SELECT count(*) FROM signins") >= 15
    cut = database.scalar("SELECT created_at FROM signins WHERE id LIKE '%000000000004'")
    assert cut.microsecond == 619583


def test_a_batch_with_a_line_that_is_not_json_is_read_again_leniently(tmp_path: Path, read_size: int):
    lines = [graph(n) for n in range(40)]
    lines[17] = b'{"id": "broken", '
    database, python = ingest_both_ways(tmp_path, b"\n".join(lines) + b"\n")
    assert database.scalar("SELECT count(*) FROM signins") == 39
    assert database.scalar("SELECT locator FROM quarantine") == "line:18"
    assert table_rows(database, "quarantine") == table_rows(python, "quarantine")


def test_versions_of_a_sign_in_the_database_refuses_fare_as_python_would_have_them(tmp_path: Path, read_size: int):
    """A line the database refuses and Python reads is merged with the versions of its sign-in the
    batch holds: equally complete, the one whose content hashes smaller wins (as in the other lane);
    more complete, it is no update."""
    lines = [graph(n) for n in range(12)]
    lines[2] = graph(2, correlationId=...)  # less complete ...
    lines[3] = graph(2, createdDateTime="2026-11-27T23:43:22+00:00")  # ... than the one Python reads
    lines[9] = graph(8, createdDateTime="2026-11-27T23:43:22+00:00")  # as complete as line:9
    lines[11] = graph(11, resourceTenantId=11)  # not a tenant id to Python
    database, python = ingest_both_ways(tmp_path, b"\n".join(lines) + b"\n")
    assert_same_tables(database, python)
    kept = database.rows("SELECT id[-1:], day(created_at) FROM signins WHERE id[-1:] IN ('2', '8') ORDER BY 1")
    assert kept[0] == ("2", 27) and kept[1] in [("8", 3), ("8", 27)]
    assert database.rows("SELECT new_signins, updated_signins FROM ingest_log") == [(10, 0)]
    assert database.scalar("SELECT tenant_id FROM signins WHERE id LIKE '%11'") == ""


def test_blocks_of_lines_are_cut_into_batches_of_the_record_limit(tmp_path: Path, read_size: int):
    lines = [graph(n) for n in range(30)]
    path = tmp_path / "signins.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    if read_size == 20_000:
        assert any(isinstance(item, LineBlock) and len(item) > 1 for item in read_file(path, IngestLimits()).items)
    database, python = ingest_both_ways(tmp_path, b"\n".join(lines) + b"\n", batch_records=4)
    assert_same_tables(database, python)
    assert database.scalar("SELECT count(*) FROM signins") == 30


@st.composite
def damaged_lines(draw) -> bytes:
    """Graph lines with bytes cut, inserted or flipped, after a plain first line."""
    lines = [graph(n) for n in range(draw(st.integers(2, 6)))]
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(1, len(lines) - 1))
        line = damage_once(draw, bytearray(lines[index]), max_insert=12)
        lines[index] = bytes(line).replace(b"\n", b" ").replace(b"\r", b" ")
    return b"\n".join(lines) + b"\n"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(damaged_lines())
def test_damaged_graph_lines_load_the_same_either_way(tmp_path_factory, content: bytes):
    database, python = ingest_both_ways(tmp_path_factory.mktemp("lanes"), content)
    assert_same_tables(database, python)


def test_the_file_summary_names_only_the_formats_read(tmp_path: Path, store: Store):
    path = tmp_path / "graph.jsonl"
    path.write_bytes(b"\n".join(graph(n) for n in range(3)) + b"\n")
    graph_lines = store.ingest(path)
    monitor = store.ingest(FIXTURES / "cross_format" / "azure_monitor.log")
    assert (graph_lines.format, graph_lines.records) == ("graph/ndjson", 3)
    assert (monitor.format, monitor.records) == ("diag/ndjson", 1)
