"""One writer at a time per database: a run (and `signins ingest`, `pull`, `tag`: signins.runs.landing.writing)
holds `<db>.lock` (an advisory file lock) while it writes.

DuckDB already refuses a second process that opens the file for writing, but with an unclear error
and only for as long as the first process has it open: a run opens and closes the database several
times (landing, gates, tagging, report), and no other writer may slip in between.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from signins.errors import SigninsError, StoreError


class RunLocked(SigninsError):
    """Another run holds the database."""

    exit_code = 10


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


@contextmanager
def run_lock(
    db_path: Path, wait_seconds: float = 0.0, on_wait: Callable[[str], None] | None = None, shared: bool = False
) -> Iterator[None]:
    """Hold the database's run lock, waiting up to `wait_seconds` for another writer to finish; `on_wait`
    is told the holder's process id once, if it has to wait. A `shared` hold is a reader's: readers hold it
    together, and a writer waits for all of them (as they wait for it)."""
    path = lock_path(db_path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:  # a read-only folder, say
        raise StoreError(f"{db_path}: cannot take the database's run lock {path}: {exc.strerror or exc}") from exc
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(fd)
                if time.monotonic() >= deadline:
                    who = f"another run is writing to this database (process {holder})"
                    if holder == "unknown":  # readers hold it shared and leave no name
                        who = "other processes are reading or writing this database"
                    raise RunLocked(
                        f"{db_path}: {who}; waited {wait_seconds:g} s; try again when it has finished"
                    ) from None
                if on_wait:
                    on_wait(holder)
                    on_wait = None
                time.sleep(0.2)
        if not shared:  # a writer names itself for whoever waits; readers are many and leave it empty
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        try:
            yield
        finally:
            if not shared:
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _holder(fd: int) -> str:
    """The process id the writer holding the lock wrote, or "unknown": readers write none, and a writer
    that was killed left the id of a process that is gone."""
    text = os.pread(fd, 64, 0).decode(errors="replace").strip()
    try:
        os.kill(int(text), 0)
    except (ValueError, ProcessLookupError):
        return "unknown"
    except PermissionError:  # alive, another user's
        pass
    return text
