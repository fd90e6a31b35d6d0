"""The hostile input corpus: bad files, each with the outcome it must have when ingested.

Every case declares (records found, sign-ins loaded, records quarantined, a pattern every quarantine
reason of the file matches). The truncation families are generated: a JSON lines file and a Graph page
cut right after every kind of structural boundary (each bracket, colon, comma, string and literal, at
each nesting depth) of a real record, with the outcome worked out from where the cut falls.

Usage: python -m reliability.corpus write DIR   (writes the corpus)
       python -m reliability.corpus run DIR     (ingests each file into a fresh store in this process,
                                                 one JSON line per file: outcome, seconds, peak RSS)
"""

from __future__ import annotations

import codecs
import gzip
import json
import os
import re
import resource
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from signins import PROJECT_ROOT

FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
BASE = json.loads((FIXTURES / "cross_format" / "graph_beta_page.json").read_text())["value"][0]
LA_CSV = (FIXTURES / "cross_format" / "log_analytics.csv").read_bytes()
PORTAL_CSV = (FIXTURES / "portal" / "InteractiveSignIns_2026-11-03_2026-11-04.csv").read_bytes()
HUGE_LINE = 100 * 1024 * 1024


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[], bytes]
    records: int  # records found, good and bad
    loaded: int  # sign-ins loaded
    quarantined: int
    reason: str = ""  # a regex every quarantine reason of the file matches


def signin(n: int, **changes) -> dict:
    return {**BASE, "id": f"00000000-0000-4000-8000-{n:012d}", **changes}


def lines(*records) -> bytes:
    return b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in records)


def page(*records, indent: int | None = 1) -> bytes:
    return json.dumps(
        {"@odata.context": "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns", "value": list(records)},
        indent=indent,
    ).encode()


GOOD2 = lines(signin(1), signin(2))
DEEP = b"[" * 10_000 + b"]" * 10_000


def structure(text: bytes) -> Iterator[tuple[str, int, int]]:
    """(kind, depth, offset just after it) of every structural boundary of a JSON text; a bracket
    counts at the depth of the container it opens or closes."""
    depth, in_string, escaped = 0, False, False
    for i, byte in enumerate(text):
        char, kind = chr(byte), None
        if in_string:
            if not escaped and char != "\\":
                kind = "string-end" if char == '"' else "in-string"
            in_string = escaped or char != '"'
            escaped = not escaped and char == "\\"
        elif char == '"':
            kind, in_string = "string-start", True
        elif char in "{[":
            depth += 1
            kind = char
        elif char in "}]":
            kind = char
        elif char in ":,":
            kind = char
        elif char in "tfn" or char.isdigit():
            kind = "literal" if char in "tfn" else "number"
        if kind:
            yield kind, depth, i + 1
        if char in "}]" and not in_string and kind:
            depth -= 1


def boundaries(text: bytes) -> Iterator[tuple[str, int, int]]:
    """The first boundary of each kind at each depth, except the end of the text."""
    seen = set()
    for kind, depth, at in structure(text):
        if (kind, depth) not in seen and at < len(text):
            seen.add((kind, depth))
            yield kind, depth, at


def _named(kind: str) -> str:
    return {
        "{": "open-object",
        "}": "close-object",
        "[": "open-array",
        "]": "close-array",
        ":": "colon",
        ",": "comma",
    }.get(kind, kind)


def cut_lines() -> list[Case]:
    """Two good lines, then a third cut short: the third is malformed JSON, the two load."""
    third = json.dumps(signin(3)).encode()
    return [
        Case(f"lines-cut-{_named(kind)}-{depth}.log", lambda at=at: GOOD2 + third[:at], 3, 2, 1, "malformed JSON")
        for kind, depth, at in boundaries(third)
    ]


def _page_outcome(text: bytes, at: int) -> tuple[int, int, int]:
    """A page cut at `at`: the records completed before the cut load and the cut is one rejection;
    cut before its record array opens, the file is one rejection; after the array closes, nothing is lost."""
    seen = [(kind, depth) for kind, depth, end in structure(text) if end <= at]
    closed = seen.count(("}", 3))
    if ("]", 2) in seen:
        return closed, closed, 0
    return (closed + 1, closed, 1) if ("[", 2) in seen else (1, 0, 1)


