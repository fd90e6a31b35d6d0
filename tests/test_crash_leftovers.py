"""Files a killed run leaves behind are removed by the next run (found by the kill -9 soak)."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import zstandard

from reliability.graph_server import GraphServer, make_records
from signins.graph.fleet import run_sync
from signins.graph.pull import pull_tenant, pulls_root
from signins.graph.settings import GraphSettings
from signins.ingest.blobs import BlobCopy, file_sha256, relative_blob_path


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_half_written_blob_of_a_killed_writer_is_removed(tmp_path):
    source = tmp_path / "input.log"
    source.write_bytes(b'{"a": 1}\n')
    sha = file_sha256(source)
    root = tmp_path / "blobs"
    target = root / relative_blob_path(sha, False)
    target.parent.mkdir(parents=True)
    dead = dead_pid()
    stale = [root / f".incoming-abc.{dead}.tmp", target.with_name(f".{target.name}.{dead}.tmp")]
    busy = root / ".incoming-def.1.tmp"  # pid 1 is alive: another writer's copy is left alone
    for path in [*stale, busy]:
        path.write_bytes(b"half")
    with ThreadPoolExecutor(max_workers=1) as pool:
        BlobCopy(root, source, pool).keep(sha)
    assert zstandard.ZstdDecompressor().decompress(target.read_bytes(), max_output_size=100) == source.read_bytes()
    assert not any(path.exists() for path in stale) and busy.exists()


def test_pages_a_killed_pull_left_are_removed(store, monkeypatch):
    folder = pulls_root(store.db_path) / "contoso" / "interactiveUser"
    folder.mkdir(parents=True)
    for name in ("20260101T000000Z-20251231T000000-p00001.json", ".tmp-abc.json"):
        (folder / name).write_bytes(b"{}")
    records = make_records(20, datetime.now(UTC) - timedelta(hours=20))
    with GraphServer(records) as server:
        for key, value in {
            "SIGNINS_GRAPH_BASE_URL": server.base_url,
            "SIGNINS_GRAPH_TOKEN": "t",
            "SIGNINS_TENANT_ID": "contoso",
            "SIGNINS_EVENT_TYPES": "interactiveUser",
            "SIGNINS_GRAPH_RATE_LIMIT": "100/1",
            "SIGNINS_RETENTION_DAYS": "2",
        }.items():
            monkeypatch.setenv(key, value)
        outcome = run_sync(pull_tenant(store.con, store.db_path, GraphSettings.from_env()))
    assert outcome.new_signins == 5
    assert list(folder.iterdir()) == []
