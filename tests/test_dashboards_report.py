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
from tests.conftest import rows_of
from transforms.rules import load_rules

RULES = {rule.id: rule for rule in load_rules()}

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
    return {value for (value,) in rows_of(db, sql) if value}


def figures_of(page: Path) -> list[dict]:
    text = page.read_text(encoding="utf-8")
    return json.loads(re.search(r'<script type="application/json" id="figures">(.*?)</script>', text, re.S).group(1))


MAIN_FIGURES = {"index": 0, "overview": 5, "users": 2, "policies": 1, "security": 4, "patterns": 6}


def site_pages(site: Path) -> list[Path]:
    return sorted(site.glob("*.html"))


def tables_of(page: Path) -> list[dict]:
    """The page's tables, their rows decoded (a column with `values` holds indexes into them)."""
    text = page.read_text(encoding="utf-8")
    tables = json.loads(
        re.search(r'<script type="application/json" id="tables"[^>]*>(.*?)</script>', text, re.S).group(1)
    )
    for table in tables:
        table["rows"] = [
            [cell if values is None else values[cell] for cell, values in zip(row, table["values"], strict=True)]
            for row in table["rows"]
        ]
    return tables


def links_of(page: Path) -> list[str]:
    """Every address the page can lead to: its navigation and every link cell of its tables (all rows)."""
    hrefs = re.findall(r'<a href="([^"]+)"', page.read_text(encoding="utf-8"))
    for table in tables_of(page):
        hrefs += [cell["h"] for row in table["rows"] for cell in row if isinstance(cell, dict)]
    return hrefs


def column(table: dict, name: str) -> list:
    i = table["columns"].index(name)
    return [row[i] for row in table["rows"]]


def test_every_page_draws_all_its_figures_offline_without_errors(tab, site: Path, tmp_path_factory):
    shots = tmp_path_factory.mktemp("shots")
    pages = site_pages(site)
    assert {p.stem for p in pages} >= set(PAGES)
    assert any(p.stem.startswith("u-") for p in pages) and any(p.stem.startswith("p-") for p in pages)
    for page in pages:
        seen = tab.visit(page, shots / f"{page.stem}.png")
        assert seen.errors == [], page.name
        assert seen.outside == [], page.name
        assert seen.declared == seen.placeholders == seen.drawn, page.name
        assert seen.drawn >= MAIN_FIGURES.get(page.stem, 1), page.name
        assert page.stat().st_size < MAX_PAGE_BYTES
    SHOTS.mkdir(exist_ok=True)
    for shot in shots.iterdir():
        shutil.copyfile(shot, SHOTS / shot.name)


def test_every_figure_of_the_site_is_a_valid_plotly_figure(site: Path):
    """The report writes figures as plain dicts; plotly's own validation must accept each one."""
    import plotly.graph_objects as go

    for page in site_pages(site):
        for figure in figures_of(page):
            go.Figure(figure)  # raises on an unknown or malformed property


def test_every_link_of_the_site_resolves_offline(site: Path):
    for page in site_pages(site):
        for href in links_of(page):
            assert LINK.match(href), (page.name, href)
            if not href.startswith("https://"):
                assert (site / href).is_file(), (page.name, href)


LINK = re.compile(r"^(?:[a-z]+|[up]-[0-9a-f]{16})\.html$|^https://entra\.microsoft\.com/#view/")


def test_tables_are_complete_searchable_and_link_users_in_the_browser(tab, site: Path, tagged_sample: Path):
    failing = store_values(tagged_sample, "SELECT user_key FROM cause_tags")
    (users,) = tables_of(site / "users.html")
    assert len(users["rows"]) == len(failing) > 50  # every failing user, though a screen shows 50
    tab.open(site / "users.html")
    page = tab.page
    assert page.locator("div.grid tbody tr").count() == 50
    assert "of " + str(len(failing)) in page.locator("div.grid .status").first.text_content()
    page.locator("div.grid input[type=search]").first.fill("laura.walsh")
    page.wait_for_function("() => document.querySelectorAll('div.grid tbody tr').length === 1")
    page.locator("div.grid tbody tr a").first.click()
    page.wait_for_load_state("load")
    assert re.search(r"/u-[0-9a-f]{16}\.html$", page.url)
    assert "laura.walsh@contoso-sample.com" in page.locator("h1").text_content()


