"""Property-based fuzzing of the readers: whatever the bytes, no exception, and every record accounted for."""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signins.ingest.reader import read_file
from signins.ingest.records import Found, Rejected
from signins.settings import IngestLimits
from tests.conftest import FIXTURES, PUBLIC

SEEDS = [
    (FIXTURES / "cross_format" / "azure_monitor.log").read_bytes() * 3,
    (FIXTURES / "cross_format" / "graph_beta_page.json").read_bytes(),
    (FIXTURES / "cross_format" / "log_analytics.csv").read_bytes(),
    (PUBLIC / "msgraph-docs" / "signin-list_v1.0_example1_response.json").read_bytes(),
    (PUBLIC / "elastic-integrations" / "test-signinlogs-sample.log").read_bytes(),
]
# Reader entry points the seeds above do not reach: the portal CSV, Log Analytics JSON lines, the legacy
# beta shape, an Event Hub body, UTF-16 text and documents streamed element by element (ijson).
MORE_SEEDS = [
    (FIXTURES / "portal" / "InteractiveSignIns_2026-11-03_2026-11-04.csv").read_bytes(),
    (FIXTURES / "cross_format" / "log_analytics.jsonl").read_bytes(),
    (PUBLIC / "msgraph-docs" / "signin-get_beta_legacy_response.json").read_bytes(),
    b'{"records": [' + b",".join((FIXTURES / "cross_format" / "azure_monitor.log").read_bytes().splitlines()) + b"]}",
]
STREAMED = IngestLimits(max_record_bytes=1 << 20, max_document_bytes=64)
LIMITS = IngestLimits(max_record_bytes=1 << 20, max_document_bytes=1 << 20)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read_all(content: bytes, name: str = "input.json", limits: IngestLimits = LIMITS) -> list[Found | Rejected]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(content)
        return list(read_file(path, limits).items)


def assert_accounted(items: list) -> None:
    for item in items:
        if isinstance(item, Found):
            assert item.signin_id and item.created_at.tzinfo is not None and item.text
        else:
            assert isinstance(item, Rejected) and item.reason and isinstance(item.locator, str)


def damage_once(draw, data: bytearray, max_insert: int = 40) -> bytearray:
    """`data` with bytes cut at, inserted at or flipped at one drawn place."""
    at = draw(st.integers(0, len(data)))
    action = draw(st.sampled_from(["cut", "insert", "flip"]))
    if action == "cut":
        return data[:at]
    if action == "insert":
        data[at:at] = draw(st.binary(min_size=1, max_size=max_insert))
    elif data:
        data[min(at, len(data) - 1)] ^= draw(st.integers(1, 255))
    return data


@st.composite
def damaged(draw, seeds: list[bytes] = SEEDS) -> bytes:
    """A real input with bytes cut, inserted or flipped, perhaps gzipped and cut again."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        data = damage_once(draw, data)
    if draw(st.booleans()):
        packed = gzip.compress(bytes(data), mtime=0)
        data = bytearray(packed[: draw(st.integers(10, len(packed)))])
    return bytes(data)


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes_never_raise(content: bytes):
    for item in read_all(content):
        assert isinstance(item, (Found, Rejected))
        if isinstance(item, Rejected):
            assert item.reason


@FUZZ
@given(damaged())
def test_damaged_exports_never_raise_and_keep_ids(content: bytes):
    items = read_all(content)
    for item in items:
        if isinstance(item, Found):
            assert item.signin_id and item.created_at.tzinfo is not None
            assert item.text  # canonical JSON the database will parse
        else:
            assert item.reason and isinstance(item.locator, str)


@FUZZ
@given(
    st.lists(st.sampled_from(SEEDS[0].splitlines(keepends=True) + [b"garbage\n", b"{\n", b"[]\n", b"\n"]), max_size=12)
)
def test_json_lines_count_every_non_blank_line(lines: list[bytes]):
    """Every non-blank line is one record, found or rejected (an empty array holds none)."""
    content = b"".join(lines)
    if not content.lstrip().startswith((b"{", b"[")):
        return
    items = read_all(content, "lines.log")
    assert len(items) == sum(1 for line in lines if line.strip() and line.strip() != b"[]")


@FUZZ
@given(damaged(MORE_SEEDS), st.sampled_from(["InteractiveSignIns.csv", "input.json"]))
def test_other_formats_never_raise(content: bytes, name: str):
    assert_accounted(read_all(content, name))


@FUZZ
@given(damaged(SEEDS + MORE_SEEDS), st.sampled_from(["utf-16-le", "utf-16-be"]), st.booleans())
def test_utf16_exports_never_raise(content: bytes, encoding: str, bom: bool):
    text = content.decode("utf-8", errors="replace")
    assert_accounted(
        read_all(("\ufeff" if bom else "").encode(encoding) + text.encode(encoding, errors="surrogatepass"))
    )


@FUZZ
@given(damaged([SEEDS[1], SEEDS[3], MORE_SEEDS[3]]))
def test_streamed_documents_never_raise(content: bytes):
    assert_accounted(read_all(content, limits=STREAMED))
