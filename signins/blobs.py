"""Content-addressed store of the original input files, beside the database.

The raw layer keeps every record losslessly by keeping the exact bytes of every file it came from
(compressed with zstd unless it already was gzip), addressed by the SHA-256 of those bytes. A record
is replayed from its file's blob and its offset or JSON pointer (see signins.ingest.replay).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import BinaryIO

import zstandard

CHUNK = 4 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"


STAGING_SUFFIX = ".staging"


def blob_root(db_path: Path) -> Path:
    """Where the blobs of a database live: `<db file>.blobs/`.

    A staging store (`<db file>.staging/<run>.duckdb`, signins.staging) shares its store's blobs, so
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


def _remove_stale_copies(target: Path) -> None:
    """Half-written copies of this blob left by a writer that was killed (its process is gone)."""
    for tmp in target.parent.glob(f".{target.name}.*.tmp"):
        pid = tmp.name.rsplit(".", 2)[-2]
        if pid.isdigit() and not _running(int(pid)):
            tmp.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # another user's process
        return True
    return True


def store_blob(root: Path, source: Path, sha256: str) -> str:
    """Copy `source` into the store (atomically: temp file + rename); returns the blob's relative path."""
    relative = blob_path(source, sha256)
    is_gzip = relative.endswith(".gz")
    target = root / relative
    if target.exists():
        return relative
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_copies(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with open(source, "rb") as src, open(tmp, "wb") as dst:
        if is_gzip:
            shutil.copyfileobj(src, dst, CHUNK)
        else:
            zstandard.ZstdCompressor(level=1).copy_stream(src, dst, read_size=CHUNK, write_size=CHUNK)
        dst.flush()
        os.fsync(dst.fileno())
    os.replace(tmp, target)
    return relative


def open_blob(root: Path, relative: str) -> BinaryIO:
    """The original file's bytes (still gzip-compressed if the original was)."""
    path = root / relative
    if relative.endswith(".zst"):
        return zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), closefd=True)
    return open(path, "rb")
