"""Content-addressed store of the original input files, beside the database.

The raw layer keeps every record losslessly by keeping the exact bytes of every file it came from
(compressed with zstd unless it already was gzip), addressed by the SHA-256 of those bytes. A record
is replayed from its file's blob and its offset or JSON pointer (see signins.ingest.replay).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import uuid
from concurrent.futures import Executor
from pathlib import Path
from typing import BinaryIO

import zstandard

CHUNK = 4 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"


STAGING_SUFFIX = ".staging"


def blob_root(db_path: Path) -> Path:
    """Where the blobs of a database live: `<db file>.blobs/`.

    A staging store (`<db file>.staging/<run>.duckdb`, signins.ingest.staging) shares its store's blobs, so
    its raw records point into the blob store they are merged beside.
    """
    if db_path.parent.name.endswith(STAGING_SUFFIX):
        db_path = db_path.parent.with_name(db_path.parent.name.removesuffix(STAGING_SUFFIX))
    return db_path.with_name(db_path.name + ".blobs")


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, streamed."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def relative_blob_path(sha256: str, is_gzip: bool) -> str:
    return f"{sha256[:2]}/{sha256}{'.gz' if is_gzip else '.zst'}"


def blob_path(source: Path, sha256: str) -> str:
    """Where `source` is kept, relative to the blob store root."""
    with open(source, "rb") as fh:
        return relative_blob_path(sha256, fh.read(2) == GZIP_MAGIC)


def _remove_stale_copies(folder: Path) -> None:
    """Half-written copies (`.<name>.<pid>.tmp`) left in `folder` by a writer that was killed (its
    process is gone)."""
    for tmp in folder.glob(".*.tmp"):
        pid = tmp.name.rsplit(".", 2)[-2]
        if pid.isdigit() and not _running(int(pid)):
            tmp.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


class BlobCopy:
    """The copy of one file into the store, started before its hash (and so its blob's name) is known.

    An ingest commits no record before the bytes it points into are kept, so hashing first and copying
    after held the first commit back by both; now the two run at once, each in a thread
    of `pool`. The copy goes to a temp file under the store's root; `keep` moves it to its place (an
    atomic rename), `discard` stops it (the file was ingested already).
    """

    def __init__(self, root: Path, source: Path, pool: Executor):
        self.root, self.source = root, source
        self._stop = threading.Event()
        self._copied = pool.submit(self._copy)

    def _copy(self) -> Path | None:
        self.root.mkdir(parents=True, exist_ok=True)
        _remove_stale_copies(self.root)
        tmp = self.root / f".incoming-{uuid.uuid4().hex}.{os.getpid()}.tmp"
        try:
            with open(self.source, "rb") as src, open(tmp, "wb") as dst:
                is_gzip = src.read(2) == GZIP_MAGIC
                src.seek(0)
                with (
                    contextlib.nullcontext(dst)
                    if is_gzip
                    else zstandard.ZstdCompressor(level=1).stream_writer(dst, closefd=False)
                ) as out:
                    while chunk := src.read(CHUNK):
                        if self._stop.is_set():
                            break
                        out.write(chunk)
                dst.flush()
                os.fsync(dst.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        if self._stop.is_set():
            tmp.unlink(missing_ok=True)
            return None
        return tmp

    def keep(self, sha256: str) -> str:
        """Wait for the copy and put it in its place; returns the blob's path relative to the root."""
        copied = self._copied.result()
        relative = blob_path(self.source, sha256)
        target = self.root / relative
        if target.exists():  # kept already (the same bytes under another name, or an earlier run)
            copied.unlink(missing_ok=True)
            return relative
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_copies(target.parent)
        os.replace(copied, target)
        return relative

    def discard(self) -> None:
        self._stop.set()
        try:
            copied = self._copied.result()
        except OSError:
            return
        if copied:
            copied.unlink(missing_ok=True)


def open_blob(root: Path, relative: str) -> BinaryIO:
    """The original file's bytes (still gzip-compressed if the original was)."""
    path = root / relative
    if relative.endswith(".zst"):
        return zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), closefd=True)
    return open(path, "rb")