def cut_pages() -> list[Case]:
    text = page(signin(1), signin(2), signin(3), indent=2)
    return [
        Case(
            f"page-cut-{_named(kind)}-{depth}.json",
            lambda at=at: text[:at],
            *_page_outcome(text, at),
            reason="truncated|malformed",
        )
        for kind, depth, at in boundaries(text)
    ]


def zip_bomb() -> bytes:
    """Two good lines, then 300 MiB of spaces: ~300 KB of gzip named like an export."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b" " * (1 << 20)
    return packer.compress(GOOD2) + b"".join(packer.compress(chunk) for _ in range(300)) + packer.flush()


def deep_field(n: int) -> bytes:
    return json.dumps(signin(n)).encode().replace(b'"userAgent": ', b'"userAgent": ' + DEEP + b', "x": ', 1)


def huge_line() -> bytes:
    return (
        GOOD2
        + json.dumps(signin(3, userAgent=""))
        .encode()
        .replace(b'"userAgent": ""', b'"userAgent": "' + b"A" * HUGE_LINE + b'"')
        + b"\n"
    )


# A page saved without white space, one line longer than the record size limit: read element by element.
COMPACT_RECORDS = 9_000


def compact_page() -> bytes:
    records = [signin(n) for n in range(COMPACT_RECORDS)]
    return json.dumps({"value": records}, separators=(",", ":")).encode()


def csv_with_a_huge_cell() -> bytes:
    """A Log Analytics CSV whose second row has a 40 MB cell: that row alone is quarantined."""
    header, row = LA_CSV.split(b"\r\n", 1)
    after = row.replace(b"3c1d2f7a-9e4b-4a61-b0c2-7d8e9f0a1b2c", b"3c1d2f7a-9e4b-4a61-b0c2-000000000003")
    return header + b"\r\n" + row + b'x,"' + b"y" * (40 * 1024 * 1024) + b'"\r\n' + after


OUT_OF_RANGE = [
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "10000-01-01T00:00:00Z",
    "-0001-01-01T00:00:00Z",
    "1969-12-31T23:59:59Z",
    "2026-13-45T00:00:00Z",
    "2026-02-29T00:00:00Z",
    "1700000000000",
    "",
]
UNREADABLE = r"unreadable|missing"

SPECIAL = [
    # encodings
    Case("utf32.log", lambda: codecs.BOM_UTF32_LE + GOOD2.decode().encode("utf-32-le"), 1, 0, 1, "binary data"),
    Case("ebcdic.log", lambda: GOOD2.decode().encode("cp500"), 1, 0, 1, "unknown format"),
    Case(
        "shift-jis-first-line.log",
        lambda: GOOD2.replace(b'"userDisplayName": "', b'"userDisplayName": "' + "カイ".encode("shift_jis"), 1),
        2,
        1,
        1,
        "malformed JSON",
    ),
    Case(
        "latin1-second-line.log",
        lambda: lines(signin(1), signin(2, userDisplayName="Zo")).replace(b'"Zo"', b'"Zo\xeb"'),
        2,
        1,
        1,
        "not valid UTF-8",
    ),
    Case(
        "lone-surrogate.log",
        lambda: lines(signin(1), signin(2)).replace(b'"userDisplayName": "', b'"userDisplayName": "\\ud800', 1),
        2,
        1,
        1,
        "malformed JSON",
    ),
    Case(
        "utf16-odd-length.log",
        lambda: codecs.BOM_UTF16_LE + GOOD2.decode().encode("utf-16-le")[:-1],
        2,
        1,
        1,
        "malformed JSON",
    ),
    Case("bom-mid-file.log", lambda: lines(signin(1)) + codecs.BOM_UTF8 + lines(signin(2)), 2, 1, 1, "BOM"),
    # NUL bytes
    Case("nul-first-byte.log", lambda: b"\x00" + GOOD2, 1, 0, 1, "binary data"),
    Case(
        "nul-in-a-key.log",
        lambda: GOOD2.replace(b'"userDisplayName"', b'"user\x00DisplayName"', 1),
        1,
        0,
        1,
        "binary data",
    ),
    Case(
        "nul-after-the-sniffed-head.log",
        lambda: lines(*map(signin, range(1, 5))) + b'{"id": "\x00"}\n' + lines(signin(9)),
        6,
        5,
        1,
        "control character",
    ),
    Case("nul-escaped.log", lambda: lines(signin(1, userAgent="a\u0000b")), 1, 1, 0),
    Case("nul-in-csv.csv", lambda: LA_CSV.replace(b",", b",\x00", 3), 1, 0, 1, "binary data"),
    # size and depth
    Case("line-of-100-mb.log", huge_line, 3, 2, 1, "exceeds the 33554432 byte limit"),
    Case(
        "nested-10000-deep-line.log",
        lambda: lines(signin(1), b'{"a":' * 10_000 + b"1" + b"}" * 10_000),
        2,
        1,
        1,
        "depth limit",
    ),
    Case("nested-10000-deep-first-field.log", lambda: lines(deep_field(1), signin(2)), 2, 1, 1, "depth limit"),
    Case(
        "nested-10000-deep-page.json",
        lambda: b'{"value": [' + json.dumps(signin(1)).encode() + b"," + DEEP + b"]}",
        1,
        0,
        1,
        "depth limit",
    ),
    Case(
        "array-of-100000-ca-policies.log",
        lambda: lines(
            signin(1, appliedConditionalAccessPolicies=BASE["appliedConditionalAccessPolicies"][:1] * 100_000)
        ),
        1,
        1,
        0,
    ),
    Case(
        "page-of-20000-empty-objects.json",
        lambda: json.dumps({"value": [{}] * 20_000}).encode(),
        20_000,
        0,
        20_000,
        "not a sign-in record",
    ),
    # types
    Case(
        "numbers-as-strings.log",
        lambda: lines(
            signin(1, status={"errorCode": "500121"}, isInteractive="true", processingTimeInMilliseconds="12")
        ),
        1,
        1,
        0,
    ),
    Case(
        "strings-as-numbers.log",
        lambda: lines(
            signin(
                1, userPrincipalName=12345, appDisplayName=1.5, userAgent=True, ipAddress=[1, 2], riskLevelAggregated=7
            )
        ),
        1,
        1,
        0,
    ),
    Case(
        "error-codes-float-huge-infinite.log",
        lambda: lines(
            signin(1, status={"errorCode": 500121.0}),
            signin(2, status={"errorCode": 2**70}),
            b'{"id": "00000000-0000-4000-8000-000000000003", '
            b'"createdDateTime": "2026-11-03T08:14:22Z", "status": {"errorCode": 1e400}}',
        ),
        3,
        2,
        1,
        "infinity",
    ),
    Case(
        "id-and-time-of-wrong-type.log",
        lambda: lines(signin(1, id=7), signin(2, createdDateTime=True)),
        2,
        0,
        2,
        r"no sign-in id|createdDateTime is unreadable",
    ),
    # dates
    Case(
        "dates-out-of-range.log",
        lambda: lines(*[signin(i, createdDateTime=d) for i, d in enumerate(OUT_OF_RANGE)]),
        len(OUT_OF_RANGE),
        0,
        len(OUT_OF_RANGE),
        UNREADABLE,
    ),
    # one bad thing among good ones stays one bad thing
    Case(
        "good-and-out-of-range-times.log",
        lambda: lines(signin(100), *[signin(i, createdDateTime=d) for i, d in enumerate(OUT_OF_RANGE)], signin(101)),
        len(OUT_OF_RANGE) + 2,
        2,
        len(OUT_OF_RANGE),
        UNREADABLE,
    ),
    Case(
        "good-and-out-of-range-times-page.json",
        lambda: page(signin(100), *[signin(i, createdDateTime=d) for i, d in enumerate(OUT_OF_RANGE)], signin(101)),
        len(OUT_OF_RANGE) + 2,
        2,
        len(OUT_OF_RANGE),
        UNREADABLE,
    ),
    Case("compact-page-over-the-record-limit.json", compact_page, COMPACT_RECORDS, COMPACT_RECORDS, 0),
    Case("csv-with-a-40-mb-cell.csv", csv_with_a_huge_cell, 3, 2, 1, "exceeds the 33554432 byte limit"),
    # file names that are not UTF-8, or that hold line ends and escape sequences: what matters is the content
    Case(os.fsdecode(b"caf\xe9-export.json"), lambda: GOOD2, 2, 2, 0),
    Case("line\nOK   forged.json", lambda: GOOD2, 2, 2, 0),
    Case("title\x1b]0;pwned\x07.json", lambda: GOOD2, 2, 2, 0),
    # mixed formats in one file
    Case("json-lines-then-csv.log", lambda: GOOD2 + LA_CSV, 25, 2, 23, "malformed JSON"),
    Case("csv-then-json-lines.csv", lambda: LA_CSV + GOOD2, 3, 1, 2, "row has"),
    Case("page-then-json-lines.json", lambda: page(signin(1)) + b"\n" + GOOD2, 2, 1, 1, "after the record array"),
    Case("portal-csv-with-a-short-row.csv", lambda: PORTAL_CSV + b"a,b\r\n", 3, 2, 1, "row has 2 cells"),
    Case(
        "csv-unclosed-quote.csv",
        lambda: LA_CSV + b'"unclosed,quote\r\n' + LA_CSV.split(b"\n", 1)[1],
        23,
        1,
        22,
        "row has",
    ),
    Case(
        "csv-header-of-10000-columns.csv",
        lambda: LA_CSV.split(b"\r\n")[0] + b"," + b",".join(b"c%d" % i for i in range(10_000)) + b"\r\n",
        0,
        0,
        0,
    ),
    # compression
    Case("zip-bomb.json.gz", zip_bomb, 3, 2, 1, "zip bomb"),
    Case(
        "gzip-inside-gzip.log.gz", lambda: gzip.compress(gzip.compress(GOOD2, mtime=0), mtime=0), 1, 0, 1, "binary data"
    ),
    Case("gzip-then-garbage.log.gz", lambda: gzip.compress(GOOD2, mtime=0) + b"garbage!", 3, 2, 1, "corrupt gzip"),
    Case(
        "gzip-of-two-members.log.gz",
        lambda: gzip.compress(lines(signin(1)), mtime=0) + gzip.compress(lines(signin(2)), mtime=0),
        2,
        2,
        0,
    ),
]


def cases() -> list[Case]:
    return cut_lines() + cut_pages() + SPECIAL


def write(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    for case in cases():
        (folder / case.name).write_bytes(case.make())
    return [folder / case.name for case in cases()]


def peak_rss_mib() -> float:
    """This process's peak resident memory: the kernel's high-water mark of its own memory (VmHWM). Not
    ru_maxrss: that one carries over the peak of the process it was started from (a test run that has
    grown big), through the exec."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            return int(next(line for line in status if line.startswith("VmHWM:")).split()[1]) / 1024
    except (OSError, StopIteration):  # not Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(path: Path) -> dict:
    """Ingest one file into a fresh store: its outcome, reasons, seconds and this process's peak RSS."""
    from signins.ingest import blobs
    from signins.ingest.load import ingest_file
    from signins.settings import IngestLimits
    from signins.store.database import connect

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "corpus.duckdb"
        con = connect(db)
        began = time.monotonic()
        outcome = ingest_file(con, path, blobs.blob_root(db), IngestLimits())
        seconds = time.monotonic() - began
        reasons = [r for (r,) in con.execute("SELECT reason FROM quarantine").fetchall()]
        loaded = con.execute("SELECT count(*) FROM signins").fetchall()[0][0]
        con.close()
    return {
        "name": path.name,
        "records": outcome.records,
        "loaded": loaded,
        "quarantined": outcome.quarantined,
        "reasons": sorted(set(reasons)),
        "quarantine_rows": len(reasons),
        "seconds": round(seconds, 3),
        "peak_rss_mib": round(peak_rss_mib()),
    }


def expected(case: Case) -> tuple[int, int, int]:
    return case.records, case.loaded, case.quarantined


def problems(case: Case, got: dict) -> list[str]:
    """How a measured outcome differs from the case's declaration."""
    found = []
    if (got["records"], got["loaded"], got["quarantined"]) != expected(case):
        found.append(
            f"records/loaded/quarantined {got['records']}/{got['loaded']}/{got['quarantined']}, "
            f"declared {'/'.join(map(str, expected(case)))}"
        )
    if got["quarantine_rows"] != case.quarantined:
        found.append(f"{got['quarantine_rows']} quarantine rows")
    found += [
        f"reason {r!r} does not match {case.reason!r}" for r in got["reasons"] if not r or not re.search(case.reason, r)
    ]
    return found


def main(argv: list[str]) -> int:
    command, folder = argv[0], Path(argv[1])
    if command == "write":
        print(f"{len(write(folder))} files -> {folder}")
        return 0
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        print(json.dumps(measure(path)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
