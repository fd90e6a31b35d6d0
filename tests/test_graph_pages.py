"""Graph response pages (and bare arrays of records): once a cleanly parsed page's first element proves
to be a plain Graph sign-in, the elements after it go to the database as candidates, as the text Python
would hand it; whatever the database does not take, Python reads. Either way the store must end up
exactly as if Python had read every element (tests.test_graph_lines holds the comparison)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signins import PROJECT_ROOT
from signins.ingest.documents import parse_document
from signins.ingest.reader import read_file
from signins.ingest.records import Candidate
from signins.settings import IngestLimits
from tests.conftest import FIXTURES, PUBLIC, Store
from tests.test_graph_lines import DIAG, GRAPH, PYTHON_ONLY, assert_same_tables, graph, ingest_both_ways

SAMPLE_PAGES = sorted((PROJECT_ROOT / "data" / "sample" / "signins").glob("page-*.json.gz"))
CONTEXT = b'"@odata.context": "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns"'
NEXT = b'"@odata.nextLink": "https://graph.microsoft.com/beta/auditLogs/signIns?$top=1000&$skiptoken=abc"'


def laid_out(elements: list[bytes], layout: str) -> bytes:
    """Elements as a file: a Graph page over several lines (read as a document), a page on one line
    (as Graph sends it and `signins pull` keeps it), a bare array, or two pages on two lines."""
    if layout == "document":
        return (
            b"{\n  " + CONTEXT + b',\n  "value": [\n    ' + b",\n    ".join(elements) + b"\n  ],\n  " + NEXT + b"\n}\n"
        )
    if layout == "line":
        return b"{" + CONTEXT + b', "value": [' + b",".join(elements) + b"], " + NEXT + b"}\n"
    if layout == "array":
        return b"[\n" + b",\n".join(elements) + b"\n]\n"
    assert layout == "two lines"
    half = len(elements) // 2
    return laid_out(elements[:half], "line") + laid_out([graph(900)] + elements[half:], "line")


LAYOUTS = ["document", "line", "array", "two lines"]


def candidates(path: Path, limits: IngestLimits | None = None) -> list[Candidate]:
    return [item for item in read_file(path, limits or IngestLimits()).items if isinstance(item, Candidate)]


def ingest_page(tmp_path: Path, elements: list[bytes], layout: str, **limits) -> tuple[Store, Store, list[Candidate]]:
    """The page ingested both ways; also what the reader handed the database."""
    database, python = ingest_both_ways(tmp_path, laid_out(elements, layout), "page.json", **limits)
    return database, python, candidates(tmp_path / "page.json")


def with_raw(record: bytes, old: bytes, new: bytes) -> bytes:
    assert old in record
    return record.replace(old, new, 1)


O365 = b'{"RecordType": 15, "Operation": "UserLoggedIn", "CreationTime": "2026-11-27T23:43:22"}'
LOG_ANALYTICS = (PUBLIC / "msticpy" / "aad_logons.jsonl").read_bytes().splitlines()[0]
ELASTIC = (PUBLIC / "elastic-integrations" / "test-signinlogs-sample.log").read_bytes().splitlines()[0]

# After a plain first element: what a page may hold besides plain Graph sign-ins.
ODD_ELEMENTS = [
    graph(0),
    graph(1),
    graph(2, userDisplayName='Zoë 🙂 "quoted" \\ back'),
    b"{}",
    b"5",
    b"null",
    b'"a string"',
    b"[]",
    b"[" + graph(3) + b"]",  # not sign-ins
    O365,
    DIAG,
    LOG_ANALYTICS,
    ELASTIC,  # other shapes in a Graph array
    graph(4, id=4),
    graph(5, createdDateTime=20261127),
    graph(6, resourceTenantId=6),  # wrong types
    graph(7, userId=7, isInteractive="yes"),
    graph(8, status="failed"),
    graph(9, signInEventTypes="interactiveUser"),
    graph(10, authenticationDetails={"step": 1}),
    graph(11, location=[1, 2]),
    graph(12, resourceTenantId={"a": 1}),
    graph(13, appliedConditionalAccessPolicies=[{"conditionsSatisfied": 3, "result": None}, 7]),
    with_raw(graph(14), b'"autonomousSystemNumber":64500', b'"autonomousSystemNumber":123456789012345678901234567890'),
    graph(15, createdDateTime="2026-11-27T23:43:22.6195838Z"),  # 7 fraction digits: cut, not rounded
    graph(16, createdDateTime="2026-11-27T23:43:22.5+02:00"),  # an offset: Python's reading
    graph(17, createdDateTime="1900-01-01T00:00:00Z"),  # out of the database's range
    graph(18, createdDateTime=...),
    graph(19, id=...),
    graph(20, id=" padded "),
    graph(21, id=""),
    graph(22, signInEventTypes=[]),
    graph(23, signInEventTypes=["SERVICEPRINCIPAL"]),
    graph(24, properties=None),
    graph(25, conditionalAccessPolicies=[]),  # plain, then the legacy shape
    graph(26, userAgent="a\u0000b"),
    graph(27, userDisplayName="\u00e9t\u00e9"),
    graph(1),  # the same sign-in again
    graph(28, correlationId=...),  # a less complete version ...
    graph(28, createdDateTime="2026-11-27T23:43:22+00:00"),  # ... and a more complete one Python must read
    graph(29, createdDateTime="2026-11-27T23:43:22+00:00"),  # equally complete versions: the one whose
    graph(29),  # content hashes smaller wins, whoever reads it
]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_elements_after_a_plain_first_one_go_to_the_database(tmp_path: Path, layout: str):
    path = tmp_path / "page.json"
    path.write_bytes(laid_out([graph(n) for n in range(5)], layout))
    handed = candidates(path)
    expected = {
        "document": [(f"/value/{i}", None, "document") for i in range(1, 5)],
        "array": [(f"/{i}", None, "document") for i in range(1, 5)],
        "line": [(f"line:1/value/{i}", 1, "page") for i in range(1, 5)],
        "two lines": [("line:1/value/1", 1, "page")] + [(f"line:2/value/{i}", 2, "page") for i in range(1, 4)],
    }[layout]
    assert [(c.locator, c.line, c.container) for c in handed] == expected
    assert all(c.offset is None and c.length is None and c.format == f"graph/{c.container}" for c in handed)
    assert [c.text for c in handed[:3]] == [orjson.dumps(orjson.loads(graph(n))) for n in (1, 2, 3)]
    assert not candidates(path, PYTHON_ONLY)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_page_of_odd_elements_loads_as_if_python_had_read_it(tmp_path: Path, layout: str):
    database, python, handed = ingest_page(tmp_path, ODD_ELEMENTS, layout)
    assert len(handed) > 30
    assert_same_tables(database, python)
    assert database.scalar("SELECT count(*) FROM quarantine") == 13
    assert database.scalar("SELECT count(*) FROM signins") == 26 + (layout == "two lines")
    assert database.scalar("SELECT tenant_id FROM signins WHERE id LIKE '%000000000006'") == ""
    assert database.scalar("SELECT created_at FROM signins WHERE id LIKE '%000000000015'").microsecond == 619583
    assert database.scalar("SELECT created_at FROM signins WHERE id LIKE '%000000000029'").day in (3, 27)
    assert database.rows("SELECT new_signins, updated_signins FROM ingest_log") == [(26 + (layout == "two lines"), 0)]


@pytest.mark.parametrize("layout", ["document", "line"])
def test_small_batches_load_as_if_python_had_read_them(tmp_path: Path, layout: str):
    """Refused elements are resolved batch by batch, and versions of one sign-in meet across batches."""
    database, python, handed = ingest_page(tmp_path, ODD_ELEMENTS, layout, batch_records=4)
    assert handed
    assert_same_tables(database, python)


@pytest.mark.parametrize("layout", ["document", "line"])
def test_a_refused_element_keeps_the_place_python_gives_it(tmp_path: Path, layout: str):
    elements = [graph(0), graph(1), b"{}", graph(3, createdDateTime="2026-11-27T23:43:22.5+02:00"), graph(4)]
    database, python, handed = ingest_page(tmp_path, elements, layout)
    assert [c.locator.rsplit("/", 1)[1] for c in handed] == ["1", "2", "3", "4"]
    assert_same_tables(database, python)
    where = "line:1/value" if layout == "line" else "/value"
    assert database.rows("SELECT locator, line FROM quarantine") == [(f"{where}/2", 1 if layout == "line" else None)]
    assert database.rows(
        "SELECT locator, line, byte_offset, byte_length, format FROM raw_records WHERE signin_id LIKE '%000000000003'"
    ) == [
        (
            f"{where}/3",
            1 if layout == "line" else None,
            None,
            None,
            f"graph/{'page' if layout == 'line' else 'document'}",
        )
    ]


@pytest.mark.parametrize("layout", ["document", "line"])
def test_pages_that_needed_leniency_are_read_by_python(tmp_path: Path, layout: str):
    """A document with a trailing comma or a repeated key is read by Python as a whole, and so is a page
    line followed by a comma; on one line a repeated key goes unnoticed (orjson keeps the last value
    whoever reads it), and a trailing comma inside the page leaves the line unreadable."""
    plain = [graph(0), graph(1), graph(2)]
    repeated = with_raw(graph(2), b'"userDisplayName":', b'"userDisplayName":"first","userDisplayName":')
    cases = {
        "comma inside": laid_out(plain, layout).replace(b"]", b",]", 1)
        if layout == "line"
        else laid_out([graph(0), graph(1), graph(2) + b","], layout),
        "comma after": laid_out(plain, layout).rstrip(b"\n") + b",\n",
        "repeated key": laid_out([graph(0), graph(1), repeated], layout),
    }
    for case, content in cases.items():
        folder = tmp_path / case.replace(" ", "-")
        folder.mkdir()
        database, python = ingest_both_ways(folder, content, "page.json")
        assert_same_tables(database, python)
        handed = candidates(folder / "page.json")
        notes, quarantined = database.rows("SELECT notes, quarantined FROM ingest_log")[0]
        if layout == "line" and case == "repeated key":
            assert len(handed) == 2 and not notes
            assert (
                database.scalar("SELECT user_display_name FROM signins WHERE id LIKE '%000000000002'")
                == GRAPH["userDisplayName"]
            )
        elif layout == "line" and case == "comma inside":
            assert not handed and quarantined == 1
        else:  # tolerated with a note, or (a comma after a document) the text after the array quarantined
            assert not handed and (notes or quarantined), case


def test_a_page_whose_first_element_is_not_plain_graph_is_read_by_python(tmp_path: Path):
    for name, first in (("diag", DIAG), ("legacy", graph(100, conditionalAccessPolicies=[])), ("empty", b"{}")):
        folder = tmp_path / name
        folder.mkdir()
        database, python = ingest_both_ways(folder, laid_out([first, graph(1), graph(2)], "document"), "page.json")
        assert not candidates(folder / "page.json"), name
        assert_same_tables(database, python)


def test_an_event_hub_body_and_a_streamed_document_are_read_by_python(tmp_path: Path):
    body = b'{"records": [' + b",".join(graph(n) for n in range(3)) + b"]}"
    (tmp_path / "body.json").write_bytes(body)
    assert not candidates(tmp_path / "body.json")
    streamed = dict(max_document_bytes=1024)
    database, python = ingest_both_ways(
        tmp_path, laid_out([graph(n) for n in range(3)], "document"), "big.json", **streamed
    )
    assert not candidates(tmp_path / "big.json", IngestLimits(**streamed))
    assert_same_tables(database, python)
    assert database.scalar("SELECT count(*) FROM signins") == 3


def test_a_page_line_after_plain_graph_lines_is_read_by_python(tmp_path: Path):
    """In a file of plain Graph lines a page line is a candidate line; the database refuses it, and
    Python reads it as it reads any page line."""
    content = graph(0) + b"\n" + laid_out([graph(1), graph(2, id=2), graph(3)], "line") + graph(4) + b"\n"
    database, python = ingest_both_ways(tmp_path, content)
    assert_same_tables(database, python)
    assert database.scalar("SELECT count(*) FROM raw_records WHERE locator LIKE 'line:2/value/%'") == 2


def test_the_sample_tenant_pages_load_the_same_either_way(tmp_path: Path):
    pages = [SAMPLE_PAGES[0], SAMPLE_PAGES[-1]]
    as_document = tmp_path / "page-as-document.json"
    page = orjson.loads(gzip.decompress(SAMPLE_PAGES[1].read_bytes()))
    as_document.write_bytes(json.dumps(page, indent=1, ensure_ascii=False).encode())
    database, python = ingest_both_ways(tmp_path, pages + [as_document])
    assert_same_tables(database, python)
    assert len(candidates(SAMPLE_PAGES[0])) == len(page["value"]) - 1
    assert len(candidates(as_document)) == len(page["value"]) - 1
    assert database.rows("SELECT DISTINCT format FROM ingest_log ORDER BY 1") == [("graph/document",), ("graph/page",)]


def test_the_public_graph_pages_load_the_same_either_way(tmp_path: Path):
    """The public Graph pages hold one record each, and two needed leniency: Python reads them; a page of
    their records with Azure Monitor, Log Analytics and Elastic ones mixed in goes to the database."""
    files = sorted((PUBLIC / "msgraph-docs").glob("*.json"))
    assert len(files) == 3
    database, python = ingest_both_ways(tmp_path, files)
    assert_same_tables(database, python)
    assert not any(candidates(path) for path in files)
    records = [orjson.dumps(element) for path in files for _, element in parse_document(path.read_bytes()).items]
    beta = orjson.loads(records[-1])
    elements = [
        records[-1],
        orjson.dumps({**beta, "id": beta["id"][:-4] + "0001"}),
        *records[:-1],
        orjson.dumps({**beta, "id": beta["id"][:-4] + "0002", "resourceTenantId": 42}),
        DIAG,
        LOG_ANALYTICS,
        ELASTIC,
        *(FIXTURES / "cross_format" / "azure_monitor.log").read_bytes().splitlines(),
    ]
    for layout in ("document", "line"):
        (tmp_path / layout).mkdir()
        database, python, handed = ingest_page(tmp_path / layout, elements, layout)
        assert len(handed) == len(elements) - 1
        assert_same_tables(database, python)
        assert database.scalar("SELECT count(*) FROM signins") >= 6


def test_the_duplicate_key_check_is_skipped_only_when_no_key_repeats():
    page = laid_out([graph(0), graph(1, userDisplayName="a: b")], "document")
    assert parse_document(page).notes == []
    repeated = with_raw(page, b'"userDisplayName":', b'"userDisplayName": "x",\n "userDisplayName":')
    assert parse_document(repeated).notes == ["duplicate keys in 1 object(s): the last value of each was used"]
    # an escaped colon would hide the colon a repeated key adds, were escapes not looked for
    escaped = with_raw(page.replace(b'"a: b"', b'"a\\u003a b"'), b'"appId":', b'"appId": "x", "appId":')
    assert parse_document(escaped).notes == ["duplicate keys in 1 object(s): the last value of each was used"]
    nested = with_raw(page, b'"status":{', b'"status":{"errorCode": "x", ')
    assert parse_document(nested).notes == ["duplicate keys in 1 object(s): the last value of each was used"]


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["2026-11-27T23:43:22Z", "interactiveUser", "", " "]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(sorted(GRAPH)[:12] + ["x"]), inner, max_size=3)
    ),
    max_leaves=6,
)


# The keys Python looks at to say what a Graph record is (signins.ingest.shapes), which the database
# must judge alike.
READ_BY_PYTHON = [
    "id",
    "createdDateTime",
    "signInEventTypes",
    "isInteractive",
    "userId",
    "servicePrincipalId",
    "resourceTenantId",
    "properties",
    "event",
    "conditionalAccessPolicies",
    "conditionalAccessApplied",
]


@st.composite
def pages_with_wrong_types(draw) -> tuple[list[bytes], str]:
    """Graph elements after a plain first one, with a few values of any JSON type (nested ones too)."""
    elements = [orjson.loads(graph(n)) for n in range(draw(st.integers(2, 7)))]
    for _ in range(draw(st.integers(1, 5))):
        element = elements[draw(st.integers(1, len(elements) - 1))]
        key = draw(st.sampled_from(READ_BY_PYTHON) | st.sampled_from(sorted(GRAPH)))
        if isinstance(element.get(key), dict) and draw(st.booleans()):
            element[key] = {**element[key], draw(st.sampled_from(sorted(element[key]) or ["x"])): draw(JSON_VALUES)}
        else:
            element[key] = draw(JSON_VALUES)
    return [orjson.dumps(e) for e in elements], draw(st.sampled_from(["document", "line"]))


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(pages_with_wrong_types())
def test_pages_with_wrong_types_load_the_same_either_way(tmp_path_factory, case: tuple[list[bytes], str]):
    elements, layout = case
    database, python, handed = ingest_page(tmp_path_factory.mktemp("pages"), elements, layout)
    assert len(handed) == len(elements) - 1
    assert_same_tables(database, python)
