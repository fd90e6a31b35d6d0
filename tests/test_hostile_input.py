"""Bad input: the good records load, each bad one is quarantined with where and why, nothing raises."""

from __future__ import annotations

import codecs
import gzip
import json
import os
from pathlib import Path

import pytest

from signins.settings import IngestLimits
from tests.conftest import FIXTURES, Store

BASE = json.loads((FIXTURES / "cross_format" / "graph_beta_page.json").read_text())["value"][0]


def signin(n: int, **changes) -> dict:
    record = {**BASE, "id": f"00000000-0000-4000-8000-{n:012d}", **changes}
    return {k: v for k, v in record.items() if v is not ...}


def ndjson(*records) -> bytes:
    return b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in records)


def page(*records) -> bytes:
    return json.dumps(
        {"@odata.context": "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns", "value": list(records)},
        indent=2,
    ).encode()


GOOD3 = ndjson(signin(1), signin(2), signin(3))
O365 = {
    "CreationTime": "2022-10-14T13:48:03",
    "Id": "x",
    "Operation": "UserLoginFailed",
    "RecordType": 15,
    "Workload": "AzureActiveDirectory",
    "ErrorNumber": "500121",
    "LogonError": "AuthenticationFailedSasError",
}
DIAG_LINE = json.dumps(
    {
        "time": "2026-11-03T08:16:40Z",
        "category": "NonInteractiveUserSignInLogs",
        "operationName": "Sign-in activity",
        "tenantId": "t",
        "properties": signin(11),
    }
).encode()
LA_LINE = json.dumps(
    {
        "Id": "00000000-0000-4000-8000-000000000012",
        "CreatedDateTime": "2026-11-03T08:14:22Z",
        "ResultType": "0",
        "UserPrincipalName": "a@b.c",
        "Category": "SignInLogs",
    }
).encode()

