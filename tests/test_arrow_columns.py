"""Arrow columns built from their buffers (signins/ingest/arrow.py) are the arrays pa.array builds, and a
load of Graph pages never imports pandas (pa.array would, for a quarter of a second)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pyarrow as pa
import pytest

from signins import PROJECT_ROOT
from signins.ingest.arrow import column, moment

CASES = [
    ([1, None, 3, 0, 2**31 - 1, -(2**31)], pa.int32()),
    ([1, None, 2**40, -5], pa.int64()),
    ([True, False, None, True, False, False, True, True, None], pa.bool_()),
    (["a", None, "", "é€😀", "line:12", "x" * 10_000], pa.string()),
    (
        [
            datetime(2026, 1, 1, tzinfo=UTC),
            None,
            datetime(2026, 1, 1, 1, 2, 3, 456789, tzinfo=timezone(timedelta(hours=2))),
            datetime(1969, 12, 31, 23, 59, 59, 1),  # naive: UTC
        ],
        pa.timestamp("us", tz="UTC"),
    ),
    ([["a", "b"], None, [], ["c"]], pa.list_(pa.string())),
    ([], pa.string()),
    ([None, None], pa.int64()),
]


@pytest.mark.parametrize(("values", "type_"), CASES, ids=lambda v: str(v)[:30])
def test_a_column_is_the_array_pa_array_builds(values, type_):
    built = column(values, type_)
    built.validate(full=True)
    assert built.equals(pa.array(values, type_)) and built.null_count == sum(v is None for v in values)


def test_other_types_are_refused_and_microseconds_are_utc_times():
    with pytest.raises(TypeError):
        column([1.5], pa.float64())
    assert moment(1_000_001) == datetime(1970, 1, 1, 0, 0, 1, 1, tzinfo=UTC) and moment(None) is None


def test_a_load_of_graph_pages_does_not_import_pandas(tmp_path):
    script = (
        "import sys; from cli.main import cli; sys.argv = ['signins', 'ingest', *sys.argv[1:]]\n"
        "try:\n    cli()\nexcept SystemExit as done:\n    assert not done.code, done.code\n"
        "print('pandas' in sys.modules)"
    )
    pages = sorted((PROJECT_ROOT / "data" / "sample" / "signins").glob("page-000[12].json.gz"))
    done = subprocess.run(
        [sys.executable, "-c", script, *map(str, pages), "--db", str(tmp_path / "s.duckdb")],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "2000 new sign-ins" in done.stdout and done.stdout.strip().endswith("False")