def test_the_landing_page_lists_every_finding_most_urgent_first_with_its_page(tagged_sample: Path, site: Path):
    (findings, health) = tables_of(site / "index.html")
    kinds, users = column(findings, "finding"), column(findings, "user")
    assert kinds[0] == "Privileged account locked out"  # the sample admin, 31.8 h without a success
    assert users[0]["t"] == "adm-nestor.carter@contoso-sample.com" and (site / users[0]["h"]).is_file()
    engine = store_values(
        tagged_sample,
        "SELECT user_principal_name FROM user_findings "
        "WHERE finding IN ('privileged_lockout', 'fatigue_then_success', 'fatigue_burst', 'password_known_elsewhere')",
    )
    fraud = store_values(
        tagged_sample, "SELECT user_principal_name FROM cause_tags WHERE list_contains(causes, 'fraud_reported')"
    )
    listed = {u["t"] for u in users}
    assert engine | fraud <= listed and all((site / u["h"]).is_file() for u in users)
    order = ["Privileged account locked out", "MFA fatigue followed by a success", "MFA fatigue burst",
             "MFA prompt reported as fraud", "Right password from a source the user never used",
             "Newly recurring MFA failures"]  # fmt: skip
    assert {"MFA fatigue burst", "Right password from a source the user never used"} <= set(kinds)
    # a burst followed by a success is listed once, as that
    followed = {u["t"] for k, u in zip(kinds, users, strict=True) if k == "MFA fatigue followed by a success"}
    assert followed and not followed & {u["t"] for k, u in zip(kinds, users, strict=True) if k == "MFA fatigue burst"}
    assert [order.index(k) for k in kinds] == sorted(order.index(k) for k in kinds)
    (row,) = health["rows"]
    assert row[health["columns"].index("stored sign-ins")] == len(store_values(tagged_sample, "SELECT id FROM signins"))


def test_recurring_is_the_engines_definition_on_every_page(tagged_sample: Path, site: Path):
    recurring = store_values(tagged_sample, "SELECT user_principal_name FROM user_findings WHERE finding = 'recurring'")
    (users,) = tables_of(site / "users.html")
    flagged = {r[0]["t"] if isinstance(r[0], dict) else r[0] for r in users["rows"] if r[1] == "yes"}
    assert flagged == recurring
    text = (site / "users.html").read_text(encoding="utf-8")
    assert f"{len(recurring)} are recurring" in text
    workbench = tables_of(site / "policies.html")[0]
    assert sum(column(workbench, "recurring users")) >= 1
    assert max(column(workbench, "recurring users")) <= len(recurring)


def test_the_workbench_ranks_policies_by_the_rate_of_the_prompts_they_demanded(tagged_sample: Path, site: Path):
    workbench = tables_of(site / "policies.html")[0]
    prompts, failures, rates = (column(workbench, c) for c in ("prompts", "500121 sign-ins", "failure rate %"))
    for p, f, r in zip(prompts, failures, rates, strict=True):
        assert f <= p and (r is None or r == round(100 * f / p, 1))
    enough = [r for p, r in zip(prompts, rates, strict=True) if p >= 20]
    assert enough == sorted(enough, reverse=True) and rates[: len(enough)] == enough
    advice = column(workbench, "advice")
    assert not any("date and time" in a for a in advice)  # end-user fixes are not the owner's advice
    con = duckdb.connect(str(tagged_sample), read_only=True)
    ids = {
        p
        for (p,) in con.execute(
            "SELECT DISTINCT policy_id FROM signin_ca_policies WHERE policy_id IS NOT NULL"
        ).fetchall()
    }
    con.close()
    assert len(column(workbench, "policy")) == len({(c["h"]) for c in column(workbench, "policy")})
    assert len(ids) >= len({c["h"] for c in column(workbench, "policy")}) // 2


def test_the_what_if_counts_sign_ins_that_succeeded_today(tagged_sample: Path, site: Path):
    whatif = tables_of(site / "policies.html")[1]
    con = duckdb.connect(str(tagged_sample), read_only=True)
    (succeeded,) = con.execute(
        "SELECT count(DISTINCT s.id) FROM signins s JOIN ca_policy_sets p USING (ca_set) WHERE s.error_code = 0 "
        "AND p.result IN ('reportOnlyFailure', 'reportOnlyInterrupted') AND s.created_at >= TIMESTAMPTZ '2026-10-29' "
        "AND s.event_type IN ('interactiveUser', 'nonInteractiveUser')"
    ).fetchone()
    con.close()
    assert succeeded > 0 and sum(column(whatif, "succeeded sign-ins it would stop")) == succeeded


