"""The hostile input corpus (reliability/corpus.py), ingested file by file in a child process: no
traceback, bounded time and memory, and exactly the declared records loaded and quarantined."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from reliability.corpus import cases, problems
from signins import PROJECT_ROOT

SECONDS_PER_FILE = 20  # measured: under 1 s each on a 2-core machine
PEAK_RSS_MIB = 1024  # measured: ~350 MiB for the whole corpus, 100 MB line and zip bomb included
CASES = {case.name: case for case in cases()}


@pytest.fixture(scope="session")
def measured(tmp_path_factory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("corpus")
    run = lambda *args: subprocess.run(
        [sys.executable, "-m", "reliability.corpus", *args, str(folder)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run("write").returncode == 0
    done = run("run")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    return {row["name"]: row for row in map(json.loads, done.stdout.splitlines())}


def test_corpus_is_large_and_varied():
    assert len(CASES) >= 50
    assert any(name.startswith("lines-cut-") for name in CASES) and any(name.startswith("page-cut-") for name in CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_file_outcome(measured, name):
    got = measured[name]
    assert problems(CASES[name], got) == []
    assert got["seconds"] < SECONDS_PER_FILE


def test_memory_stays_bounded(measured):
    assert len(measured) == len(CASES)
    assert max(row["peak_rss_mib"] for row in measured.values()) < PEAK_RSS_MIB
