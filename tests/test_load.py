"""Loading is idempotent, keeps the most complete version, and keeps every record replayable."""

from __future__ import annotations

import gzip
import json
import shutil
from concurrent.futures import Future
from pathlib import Path

from signins.ingest import blobs, load
from signins.ingest.batches import Batch
from signins.ingest.load import ingest_paths
from signins.ingest.reader import read_file
from signins.ingest.replay import record_text
from signins.ingest.writer import BatchWriter, FileOutcome, Member
from signins.settings import IngestLimits
from tests.conftest import FIXTURES, PUBLIC, STORE_TABLES, Store, public_files

TABLES = STORE_TABLES
CROSS = FIXTURES / "cross_format"


def snapshot(store: Store) -> dict:
    return {t: store.checksum(t) for t in TABLES}


def test_ingest_twice_equals_once(store: Store):
    files = public_files()
    for path in files:
        store.ingest(path)
    once = snapshot(store)
    again = [store.ingest(path) for path in files]
    assert all(o.already_ingested and o.new_signins == 0 for o in again)
    assert snapshot(store) == once
    assert blob_files(store) == stored_blobs(store)  # the copies made again were dropped


def test_same_content_under_another_name_adds_nothing(store: Store, tmp_path: Path):
    copy = tmp_path / "renamed.log"
    shutil.copy(CROSS / "azure_monitor.log", copy)
    store.ingest(CROSS / "azure_monitor.log")
    before = snapshot(store)
    assert store.ingest(copy).already_ingested
    assert snapshot(store) == before
    assert blob_files(store) == stored_blobs(store) == 1


def blob_files(store: Store) -> int:
    """Files in the blob store, temp copies included."""
    return sum(1 for p in blobs.blob_root(store.db_path).rglob("*") if p.is_file())


def stored_blobs(store: Store) -> int:
    return store.con.execute("SELECT count(DISTINCT blob_path) FROM raw_files").fetchall()[0][0]


def test_an_interrupted_file_is_completed_by_the_next_run(store: Store, tmp_path: Path):
    """Batches commit as they go; without the closing ingest-log row the next run redoes the file."""
    lines = (PUBLIC / "elastic-integrations/test-managed-identity-sample.log").read_bytes()
    path = tmp_path / "mi.log"
    path.write_bytes(lines)
    reference = Store(tmp_path / "reference.duckdb")
    reference.ingest(path)
    store.ingest(path, IngestLimits(batch_records=10))
    store.con.execute("DELETE FROM ingest_log")  # as if killed before the last step
    store.con.execute("DELETE FROM signins WHERE id IN (SELECT id FROM signins LIMIT 5)")  # and mid-batch
    outcome = store.ingest(path, IngestLimits(batch_records=7))
    assert not outcome.already_ingested
    assert store.checksum("signins")[0] == reference.checksum("signins")[0] == 33
    assert store.checksum("raw_records")[0] == 33


def test_most_complete_version_wins_in_any_order(tmp_path: Path):
    """The Azure Monitor record carries more than a bare Graph v1.0-like version of the same sign-in."""
    full = json.loads((CROSS / "graph_beta_page.json").read_text())["value"][0]
    bare = {k: full[k] for k in ("id", "createdDateTime", "userPrincipalName", "status", "appId", "resourceTenantId")}
    bare_path = tmp_path / "bare.json"
    bare_path.write_text(json.dumps([bare]))
    orders = [[bare_path, CROSS / "azure_monitor.log"], [CROSS / "azure_monitor.log", bare_path]]
    results = []
    for n, order in enumerate(orders):
        store = Store(tmp_path / f"s{n}.duckdb")
        outcomes = [store.ingest(p) for p in order]
        results.append((store.scalar("SELECT source_format FROM signins"), store.checksum("signin_ca_policies")))
        for table, position in [("signin_ca_policies", "policy_no"), ("signin_auth_steps", "step_no")]:
            assert store.scalar(f"SELECT count(*) = count(DISTINCT (signin_id, {position})) FROM {table}")
        if n == 0:
            assert (outcomes[1].new_signins, outcomes[1].updated_signins) == (0, 1)
        store.con.close()
    assert results[0] == results[1]
    assert results[0][0] == "diag/ndjson"


def test_every_record_replays_from_the_blob_store(store: Store, tmp_path: Path):
    gz = tmp_path / "sample.log.gz"
    gz.write_bytes(gzip.compress((PUBLIC / "elastic-integrations/test-signinlogs-sample.log").read_bytes(), mtime=0))
    sources = [
        gz,
        PUBLIC / "azure-sentinel/sign-in_adelete.csv",
        PUBLIC / "msgraph-docs/signin-list_beta_example1_response.json",
    ]
    for path in sources:
        store.ingest(path)
    root = blobs.blob_root(store.db_path)
    original_lines = (PUBLIC / "elastic-integrations/test-signinlogs-sample.log").read_bytes().splitlines()
    for key, locator in store.rows("SELECT record_key, locator FROM raw_records WHERE locator LIKE 'line:%'"):
        assert record_text(store.con, root, key) == original_lines[int(locator[5:]) - 1]
    for key, signin_id in store.rows("SELECT record_key, signin_id FROM raw_records WHERE locator NOT LIKE 'line:%'"):
        replayed = json.loads(record_text(store.con, root, key))
        assert signin_id in (replayed.get("id"), replayed.get("Id"))


