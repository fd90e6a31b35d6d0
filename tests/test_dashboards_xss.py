"""Hostile strings in the logs (user agent, device, app, UPN, policy name) never execute in the report:
checked in Chromium on every page, with the strings shown as plain text."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dashboards.site import build_report
from signins.analysis.tagging import tag
from tests.conftest import FIXTURES, Store
from transforms.thresholds import load_thresholds

PAYLOADS = (
    "<img src=x onerror=window.__xss=1>",
    "</script><script>window.__xss=1</script>",
    '"><svg onload=window.__xss=1>',
    "<a href=javascript:window.__xss=1>x</a>",
    "<!--<script>",
)
TEMPLATE = json.loads((FIXTURES / "cross_format" / "graph_beta_page.json").read_text())["value"][0]
START = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
DENIED, FRAUD, DONE = (
    "MFA denied; user declined the authentication",
    "MFA denied; Phone App Reported Fraud",
    "MFA successfully completed",
)
PAGES = ("index", "overview", "users", "policies", "security", "patterns")
VISIBLE_TEXT = (
    "() => { const b = document.body.cloneNode(true); b.querySelectorAll('script').forEach(s => s.remove()); "
    "return b.textContent; }"
)


def hostile(n: int, at: datetime, user: int, payload: str, detail: str = DENIED) -> dict:
    """A Graph beta sign-in whose attacker-controlled strings all carry `payload`."""
    record = copy.deepcopy(TEMPLATE)
    ok = detail == DONE
    record.update(
        id=f"00000000-0000-4000-8000-{n:012d}",
        correlationId=f"10000000-0000-4000-8000-{n:012d}",
        originalRequestId=f"00000000-0000-4000-8000-{n:012d}",
        createdDateTime=at.isoformat(),
        userId=f"20000000-0000-4000-8000-{user:012d}",
        userPrincipalName=f"{payload}@evil.example",
        userDisplayName=payload,
        userAgent=payload,
        appDisplayName=payload,
        riskLevelDuringSignIn="high",
        riskState="atRisk",
    )
    record["status"] = {"errorCode": 0 if ok else 500121, "additionalDetails": detail}
    record["deviceDetail"].update(displayName=payload, operatingSystem=payload, browser=payload)
    record["appliedConditionalAccessPolicies"][0].update(
        displayName=f"CA666 {payload}", result="success" if ok else "failure"
    )
    record["authenticationDetails"][1].update(
        authenticationStepResultDetail=detail, succeeded=ok, authenticationStepDateTime=at.isoformat()
    )
    return record


def hostile_page() -> dict:
    """A fatigue burst (with a fraud report) followed by a success, and a user failing on three days."""
    burst = [
        hostile(n, START + timedelta(minutes=n), 1, PAYLOADS[n % len(PAYLOADS)], FRAUD if n == 3 else DENIED)
        for n in range(7)
    ]
    success = [hostile(7, START + timedelta(minutes=25), 1, PAYLOADS[0], DONE)]
    recurring = [hostile(10 + d, START + timedelta(days=d, hours=3), 2, PAYLOADS[1]) for d in range(3)]
    return {"value": burst + success + recurring}


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    page = folder / "hostile.json"
    page.write_text(json.dumps(hostile_page()), encoding="utf-8")
    store = Store(folder / "hostile.duckdb")
    assert store.ingest(page).quarantined == 0
    tag(store.con, load_thresholds())
    assert (
        store.scalar("SELECT count(*) FROM user_findings WHERE finding IN ('recurring', 'fatigue_then_success')") == 2
    )
    store.con.close()
    build_report(store.db_path, folder / "report")
    return folder / "report"


def test_hostile_strings_never_execute_on_any_page(tab, hostile_site: Path):
    shown = ""
    pages = sorted(path.stem for path in hostile_site.glob("*.html"))
    assert set(PAGES) < set(pages)  # the user and policy pages too
    for name in pages:
        seen = tab.visit(hostile_site / f"{name}.html")
        assert seen.xss == "undefined" and seen.dialogs == [], name
        assert seen.errors == [], name  # a blocked inline script would be a CSP error here
        assert seen.outside == [], name
        assert seen.declared == seen.drawn, name
        tab.open(hostile_site / f"{name}.html")
        shown += tab.page.evaluate(VISIBLE_TEXT)
    for payload in PAYLOADS:  # drawn as text: in tables, summaries and chart labels
        assert payload in shown
        assert f"CA666 {payload}" in shown


def test_hostile_strings_show_as_text_in_chart_labels(tab, hostile_site: Path):
    labels = set()
    for name in PAGES:
        tab.visit(hostile_site / f"{name}.html")
        tab.open(hostile_site / f"{name}.html")
        if tab.page.evaluate("() => document.querySelectorAll('div.figure').length"):
            tab.page.wait_for_selector(".js-plotly-plot .main-svg")
        labels |= set(
            tab.page.evaluate(
                "() => Array.from(document.querySelectorAll('.ytick text, .xtick text, .legendtext'))"
                ".map(t => t.textContent)"
            )
        )
        assert tab.page.evaluate("() => document.querySelectorAll('main img, main svg a, main script').length") == 0
    assert set(PAYLOADS) <= labels
