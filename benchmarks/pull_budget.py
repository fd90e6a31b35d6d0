"""The Graph request budget: how many requests a first pull costs, with slices sized by what Graph
returns against slices of one day, in the same run.

A tenant of N sign-ins spread evenly over D days (four event types) is served by the local Graph stand-in
(reliability/graph_server.py, 127.0.0.1) in pages of P; `signins pull` reads the whole window into a new
store twice: as it does (signins.graph.slicing), and with every slice kept at SIGNINS_PULL_SLICE_HOURS
(24 hours), the way it read before. The table gives the requests per event type, the pages of data, and
how long the requests would take at Graph's limit of 5 requests per 10 seconds.

Usage: .venv/bin/python benchmarks/pull_budget.py [--signins 1364] [--days 98] [--page 1000] [--out FILE]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections import Counter
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

from reliability.graph_server import EVENT_TYPES, GraphServer, make_records
from signins.graph import slicing
from signins.graph.fleet import run_sync
from signins.graph.pull import pull_tenant
from signins.graph.settings import GraphSettings
from signins.store.database import connect

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 30, tzinfo=UTC)
GRAPH_RATE = 5 / 10  # requests per second the reporting API allows per app and tenant


def pull_requests(records: list[dict], days: int, page: int, workdir: Path, fixed: bool) -> Counter:
    """Sign-in requests per event type of a first pull of the last `days` days into a new store."""
    with GraphServer(records, max_page=page) as server:
        os.environ.update(
            SIGNINS_GRAPH_BASE_URL=server.base_url,
            SIGNINS_GRAPH_TOKEN="benchmark",
            SIGNINS_TENANT_ID="benchmark",
            SIGNINS_GRAPH_RATE_LIMIT="1000/1",
            SIGNINS_RETENTION_DAYS=str(days),
        )
        db = workdir / f"{'fixed' if fixed else 'sized'}.duckdb"
        con = connect(db)
        try:
            every_slice_alike = mock.patch.object(slicing, "next_hours", lambda hours, pages, target: hours)
            with every_slice_alike if fixed else nullcontext():
                run_sync(pull_tenant(con, db, GraphSettings.from_env(), now=NOW))
        finally:
            con.close()
        asked = [r["query"]["$filter"] for r in server.requests if r["path"].endswith("/auditLogs/signIns")]
    return Counter(next(t for t in EVENT_TYPES if f"'{t}'" in f) for f in asked)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--signins", type=int, default=1364)
    parser.add_argument("--days", type=int, default=98)
    parser.add_argument("--page", type=int, default=1000, help="records per page (Graph's largest $top)")
    parser.add_argument("--out", type=Path, default=None, help="default: benchmarks/results/pull-budget-<N>.md")
    args = parser.parse_args()
    step = timedelta(days=args.days) / args.signins
    records = make_records(args.signins, NOW - timedelta(days=args.days) + step / 2, step=step)
    per_type = Counter(EVENT_TYPES[i % 4] for i in range(args.signins))
    with tempfile.TemporaryDirectory() as work:
        sized = pull_requests(records, args.days, args.page, Path(work), fixed=False)
        fixed = pull_requests(records, args.days, args.page, Path(work), fixed=True)
    lines = [
        f"Pull budget: a first pull of {args.signins:,} sign-ins over {args.days} days (four event types), "
        f"pages of {args.page}, from the local Graph stand-in; both pulls in one run.",
        "",
        "| event type | sign-ins | pages of data | requests, sized slices | requests, 24-hour slices |",
        "|---|---|---|---|---|",
    ]
    for event_type in EVENT_TYPES:
        pages = -(-per_type[event_type] // args.page)
        lines.append(
            f"| {event_type} | {per_type[event_type]:,} | {pages} | {sized[event_type]} | {fixed[event_type]} |"
        )
    total_sized, total_fixed = sum(sized.values()), sum(fixed.values())
    lines += [
        f"| all | {args.signins:,} | | {total_sized} ({total_sized / GRAPH_RATE / 60:.1f} min at 5 per 10 s) "
        f"| {total_fixed} ({total_fixed / GRAPH_RATE / 60:.1f} min) |",
        "",
        f"Sized slices need {total_fixed / total_sized:.1f}x fewer requests.",
    ]
    table = "\n".join(lines) + "\n"
    print(table)
    out = args.out or REPO / "benchmarks" / "results" / f"pull-budget-{args.signins}.md"
    out.write_text(table, encoding="utf-8")


if __name__ == "__main__":
    main()
