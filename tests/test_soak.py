"""Crash consistency: `signins ingest`, `tag`, `pull` and `run` killed with SIGKILL at random moments and
rerun end with the same store as an uninterrupted run (reliability/soak.py; scripts/soak runs 20 trials
each)."""

from __future__ import annotations

import pytest

from reliability.soak import soak, summary

TRIALS = 3


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return soak(tmp_path_factory.mktemp("soak"), trials=TRIALS, records=3_000, pull_records=400, seed=500121)


@pytest.mark.parametrize("command", ["ingest", "tag", "pull", "run"])
def test_killed_and_rerun_equals_uninterrupted(results, command):
    _, trials = results[command]
    assert len(trials) == TRIALS
    assert any(t.killed for t in trials), "no trial was killed while running"
    for t in trials:
        assert t.rerun_exit in (0, 5)
        assert t.diffs and all(d.equal for d in t.diffs), summary(results)
        assert (t.lost, t.doubled) == (0, 0)
        assert t.blobs_equal and t.leftovers == []