def test_patterns_show_rates_that_match_the_store(tagged_sample: Path, site: Path):
    tables = tables_of(site / "patterns.html")
    methods = tables[0]
    con = duckdb.connect(str(tagged_sample), read_only=True)
    expected = con.execute(
        "SELECT coalesce(mfa_challenge_method, 'unknown'), count(*), count(*) FILTER (error_code = 500121) "
        "FROM signins "
        "WHERE created_at >= TIMESTAMPTZ '2026-10-29' AND event_type IN ('interactiveUser', 'nonInteractiveUser') "
        "AND (mfa_challenge_method IS NOT NULL OR error_code = 500121) GROUP BY ALL"
    ).fetchall()
    con.close()
    assert {(r[0], r[1], r[2]) for r in methods["rows"]} == set(expected)


def test_user_pages_list_each_failure_with_cause_fix_and_ids(tagged_sample: Path, site: Path):
    page = next(
        p
        for p in site_pages(site)
        if "adm-nestor.carter@contoso-sample.com" in p.read_text() and p.stem.startswith("u-")
    )
    (failures,) = tables_of(page)
    ids = store_values(
        tagged_sample,
        "SELECT signin_id FROM cause_tags WHERE user_principal_name = 'adm-nestor.carter@contoso-sample.com'",
    )
    assert set(column(failures, "sign-in (request) id")) == ids
    times = column(failures, "time (UTC)")
    assert times == sorted(times, reverse=True)
    assert all(column(failures, "fix")) and all(column(failures, "correlation id"))


def test_every_fatigue_burst_names_its_first_failure_and_links_its_user(tagged_sample: Path, site: Path):
    (bursts,) = [t for t in tables_of(site / "security.html") if "sign-in (request) id" in t["columns"]]
    fatigue = store_values(tagged_sample, "SELECT signin_id FROM cause_tags WHERE list_contains(causes, 'mfa_fatigue')")
    users = store_values(
        tagged_sample, "SELECT user_principal_name FROM cause_tags WHERE list_contains(causes, 'mfa_fatigue')"
    )
    ids = column(bursts, "sign-in (request) id")
    assert ids and set(ids) <= fatigue and all(column(bursts, "correlation id"))
    assert {cell["t"] for cell in column(bursts, "user")} == users  # each a link to the user's page
    assert all((site / cell["h"]).is_file() for cell in column(bursts, "user"))


def test_no_raw_ids_reach_the_summary_pages(tagged_sample: Path, site: Path):
    """Sign-in and correlation ids appear only where they are asked for: a user's failures and the bursts."""
    ids = store_values(tagged_sample, "SELECT id FROM signins UNION SELECT correlation_id FROM signins")
    for name in ("index", "overview", "users", "policies", "patterns"):
        found = set(
            re.findall(
                r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                (site / f"{name}.html").read_text(encoding="utf-8"),
            )
        )
        assert not found & ids, name


def test_pseudonymized_report_hides_every_name_ip_device_and_id(tagged_sample: Path, tmp_path: Path):
    upns = {u.lower() for u in store_values(tagged_sample, "SELECT user_principal_name FROM signins")}
    ips = store_values(tagged_sample, "SELECT ip_address FROM signins")
    devices = {d.lower() for d in store_values(tagged_sample, "SELECT device_display_name FROM signins") if len(d) > 4}
    ids = store_values(tagged_sample, "SELECT id FROM signins UNION SELECT correlation_id FROM signins")
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
    names = " ".join(p.name for p in out.iterdir()).lower()
    assert not [u for u in upns if u.split("@")[0] in names]
    for path in out.iterdir():
        text = path.read_text(encoding="utf-8")
        assert KEY not in text, path.name
        if path.name == "plotly.min.js":
            assert text == plotly.offline.get_plotlyjs()  # plotly's own bundle: carries no data
            continue
        lowered = text.lower()
        assert not [u for u in upns if u in lowered], path.name
        assert not [d for d in devices if d in lowered], path.name
        assert not set(re.findall(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])", text)) & ips, path.name
        assert not set(re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", lowered)) & ids, (
            path.name
        )
        pages[path.name] = set(re.findall(r"user-[0-9a-f]{12}", text))
    assert pages["users.html"] and pages["security.html"]
    assert set().union(*pages.values()) <= tokens  # every token is a store user's keyed hash
    again = build_report(tagged_sample, tmp_path / "again", key=KEY.encode())
    assert {p.path.name for p in again.pages} == {n for n in pages if n.endswith(".html")}
    for page in again.pages:
        assert set(re.findall(r"user-[0-9a-f]{12}", page.path.read_text())) == pages[page.path.name]
    other = build_report(tagged_sample, tmp_path / "other", key=b"another key")
    users_other = set(re.findall(r"user-[0-9a-f]{12}", (other.index.parent / "users.html").read_text()))
    assert users_other and not users_other & pages["users.html"]
    assert not {p.path.name for p in other.pages if p.path.name.startswith("u-")} & set(pages)