# name: (file bytes, records, sign-ins loaded, quarantined, [(locator, reason fragment)], note fragment)
CASES = {
    "truncated-ndjson.log": (
        GOOD3 + json.dumps(signin(4)).encode()[:300],
        4,
        3,
        1,
        [("line:4", "malformed JSON")],
        None,
    ),
    "truncated-page.json": (page(signin(1), signin(2), signin(3))[:-900], 3, 2, 1, [("/value/2", "truncated")], None),
    "bom.log": (codecs.BOM_UTF8 + GOOD3, 3, 3, 0, [], "byte order mark"),
    "powershell-utf16le.json": (
        codecs.BOM_UTF16_LE + page(signin(1), signin(2)).decode().encode("utf-16-le"),
        2,
        2,
        0,
        [],
        None,
    ),
    "utf16be.json": (codecs.BOM_UTF16_BE + page(signin(1)).decode().encode("utf-16-be"), 1, 1, 0, [], None),
    "utf16le-no-bom.log": (GOOD3.decode().encode("utf-16-le"), 3, 3, 0, [], None),
    "garbage.bin": (bytes(range(256)) * 64, 1, 0, 1, [("/", "binary data")], None),
    "bad-utf8-line.log": (
        ndjson(signin(1), b'{"id": "\xff\xfe", "createdDateTime": "2026-11-03T08:14:22Z"}', signin(3)),
        3,
        2,
        1,
        [("line:2", "malformed JSON")],
        None,
    ),
    "wrong-types.log": (
        ndjson(
            signin(1, status={"errorCode": "500121"}, isInteractive="true"),
            signin(2, createdDateTime=12345),
            signin(3, id=7),
        ),
        3,
        1,
        2,
        [("line:2", "createdDateTime is unreadable"), ("line:3", "no sign-in id")],
        None,
    ),
    # Times Entra cannot produce: only that record is quarantined (the batch's time span once overflowed).
    "far-future-time.log": (
        ndjson(signin(1), signin(2, createdDateTime="9999-12-31T23:59:59Z"), signin(3)),
        3,
        2,
        1,
        [("line:2", "outside 1970-2200")],
        None,
    ),
    "year-one-time.json": (
        page(signin(1), signin(2, createdDateTime="0001-01-01T00:00:00Z")),
        2,
        1,
        1,
        [("/value/1", "outside 1970-2200")],
        None,
    ),
    "far-future-first.log": (
        ndjson(signin(1, createdDateTime="9999-12-31T23:59:59.9999999Z"), signin(2)),
        2,
        1,
        1,
        [("line:1", "createdDateTime is unreadable")],
        None,
    ),
    "deeply-nested.log": (ndjson(signin(1), b"[" * 10_000 + b"]" * 10_000), 2, 1, 1, [("line:2", "depth limit")], None),
    "deeply-nested.json": (
        b'{"value": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
        1,
        0,
        1,
        [("line:1", "depth limit")],
        None,
    ),
    "deeply-nested-pretty.json": (
        b'{\n"value": [\n' + b"[" * 10_000 + b"]" * 10_000 + b"]}",
        1,
        0,
        1,
        [("/value/0", "recursion")],
        None,
    ),
    "missing-id-and-time.log": (
        ndjson(signin(1, id=...), signin(2, createdDateTime=...)),
        2,
        0,
        2,
        [("line:1", "no sign-in id"), ("line:2", "createdDateTime is missing")],
        None,
    ),
    "scalar.log": (ndjson(signin(1), b"42"), 2, 1, 1, [("line:2", "not an object")], None),
    "o365.json": (json.dumps([O365]).encode(), 1, 0, 1, [("/0", "Office 365 audit record")], None),
    "mixed-shapes.log": (ndjson(signin(10), DIAG_LINE, LA_LINE), 3, 3, 0, [], None),
    "duplicate-ids.log": (ndjson(signin(1), signin(1), signin(1)), 3, 1, 0, [], None),
    "trailing-comma-lines.log": (GOOD3.replace(b"}\n", b"},\n"), 3, 3, 0, [], "trailing comma"),
    "empty.json": (b"", 0, 0, 0, [], "empty file"),
    "notes.txt": (b"hello, this is not an export\n", 1, 0, 1, [("row:0", "unknown columns")], None),
    "plain.txt": (b"hello world\nsecond line\n", 1, 0, 1, [("/", "unknown format")], None),
    "bad-row.csv": (
        (FIXTURES / "cross_format" / "log_analytics.csv").read_bytes() + b"only,three,cells\r\n",
        2,
        1,
        1,
        [("row:2", "row has 3 cells")],
        None,
    ),
    "gzipped.log.gz": (gzip.compress(GOOD3, mtime=0), 3, 3, 0, [], None),
    "truncated.log.gz": (gzip.compress(GOOD3 * 200, mtime=0)[:-40], 600, 1, 1, [("eof", "truncated")], None),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_file(store: Store, tmp_path: Path, name: str):
    content, records, loaded, quarantined, where, note = CASES[name]
    path = tmp_path / name
    path.write_bytes(content)
    outcome = store.ingest(path)
    got = (outcome.records, store.scalar("SELECT count(*) FROM signins"), outcome.quarantined)
    if name == "truncated.log.gz":  # 600 lines of three ids: the ids load, the cut end is quarantined
        got = (got[0] >= 3, got[1] == 3, got[2])
        assert got == (True, True, 1)
    else:
        assert got == (records, loaded, quarantined)
    rows = dict(store.rows("SELECT locator, reason FROM quarantine"))
    for locator, fragment in where:
        assert fragment in rows[locator], rows
    if note:
        assert any(note in n for n in outcome.notes), outcome.notes


def test_ten_megabyte_line_loads_within_the_limit(store: Store, tmp_path: Path):
    path = tmp_path / "big.log"
    path.write_bytes(ndjson(signin(1, userAgent="A" * 10_000_000), signin(2)))
    outcome = store.ingest(path)
    assert (outcome.records, outcome.quarantined) == (2, 0)
    assert store.scalar("SELECT length(user_agent) FROM signins WHERE id LIKE '%001'") == 10_000_000


def test_line_over_the_limit_is_quarantined_without_holding_it(store: Store, tmp_path: Path):
    path = tmp_path / "big.log"
    path.write_bytes(ndjson(signin(1, userAgent="A" * 3_000_000), signin(2)))
    outcome = store.ingest(path, IngestLimits(max_record_bytes=1_000_000))
    assert (outcome.records, outcome.quarantined) == (2, 1)
    assert "exceeds the 1000000 byte limit" in store.scalar("SELECT reason FROM quarantine WHERE locator = 'line:1'")


def test_zip_bomb_is_stopped(store: Store, tmp_path: Path):
    path = tmp_path / "bomb.log.gz"
    with gzip.open(path, "wb", compresslevel=9) as fh:
        fh.write(GOOD3)
        chunk = b" " * (1 << 20)
        for _ in range(80):
            fh.write(chunk)
    assert os.path.getsize(path) < 200_000
    outcome = store.ingest(path)
    assert outcome.quarantined == 1
    assert "zip bomb" in store.scalar("SELECT reason FROM quarantine")
    assert store.scalar("SELECT count(*) FROM signins") == 3


def compact(*records: dict, key: str = "value") -> bytes:
    """A page saved without white space: one line, however many records."""
    return json.dumps({key: list(records)}, separators=(",", ":")).encode()


@pytest.mark.parametrize(
    "limits",
    [IngestLimits(max_record_bytes=50_000), IngestLimits(max_record_bytes=50_000, max_document_bytes=60_000)],
    ids=["in memory", "streamed"],
)
@pytest.mark.parametrize("key", ["value", "records"])
def test_a_compact_page_of_any_size_is_read_element_by_element(store: Store, tmp_path: Path, limits, key: str):
    """One line far over the record size limit, but a page (or Event Hub body) of records: each loads."""
    records = [signin(n) for n in range(1, 41)]
    path = tmp_path / "compact.json"
    path.write_bytes(compact(*records, key=key) if key == "value" else compact(*[_diag(r) for r in records], key=key))
    assert path.stat().st_size > 100_000 and path.read_bytes().count(b"\n") == 0
    outcome = store.ingest(path, limits)
    assert (outcome.records, outcome.new_signins, outcome.quarantined) == (40, 40, 0)


def test_pages_saved_one_per_line_each_longer_than_the_head(store: Store, tmp_path: Path):
    path = tmp_path / "pages.log"
    path.write_bytes(compact(*[signin(n) for n in range(1, 21)]) + b"\n" + compact(*[signin(n) for n in range(21, 41)]))
    outcome = store.ingest(path)
    assert (outcome.records, outcome.new_signins, outcome.quarantined) == (40, 40, 0)


def _diag(record: dict) -> dict:
    return {
        "time": record["createdDateTime"],
        "category": "SignInLogs",
        "operationName": "Sign-in activity",
        "properties": record,
    }


def test_a_document_over_the_memory_budget_streams(store: Store, tmp_path: Path):
    """Over max_document_bytes a page is read element by element; a cut end still keeps what came before."""
    records = [signin(n) for n in range(1, 41)]
    path = tmp_path / "big-page.json"
    path.write_bytes(page(*records))
    limits = IngestLimits(max_document_bytes=50_000)
    outcome = store.ingest(path, limits)
    assert (outcome.records, outcome.new_signins, outcome.quarantined) == (40, 40, 0)
    assert any("streamed" in note for note in outcome.notes)
    assert store.scalar("SELECT min(locator) FROM raw_records") == "/value/0"
    cut = tmp_path / "cut-page.json"
    cut.write_bytes(page(*[signin(n) for n in range(101, 141)])[:-3000])
    outcome = store.ingest(cut, limits)
    assert outcome.quarantined == 1 and outcome.new_signins == 39
    assert "truncated or malformed" in store.scalar("SELECT reason FROM quarantine WHERE locator = '/value/39'")


@pytest.mark.parametrize("bad", [b'a,"' + b"x\r\n" * 100_000 + b'"', b"a," + b"y" * 300_000])
def test_a_csv_row_that_cannot_be_read_costs_that_row_alone(store: Store, tmp_path: Path, bad: bytes):
    """A cell over the size limit (quoted across lines, or one long line): the rows before and after it load."""
    header, row = (FIXTURES / "cross_format" / "log_analytics.csv").read_bytes().split(b"\r\n", 1)
    after = row.replace(b"3c1d2f7a-9e4b-4a61-b0c2-7d8e9f0a1b2c", b"3c1d2f7a-9e4b-4a61-b0c2-000000000002")
    path = tmp_path / "bad-row.csv"
    path.write_bytes(header + b"\r\n" + row + bad + b"\r\n" + after)
    outcome = store.ingest(path, IngestLimits(max_record_bytes=100_000))
    assert (outcome.new_signins, outcome.quarantined) == (2, 1)
    ((locator, reason),) = store.rows("SELECT locator, reason FROM quarantine")
    assert locator == "row:2" and "exceeds the 100000 byte limit" in reason
