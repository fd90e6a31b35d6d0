"""Write a sample as Graph response pages, ground truth and tenant facts.

Output is byte-for-byte reproducible: compact JSON, gzip with ``mtime=0``, stable order,
and a ``$skiptoken`` derived from the seed and page number rather than from the clock.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from . import catalog as cat
from .generate import Sample
from .ids import iso
from .policies import POLICIES

CONTEXT = "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns"
NEXT = "https://graph.microsoft.com/beta/auditLogs/signIns?$top={top}&$skiptoken={token}"
PAGE_SIZE = 1000
TRUTH_COLUMNS = [
    "id",
    "correlation_id",
    "user_principal_name",
    "created_date_time",
    "cause",
    "scenario",
    "noise",
    "verdict",
]


def write_sample(sample: Sample, out: Path, page_size: int = PAGE_SIZE) -> list[Path]:
    """Write pages, ``ground_truth.csv`` and ``tenant.json`` under ``out``; return the paths written."""
    pages_dir = out / "signins"
    pages_dir.mkdir(parents=True, exist_ok=True)
    for stale in pages_dir.glob("page-*.json.gz"):
        stale.unlink()  # a smaller run must not leave pages of a bigger one behind
    written = [
        _write(pages_dir / f"page-{i:04d}.json.gz", gzip.compress(body, 9, mtime=0))
        for i, body in enumerate(pages(sample, page_size), start=1)
    ]
    written.append(_write(out / "ground_truth.csv", truth_csv(sample).encode()))
    written.append(_write(out / "tenant.json", (json.dumps(tenant_facts(sample), indent=2) + "\n").encode()))
    return written


def pages(sample: Sample, page_size: int = PAGE_SIZE):
    """Serialized response pages, newest records first, as ``GET /beta/auditLogs/signIns`` returns them."""
    chunks = [sample.records[i : i + page_size] for i in range(0, len(sample.records), page_size)]
    for i, chunk in enumerate(chunks, start=1):
        body = {"@odata.context": CONTEXT}
        if i < len(chunks):
            body["@odata.nextLink"] = NEXT.format(top=page_size, token=skiptoken(sample.tenant.seed, i))
        body["value"] = chunk
        yield json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def skiptoken(seed: int, page: int) -> str:
    """An opaque, reproducible token in Graph's ``<hex>_<n>`` style."""
    return hashlib.sha256(f"{seed}:{page}".encode()).hexdigest()[:32] + f"_{page}"


def truth_csv(sample: Sample) -> str:
    """``ground_truth.csv``: one row per 500121 record, oldest first."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=TRUTH_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(sample.truth)
    return buf.getvalue()


def tenant_facts(sample: Sample) -> dict:
    """Facts later stages may want: ids, privileged accounts, policies, window, counts."""
    t = sample.tenant
    in_sample = {p.number for p in t.policies}
    return {
        "tenant_id": cat.TENANT_ID,
        "tenant_domain": cat.TENANT_DOMAIN,
        "display_name": cat.TENANT_NAME,
        "synthetic": True,
        "seed": t.seed,
        "window": {"start": iso_day(t, 0), "end_exclusive": iso_day(t, t.days), "days": t.days},
        "users": len(t.users),
        "privileged_users": [
            {"user_principal_name": u.upn, "roles": list(u.roles), "break_glass": u.breakglass} for u in t.privileged
        ],
        "break_glass_users": [u.upn for u in t.users if u.breakglass],
        "conditional_access_policies": [
            {
                "id": p.id,
                "display_name": p.display_name,
                "state": p.state,
                "grant_controls": list(p.grants),
                "session_controls": list(p.session),
            }
            for p in POLICIES
            if p.number in in_sample
        ],
        "named_locations": {
            "trusted": {"Corporate offices": sorted(ip for _, ips in cat.OFFICES.values() for ip in ips)},
            "Allowed countries": ["CA", "DE", "GB", "IE", "NL", "US"],
        },
        "authenticator_minimum_version": cat.AUTHENTICATOR_MINIMUM,
        "counts": sample.counts(),
        "expected_findings": expected_findings(sample),
    }


def expected_findings(sample: Sample) -> dict:
    """User-level findings the storylines were built to produce (from causes.md)."""
    bursts: dict = {}
    for row in sample.truth:
        if row["cause"] == "mfa_fatigue":
            b = bursts.setdefault(
                row["scenario"],
                {
                    "user_principal_name": row["user_principal_name"],
                    "first": row["created_date_time"],
                    "attempts": set(),
                },
            )
            b["last"] = row["created_date_time"]
            b["attempts"].add(row["correlation_id"])
    lockout = [r for r in sample.truth if r["scenario"].startswith("privileged lockout")]
    return {
        "mfa_fatigue_bursts": [
            {**b, "scenario": name, "attempts": len(b["attempts"])} for name, b in sorted(bursts.items())
        ],
        "privileged_lockout": {
            "user_principal_name": lockout[0]["user_principal_name"],
            "first_failure": lockout[0]["created_date_time"],
            "last_failure": lockout[-1]["created_date_time"],
        }
        if lockout
        else None,
        "recurring": _recurring(sample.truth),
    }


def _recurring(truth: list) -> list:
    """Users with 500121 on >= 3 distinct days within 14 days, and their dominant cause."""
    days, causes = defaultdict(set), defaultdict(Counter)
    for row in truth:
        days[row["user_principal_name"]].add(date.fromisoformat(row["created_date_time"][:10]))
        causes[row["user_principal_name"]][row["cause"]] += 1
    out = []
    for upn in sorted(days):
        d = sorted(days[upn])
        if any((d[i + 2] - d[i]).days < 14 for i in range(len(d) - 2)):
            out.append({"user_principal_name": upn, "days": len(d), "dominant_cause": causes[upn].most_common(1)[0][0]})
    return out


def iso_day(tenant, offset: int) -> str:
    """Midnight UTC, ``offset`` days after the window starts."""
    return iso(datetime.combine(tenant.start, time(0), tzinfo=UTC) + timedelta(days=offset))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