def test_a_tenant_with_hundreds_of_recurring_users_reaches_every_one(tmp_path: Path):
    from benchmarks.report_bench import generate

    db = tmp_path / "many.duckdb"
    generate(db, days=10, per_day=12_000, users=300)
    report = build_report(db, tmp_path / "site")
    site = report.index.parent
    con = duckdb.connect(str(db), read_only=True)
    (recurring,) = con.execute("SELECT count(*) FROM user_findings WHERE finding = 'recurring'").fetchone()
    con.close()
    assert recurring > 100
    (users,) = tables_of(site / "users.html")
    linked = [r[0] for r in users["rows"] if r[1] == "yes"]
    assert len(linked) == recurring and all(isinstance(c, dict) and (site / c["h"]).is_file() for c in linked)
    assert f"{recurring} are recurring" in (site / "users.html").read_text()


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


DAILY_ATTEMPTS = """SELECT count(*) FROM (
    SELECT DISTINCT t.created_at::DATE, t.primary_cause, t.verdict, coalesce(t.correlation_id, t.signin_id)
    FROM cause_tags t JOIN signins s ON s.tenant_id = t.tenant_id AND s.id = t.signin_id WHERE {})"""


def test_the_daily_chart_filters_by_cause_app_and_failing_policy_in_the_browser(tab, site: Path, tagged_sample: Path):
    def expected(where: str) -> int:
        return rows_of(tagged_sample, DAILY_ATTEMPTS.format(where))[0][0]

    seen, page = tab.open(site / "overview.html"), tab.page
    page.wait_for_selector("#figure-0 .main-svg")
    shown = "() => document.getElementById('figure-0').data.map(t => [t.name, t.y.reduce((a, b) => a + b, 0)])"
    status = page.locator("div.filters .status")
    everything = expected("true")
    assert sum(n for _, n in page.evaluate(shown)) == everything
    cause, verdict, app, policy = (page.locator("div.filters select").nth(i) for i in range(4))

    app.select_option(label="OfficeHome")
    in_app = expected("s.app_display_name = 'OfficeHome'")
    assert 0 < sum(n for _, n in page.evaluate(shown)) == in_app < everything
    assert status.text_content() == f"{in_app} of {everything} attempts shown"

    policy.select_option(label="CA001: Require MFA for all users")
    failed_ca001 = "s.ca_set IN (SELECT ca_set FROM ca_policy_sets WHERE policy_id = '{}' AND result = 'failure')"
    (ca001,) = store_values(tagged_sample, "SELECT policy_id FROM ca_policy_sets WHERE display_name LIKE 'CA001:%'")
    both = expected(f"s.app_display_name = 'OfficeHome' AND {failed_ca001.format(ca001)}")
    assert 0 < sum(n for _, n in page.evaluate(shown)) == both < in_app

    app.select_option(index=0)
    cause.select_option(label=RULES["time_drift"].title)
    drift = expected(f"t.primary_cause = 'time_drift' AND {failed_ca001.format(ca001)}")
    assert {name: n for name, n in page.evaluate(shown) if n} == {RULES["time_drift"].title: drift}
    assert drift > 0

    cause.select_option(index=0)
    policy.select_option(index=0)
    verdict.select_option(label="suspicious")
    suspicious = expected("t.verdict = 'suspicious'")
    assert 0 < sum(n for _, n in page.evaluate(shown)) == suspicious < everything
    verdict.select_option(index=0)
    assert sum(n for _, n in page.evaluate(shown)) == everything
    assert status.text_content() == f"all {everything} attempts"
    assert seen.errors == []