def test_a_record_the_database_refuses_is_quarantined_alone(store: Store, tmp_path: Path):
    path = tmp_path / "three.log"
    shutil.copy(PUBLIC / "elastic-integrations/test-signinlogs-sample.log", path)
    reading = read_file(path, IngestLimits())
    found = list(reading.items)
    found[1].text = b'{"id": "broken", '  # what a differing JSON parser could refuse
    outcome = FileOutcome(path, sha256=blobs.file_sha256(path))
    done = Future()
    done.set_result("kept")
    member = Member(outcome, reading, done, "kept.zst", path.stat().st_size)
    BatchWriter(store.con, [member], tmp_path, None, None).write(Batch(found, []).sealed())
    assert (outcome.new_signins, outcome.quarantined) == (1, 1)
    assert "database refused" in store.scalar("SELECT reason FROM quarantine WHERE locator = 'line:2'")


def graph_pages(folder: Path, count: int) -> list[Path]:
    """`count` Graph response pages of two sign-ins each, files page-0.json, page-1.json, ..."""
    page = json.loads((CROSS / "graph_beta_page.json").read_text())
    folder.mkdir()
    paths = []
    for number in range(count):
        value = [{**page["value"][0], "id": f"00000000-0000-0000-0000-{number:06d}{n:06d}"} for n in range(2)]
        paths.append(folder / f"page-{number}.json")
        paths[-1].write_text(json.dumps({**page, "value": value}))
    return paths


def test_small_files_share_batches_and_each_is_said_on_its_line(store: Store, tmp_path: Path, monkeypatch):
    """A folder of small files is a few transactions, not one or more per file; each file still gets its
    own outcome and log row, in order."""
    pages = graph_pages(tmp_path / "pages", 6)
    transactions = []
    write = BatchWriter.write

    def counting_write(self, batch, lenient=False, whole_store=False):
        transactions.append(len(BatchWriter.files_of(batch)))
        write(self, batch, lenient, whole_store)

    monkeypatch.setattr(BatchWriter, "write", counting_write)
    said = []
    outcomes = ingest_paths(
        store.con,
        [tmp_path / "pages"],
        blobs.blob_root(store.db_path),
        IngestLimits(batch_records=5),
        on_file=said.append,
    )
    assert [o.path for o in outcomes] == [o.path for o in said] == pages
    assert [o.new_signins for o in outcomes] == [2, 2, 2, 2, 2, 2]
    assert transactions == [3, 3, 1]  # 12 records in batches of 5: pages 0-2, 2-4, 5
    assert store.scalar("SELECT count(*) FROM ingest_log") == 6
    assert store.scalar("SELECT count(DISTINCT file_sha256) FROM raw_records") == 6


def test_a_file_that_cannot_be_read_is_said_on_its_line_and_the_rest_of_the_folder_loads(
    store: Store, tmp_path: Path, monkeypatch
):
    """As root no file is unreadable, so the reader is made to meet a permission error on one file."""
    pages = graph_pages(tmp_path / "pages", 4)
    read_file = load.read_file

    def denied_for_the_second(path, *args):
        if path == pages[1]:
            raise PermissionError(13, "Permission denied")
        return read_file(path, *args)

    monkeypatch.setattr(load, "read_file", denied_for_the_second)
    outcomes = ingest_paths(store.con, [tmp_path / "pages"], blobs.blob_root(store.db_path), IngestLimits())
    assert [o.unreadable for o in outcomes] == ["", "cannot read: Permission denied", "", ""]
    assert outcomes[1].summary() == f"FAIL {pages[1]}: cannot read: Permission denied"
    assert [o.new_signins for o in outcomes] == [2, 0, 2, 2]
    assert store.scalar("SELECT count(*) FROM raw_files") == 3


def test_a_folder_read_ahead_equals_its_files_loaded_one_by_one(tmp_path: Path):
    """The same store, and the same outcomes: a repeated file skipped, a damaged one quarantined."""
    pages = graph_pages(tmp_path / "pages", 3)
    shutil.copy(pages[0], tmp_path / "pages" / "page-1-again.json")
    (tmp_path / "pages" / "page-1-broken.json").write_bytes(pages[1].read_bytes()[:-40])
    folder = Store(tmp_path / "folder.duckdb")
    outcomes = ingest_paths(folder.con, [tmp_path / "pages"], blobs.blob_root(folder.db_path), IngestLimits())
    one_by_one = Store(tmp_path / "one-by-one.duckdb")
    expected = [one_by_one.ingest(path) for path in sorted((tmp_path / "pages").iterdir())]
    assert [o.summary() for o in outcomes] == [o.summary() for o in expected]
    assert [o.already_ingested for o in outcomes] == [False, True, False, False, False]
    files = "SELECT * EXCLUDE (first_seen_at) FROM raw_files ORDER BY ALL"
    assert folder.rows(files) == one_by_one.rows(files)
    assert {t: c for t, c in snapshot(folder).items() if t != "raw_files"} == {
        t: c for t, c in snapshot(one_by_one).items() if t != "raw_files"
    }


def test_a_version_stored_outside_the_batchs_time_span_is_still_replaced(store: Store, tmp_path: Path):
    """The merge looks for stored versions in the batch's time span (load/40_winners.sql); a version of
    the same sign-in stored with a time days away breaks the primary key, and the batch is written again
    looking in the whole store: replaced, not doubled, not an error."""
    record = json.loads((CROSS / "graph_beta_page.json").read_text())["value"][0]
    sparse = {**record, "userAgent": None, "ipAddress": None, "createdDateTime": "2026-10-01T08:00:00Z"}
    (tmp_path / "old.jsonl").write_text(json.dumps(sparse) + "\n")
    (tmp_path / "new.jsonl").write_text(json.dumps(record) + "\n")  # its time: 2026-11-03
    store.ingest(tmp_path / "old.jsonl")
    outcome = store.ingest(tmp_path / "new.jsonl")
    assert (outcome.new_signins, outcome.updated_signins) == (0, 1)
    assert store.rows("SELECT count(*), min(user_agent IS NOT NULL) FROM signins") == [(1, True)]
