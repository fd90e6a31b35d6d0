"""`signins report` on the sample tenant: every page drawn offline in Chromium, the numbers behind the
figures, pseudonymisation, and the command's errors."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import plotly.offline
import pytest

from dashboards.pseudonymize import pseudonym
from dashboards.site import build_report

PAGES = ("index", "overview", "users", "policies", "security", "patterns")
SHOTS = Path("/tmp/report-shots")
MAX_PAGE_BYTES = 10 * 1024 * 1024
SIGNINS = [sys.executable, "-m", "cli"]
KEY = "a test pseudonym key, not a real secret"


@pytest.fixture(scope="module")
def site(tagged_sample: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    build_report(tagged_sample, out)
    return out


def store_values(db: Path, sql: str) -> set[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {value for (value,) in con.execute(sql).fetchall() if value}
    finally:
        con.close()


def figures_of(page: Path) -> list[dict]:
    text = page.read_text(encoding="utf-8")
    return json.loads(re.search(r'<script type="application/json" id="figures">(.*?)</script>', text, re.S).group(1))


def test_every_page_draws_all_its_figures_offline_without_errors(tab, site: Path, tmp_path_factory):
    shots = tmp_path_factory.mktemp("shots")
    for name in PAGES:
        seen = tab.visit(site / f"{name}.html", shots / f"{name}.png")
        assert seen.errors == [], name
        assert seen.outside == [], name
        assert seen.declared == seen.placeholders == seen.drawn, name
        assert seen.drawn >= (0 if name == "index" else 3), name
        assert (site / f"{name}.html").stat().st_size < MAX_PAGE_BYTES
        assert (shots / f"{name}.png").stat().st_size > 10_000
    SHOTS.mkdir(exist_ok=True)
    for shot in shots.iterdir():
        shutil.copyfile(shot, SHOTS / shot.name)


def test_plotly_ships_once_with_the_site_and_every_page_uses_that_copy(site: Path):
    assert (site / "plotly.min.js").read_text(encoding="utf-8") == plotly.offline.get_plotlyjs()
    for name in PAGES[1:]:
        scripts = re.findall(r'<script src="([^"]+)"', (site / f"{name}.html").read_text(encoding="utf-8"))
        assert scripts == ["plotly.min.js", "report.js"]


def test_hover_and_zoom_work(tab, site: Path):
    seen, page = tab.open(site / "overview.html"), tab.page
    bar = page.locator("#figure-0 .bars .point path").first.bounding_box()
    page.mouse.move(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2)
    page.wait_for_selector("#figure-0 .hoverlayer .hovertext", timeout=5_000)
    area = page.locator("#figure-0 .nsewdrag").first.bounding_box()
    page.mouse.move(area["x"] + area["width"] * 0.3, area["y"] + area["height"] * 0.5)
    page.mouse.down()
    page.mouse.move(area["x"] + area["width"] * 0.6, area["y"] + area["height"] * 0.5, steps=5)
    page.mouse.up()
    page.wait_for_function("() => document.getElementById('figure-0').layout.xaxis.autorange === false", timeout=5_000)
    assert seen.errors == []


def test_figures_and_summaries_agree_with_the_store(tagged_sample: Path, site: Path):
    attempts = store_values(tagged_sample, "SELECT coalesce(correlation_id, signin_id) FROM cause_tags")
    daily = figures_of(site / "overview.html")[0]
    assert sum(sum(trace["y"]) for trace in daily["data"]) >= len(attempts)  # per day and cause: an attempt may span
    causes = {trace["name"] for trace in daily["data"]}
    assert causes == store_values(tagged_sample, "SELECT primary_cause FROM cause_tags")
    overview = (site / "overview.html").read_text(encoding="utf-8")
    assert "618 log rows" in overview and "19,168 user sign-ins" in overview
    users = (site / "users.html").read_text(encoding="utf-8")
    recurring = store_values(tagged_sample, "SELECT user_principal_name FROM user_findings WHERE finding = 'recurring'")
    assert recurring and all(upn in users for upn in recurring)
    (compromised,) = store_values(
        tagged_sample, "SELECT user_principal_name FROM user_findings WHERE finding = 'fatigue_then_success'"
    )
    summary = re.search(r'<section class="summary">(.*?)</section>', (site / "security.html").read_text()).group(1)
    assert compromised in summary


def test_no_raw_rows_reach_the_browser(tagged_sample: Path, site: Path):
    ids = store_values(tagged_sample, "SELECT id FROM signins UNION SELECT correlation_id FROM signins")
    for name in PAGES:
        found = set(
            re.findall(
                r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                (site / f"{name}.html").read_text(encoding="utf-8"),
            )
        )
        assert not found & ids, name


def test_pseudonymized_report_hides_every_user_name_and_ip(tagged_sample: Path, tmp_path: Path):
    upns = {u.lower() for u in store_values(tagged_sample, "SELECT user_principal_name FROM signins")}
    ips = store_values(tagged_sample, "SELECT ip_address FROM signins")
    out = tmp_path / "pseudonymized"
    result = subprocess.run(
        [*SIGNINS, "report", "--db", str(tagged_sample), "--out", str(out), "--pseudonymize"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**_env(), "SIGNINS_PSEUDONYM_KEY": KEY},
    )
    assert result.returncode == 0, result.stderr
    assert KEY not in result.stdout + result.stderr
    tokens = {pseudonym(upn, "user", KEY.encode()) for upn in upns}
    pages = {}
    for path in out.iterdir():
        text = path.read_text(encoding="utf-8")
        assert KEY not in text, path.name
        if path.name == "plotly.min.js":
            assert text == plotly.offline.get_plotlyjs()  # plotly's own bundle: carries no data
            continue
        lowered = text.lower()
        assert not [u for u in upns if u in lowered], path.name
        assert not set(re.findall(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])", text)) & ips, path.name
        pages[path.name] = set(re.findall(r"user-[0-9a-f]{12}", text))
    assert pages["users.html"] and pages["security.html"]
    assert set().union(*pages.values()) <= tokens  # every token is a store user's keyed hash
    again = build_report(tagged_sample, tmp_path / "again", key=KEY.encode())
    for page in again.pages:
        assert set(re.findall(r"user-[0-9a-f]{12}", page.path.read_text())) == pages[page.path.name]
    other = build_report(tagged_sample, tmp_path / "other", key=b"another key")
    users_other = set(re.findall(r"user-[0-9a-f]{12}", (other.index.parent / "users.html").read_text()))
    assert users_other and not users_other & pages["users.html"]


def _env() -> dict:
    import os

    return {k: v for k, v in os.environ.items() if k != "SIGNINS_PSEUDONYM_KEY"}


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--pseudonymize"], 2, "error: --pseudonymize needs a secret key in $SIGNINS_PSEUDONYM_KEY"),
        (["--since", "2026-11-20", "--until", "2026-11-10"], 2, "error: the report window is empty"),
    ],
)
def test_report_usage_errors_are_one_line_and_exit_2(tagged_sample: Path, tmp_path: Path, args, code, message):
    result = subprocess.run(
        [*SIGNINS, "report", "--db", str(tagged_sample), "--out", str(tmp_path), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(),
    )
    assert result.returncode == code
    assert result.stderr.startswith(message) and len(result.stderr.strip().splitlines()) == 1


def test_report_on_a_missing_or_untagged_store_is_exit_3(tmp_path: Path):
    from signins.store.database import connect

    missing = subprocess.run(
        [*SIGNINS, "report", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert missing.returncode == 3
    assert missing.stderr.strip() == f"error: {tmp_path / 'none.duckdb'}: no database here (check --db or $SIGNINS_DB)"
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_bytes(b"garbage" * 100)
    broken = subprocess.run(
        [*SIGNINS, "report", "--db", str(garbage), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert broken.returncode == 3 and "cannot open the database" in broken.stderr and "Traceback" not in broken.stderr
    connect(tmp_path / "empty.duckdb").close()  # migrated, nothing loaded: an empty report
    assert build_report(tmp_path / "empty.duckdb", tmp_path / "empty").pages