def test_figures_and_summaries_agree_with_the_store(tagged_sample: Path, site: Path):
    attempts = store_values(tagged_sample, "SELECT coalesce(correlation_id, signin_id) FROM cause_tags")
    daily = figures_of(site / "overview.html")[0]
    assert sum(sum(trace["y"]) for trace in daily["data"]) >= len(attempts)  # per day and cause: an attempt may span
    causes = {trace["name"] for trace in daily["data"]}  # legends name causes by their titles
    assert causes == {RULES[c].title for c in store_values(tagged_sample, "SELECT primary_cause FROM cause_tags")}
    colors = {trace["name"]: trace["marker"]["color"] for trace in daily["data"]}
    assert len(set(colors.values())) == len(colors)
    by_verdict = figures_of(site / "overview.html")[1]  # verdicts in a palette of their own
    verdicts = dict(rows_of(tagged_sample, "SELECT verdict, count(*) FROM cause_tags GROUP BY 1"))
    assert {t["name"]: t["marker"]["color"] for t in by_verdict["data"]} == {
        v: {"benign": "#0072B2", "suspicious": "#E69F00", "hostile": "#D55E00"}[v] for v in verdicts
    }
    assert set(verdicts) == {"benign", "suspicious", "hostile"}
    overview = (site / "overview.html").read_text(encoding="utf-8")
    assert "619 log rows" in overview and "19,183 user sign-ins" in overview
    (compromised,) = store_values(
        tagged_sample, "SELECT user_principal_name FROM user_findings WHERE finding = 'fatigue_then_success'"
    )
    summary = re.search(r'<section class="summary">(.*?)</section>', (site / "security.html").read_text()).group(1)
    assert compromised in summary


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


def test_a_chart_with_nothing_to_draw_says_so_instead_of_bare_axes(tmp_path: Path):
    from signins.store.database import connect

    connect(tmp_path / "empty.duckdb").close()
    build_report(tmp_path / "empty.duckdb", tmp_path / "site")
    for page in site_pages(tmp_path / "site"):
        assert figures_of(page) == [], page.name  # no figure without a point
        charts = page.read_text(encoding="utf-8").count('<section class="chart">')
        assert page.read_text(encoding="utf-8").count('<p class="empty">') == charts, page.name
    assert "No MFA failure (500121) in this window." in (tmp_path / "site" / "overview.html").read_text()


def _signin(n: int, tenant: str, day: int, policy_id: str, name: str) -> dict:
    """A 500121 sign-in of the cross-format fixture in `tenant` on November `day`, failing one CA policy."""
    from tests.test_explain import BASE

    policy = {**BASE["appliedConditionalAccessPolicies"][0], "id": policy_id, "displayName": name}
    return {
        **BASE,
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "correlationId": f"00000000-0000-4000-9000-{n:012d}",
        "createdDateTime": f"2026-11-{day:02d}T08:{n % 60:02d}:00Z",
        "resourceTenantId": tenant,
        "appliedConditionalAccessPolicies": [policy],
    }


def test_a_renamed_policy_stays_one_and_two_tenants_policies_of_one_name_stay_two(tmp_path: Path):
    from signins.analysis.tagging import tag
    from tests.conftest import Store
    from transforms.thresholds import load_thresholds

    old, new = "CA001: Require MFA for all users", "CA001: MFA for everyone"
    records = [_signin(n, "tenant-a", 3 + n % 2, "policy-a", old) for n in range(6)]
    records += [_signin(n, "tenant-a", 6, "policy-a", new) for n in range(6, 9)]  # renamed in tenant a
    records += [_signin(n, "tenant-b", 3 + n % 4, "policy-b", new) for n in range(9, 14)]  # tenant b's own
    (tmp_path / "page.json").write_text(json.dumps({"value": records}))
    store = Store(tmp_path / "s.duckdb")
    store.ingest(tmp_path / "page.json")
    tag(store.con, load_thresholds())
    store.con.close()
    whole = build_report(tmp_path / "s.duckdb", tmp_path / "site")  # a site per tenant, and the overview
    assert len({page.path.parent for page in whole.pages}) == 3

    for tenant, failures in (("tenant-a", 9), ("tenant-b", 5)):
        site = build_report(tmp_path / "s.duckdb", tmp_path / tenant, tenant=tenant)
        (workbench, _whatif) = tables_of(site.index.parent / "policies.html")
        policies, counts = column(workbench, "policy"), column(workbench, "500121 sign-ins")
        rows = [(cell["t"], n) for cell, n in zip(policies, counts, strict=True)]
        assert rows == [(new, failures)]  # one policy: renamed in tenant a, tenant b's own
        text = (site.index.parent / column(workbench, "policy")[0]["h"]).read_text()
        assert (f"Also named: {old}." in text) == (tenant == "tenant-a")
        overview = (site.index.parent / "overview.html").read_text()
        spec = json.loads(re.search(r'id="filters">(.*?)</script>', overview, re.S).group(1))[0]  # the daily chart
        (policy_facet,) = [f for f in spec["facets"] if f["label"] == "Failing CA policy"]
        assert [label for _value, label in policy_facet["options"]] == [new]


def test_one_far_future_sign_in_does_not_move_the_default_window(tagged_sample: Path, tmp_path: Path):
    from signins.analysis.tagging import tag
    from tests.conftest import Store

    db = tmp_path / "sample.duckdb"
    shutil.copyfile(tagged_sample, db)
    before = build_report(db, tmp_path / "before").window
    store = Store(db)
    tenant = store.scalar("SELECT any_value(tenant_id) FROM signins")  # the sample's own
    (tmp_path / "future.json").write_text(json.dumps({"value": [_signin(1, tenant, 1, "p", "CA") | {
        "createdDateTime": "2031-06-01T00:00:00Z"}]}))  # fmt: skip
    store.ingest(tmp_path / "future.json")
    from transforms.thresholds import load_thresholds

    tag(store.con, load_thresholds())
    assert store.con.execute("SELECT max(created_at) FROM signins").fetchone()[0].year == 2031
    store.con.close()
    after = build_report(db, tmp_path / "after")
    assert (after.window.since, after.window.last_day) == (before.since, before.last_day)
    meta = re.search(r'<p class="meta">(.*?)</p>', (tmp_path / "after" / "overview.html").read_text()).group(1)
    assert meta.startswith(f"{before.since:%d %b %Y} to {before.last_day:%d %b %Y} (UTC) · data to 01 Jun 2031")


def warnings_of(page: Path) -> list[str]:
    return re.findall(r'<p class="warning" role="alert">(.*?)</p>', page.read_text(encoding="utf-8"))


def test_the_landing_page_warns_of_stale_data_and_of_sign_ins_loaded_after_tagging(
    tagged_sample: Path, site: Path, tmp_path: Path
):
    from tests.conftest import Store

    newest = store_values(tagged_sample, "SELECT strftime(max(created_at), '%Y-%m-%d %H:%M') FROM signins")
    (stale,) = warnings_of(site / "index.html")  # the sample ends weeks before today
    assert stale.startswith(f"The newest sign-in is from {newest.pop()} UTC, ") and "nightly pull or ingest" in stale
    db = tmp_path / "sample.duckdb"
    shutil.copyfile(tagged_sample, db)
    store = Store(db)
    tenant = store.scalar("SELECT any_value(tenant_id) FROM signins")  # the sample's own
    (tmp_path / "late.json").write_text(json.dumps({"value": [_signin(1, tenant, 20, "p", "CA")]}))
    store.ingest(tmp_path / "late.json")  # loaded, not tagged
    store.con.close()
    build_report(db, tmp_path / "site")
    assert warnings_of(tmp_path / "site" / "index.html")[1] == (
        "1 sign-in loaded since the last tagging is not counted here: run `signins tag`, then `signins report`."
    )


def test_tables_stay_legible_at_800_pixels(tab, site: Path):
    """At 800 px no page scrolls sideways (wide tables scroll in their own box) and no column header
    breaks inside a word."""
    page = tab.page
    page.set_viewport_size({"width": 800, "height": 900})
    try:
        for name in PAGES:
            tab.open(site / f"{name}.html")
            page.wait_for_selector("main")
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 800, name
            broken = page.evaluate(
                """() => Array.from(document.querySelectorAll('th')).filter(th => {
                       const line = parseFloat(getComputedStyle(th).lineHeight) || 20;
                       return th.getBoundingClientRect().height > 2 * line;
                   }).map(th => th.textContent)"""
            )
            assert page.locator("th").count() > 0 or name == "index", name
            assert broken == [], name
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
