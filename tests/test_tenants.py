"""An MSSP's store: several tenants in one store, kept apart in every derived table, export, explanation
and page. The sample tenant is loaded twice, under its own tenant id and as a second tenant: the same
users, ids and policy names in both, the hardest case for keeping them apart. Each tenant's results must
equal those of a store that holds that tenant alone."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import Store, rows_of

from signins import PROJECT_ROOT
from signins.analysis.tagging import tag
from signins.store.database import connect
from signins.store.tenants import UnknownTenant, require_tenant, scope_to_tenant
from transforms.thresholds import load_thresholds

SAMPLE = PROJECT_ROOT / "data" / "sample"
OTHER = "tenant-b"
TAGS = "SELECT * EXCLUDE (tagged_at, tenant_id) FROM cause_tags WHERE tenant_id = ? ORDER BY signin_id"
FINDINGS = "SELECT * EXCLUDE (tenant_id) FROM user_findings WHERE tenant_id = ? ORDER BY finding, user_key"
POLICIES = "SELECT * EXCLUDE (tenant_id) FROM policy_daily WHERE tenant_id = ? ORDER BY day, policy, report_only"


@pytest.fixture(scope="module")
def stores(tagged_sample: Path, tmp_path_factory) -> tuple[Path, Path, str]:
    """(the sample alone, the sample and its copy as a second tenant, the sample's tenant id)."""
    privileged = [
        u["user_principal_name"] for u in json.loads((SAMPLE / "tenant.json").read_text())["privileged_users"]
    ]
    folder = tmp_path_factory.mktemp("tenants")
    both = Store(folder / "both.duckdb")
    for page in sorted((SAMPLE / "signins").glob("page-*.json.gz")):
        both.ingest(page)
        # the same records in another file (a file's bytes are loaded once per store)
        copy = folder / page.name.replace(".json.gz", "-b.json")
        copy.write_text(json.dumps(json.loads(gzip.decompress(page.read_bytes())), indent=1), encoding="utf-8")
        both.ingest(copy, tenant=OTHER)
    tag(both.con, load_thresholds(overrides={"privileged_accounts": privileged}))
    both.con.close()
    (own,) = {t for (t,) in rows_of(tagged_sample, "SELECT DISTINCT tenant_id FROM signins")}
    return tagged_sample, both.db_path, own


def test_each_tenants_tags_findings_and_policies_equal_those_of_a_store_of_it_alone(stores):
    alone, both, own = stores
    for table in (TAGS, FINDINGS, POLICIES):
        expected = rows_of(alone, table, [own])
        assert expected, table
        assert rows_of(both, table, [own]) == expected
        assert rows_of(both, table, [OTHER]) == expected
    # same user keys and policy names in both tenants, yet one finding and one policy-day per tenant
    assert rows_of(both, "SELECT count(DISTINCT tenant_id) FROM user_findings")[0][0] == 2
    assert (
        rows_of(both, "SELECT count(*) FROM policy_daily")[0][0]
        == 2 * rows_of(alone, "SELECT count(*) FROM policy_daily")[0][0]
    )


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, timeout=300)


def test_exports_carry_the_tenant_and_tenant_picks_one(stores, tmp_path: Path):
    import polars as pl

    alone, both, own = stores
    for kind in ("causes", "users", "policies"):
        whole, one = tmp_path / f"{kind}.csv", tmp_path / f"{kind}-b.csv"
        assert run_cli("export", kind, "--db", str(both), "--out", str(whole)).returncode == 0
        done = run_cli("export", kind, "--db", str(both), "--out", str(one), "--tenant", OTHER)
        assert done.returncode == 0, done.stderr
        every, picked = pl.read_csv(whole, infer_schema=False), pl.read_csv(one, infer_schema=False)
        assert every.columns[-1] == "tenant_id" and sorted(set(every["tenant_id"])) == sorted([own, OTHER])
        assert set(picked["tenant_id"]) == {OTHER} and 2 * picked.height == every.height > 0
        assert (
            picked.drop("tenant_id")
            .sort(picked.columns[:-1])
            .equals(every.filter(pl.col("tenant_id") == own).drop("tenant_id").sort(picked.columns[:-1]))
        )
    unknown = run_cli("export", "users", "--db", str(both), "--out", str(tmp_path / "x.csv"), "--tenant", "nope")
    assert unknown.returncode == 2
    assert "tenant 'nope': no sign-in of it in the store" in unknown.stderr and OTHER in unknown.stderr


def test_explain_shows_one_tenant_with_tenant(stores):
    _alone, both, own = stores
    (correlation_id,) = rows_of(both, "SELECT any_value(correlation_id) FROM cause_tags WHERE tenant_id = ?", [own])[0]
    everywhere = run_cli("explain", correlation_id, "--db", str(both))
    assert (
        everywhere.returncode == 0
        and f"[tenant {own}]" in everywhere.stdout
        and f"[tenant {OTHER}]" in everywhere.stdout
    )
    one = run_cli("explain", correlation_id, "--db", str(both), "--tenant", OTHER)
    assert one.returncode == 0 and f"[tenant {OTHER}]" in one.stdout and own not in one.stdout


def test_a_scoped_connection_reads_one_tenant_in_every_table_that_has_one(stores):
    _alone, both, own = stores
    with connect(both, read_only=True) as con:
        tables = [
            t
            for (t,) in con.execute(
                "SELECT DISTINCT table_name FROM information_schema.columns WHERE column_name = 'tenant_id'"
            ).fetchall()
        ]
        scope_to_tenant(con, OTHER)
        for table in tables:
            assert con.execute(f'SELECT count(*) FROM "{table}" WHERE tenant_id <> ?', [OTHER]).fetchall()[0][0] == 0
        assert con.execute("SELECT count(*) FROM signins").fetchall()[0][0] > 0
        with pytest.raises(UnknownTenant, match="no sign-in of it in the store"):
            scope_to_tenant(con, "x' OR '1'='1")


def _page_text(html: str, own: str) -> str:
    """A page without what names when and for whom it was written: its meta line, the times the store was
    loaded and tagged, the tenant ids, and the names of user and policy pages (a keyed hash of the tenant
    and the user or policy)."""
    html = re.sub(r'<p class="meta">.*?</p>', "", html)
    for day in (date.today(), date.today() - timedelta(days=1)):  # when the stores were loaded and tagged
        html = re.sub(rf"{day:%Y-%m-%d} \d\d:\d\d", "load time", html)
    return re.sub(r"\b[pu]-[0-9a-f]{16}\b", "page", html.replace(OTHER, "tenant").replace(own, "tenant"))


def test_a_tenants_site_equals_the_site_of_a_store_of_it_alone(stores, tmp_path: Path):
    from datetime import datetime

    from dashboards.site import build_report

    alone, both, own = stores
    until = datetime.fromisoformat("2026-12-01T00:00:00+00:00")
    pages = {}
    for name, store, tenant in (("alone", alone, None), ("b", both, OTHER)):
        written = build_report(store, tmp_path / name, until=until, tenant=tenant)
        pages[name] = sorted(_page_text(p.path.read_text(encoding="utf-8"), own) for p in written.pages)
    assert len(pages["alone"]) > 10 and pages["b"] == pages["alone"]
    assert f"tenant {OTHER}" in (tmp_path / "b" / "index.html").read_text(encoding="utf-8")


def test_a_store_of_several_tenants_gets_a_site_per_tenant_and_an_overview_linking_them(stores, tmp_path: Path):
    from datetime import datetime

    from dashboards.links import Links
    from dashboards.site import build_report

    alone, both, own = stores
    until = datetime.fromisoformat("2026-12-01T00:00:00+00:00")
    written = build_report(both, tmp_path / "all", until=until)
    build_report(alone, tmp_path / "alone", until=until)
    expected = sorted(_page_text(p.read_text(encoding="utf-8"), own) for p in (tmp_path / "alone").glob("*.html"))
    for tenant in (own, OTHER):
        site = tmp_path / "all" / Links(None).tenant_slug(tenant)
        assert sorted(_page_text(p.read_text(encoding="utf-8"), own) for p in site.glob("*.html")) == expected
    index = (tmp_path / "all" / "index.html").read_text(encoding="utf-8")
    tables = json.loads(re.search(r'<script type="application/json" id="tables"[^>]*>(.*?)</script>', index).group(1))
    assert written.index == tmp_path / "all" / "index.html" and "plotly.min.js" in os.listdir(tmp_path / "all")
    text = json.dumps(tables)
    for tenant in (own, OTHER):
        assert tenant in text and f"{Links(None).tenant_slug(tenant)}/index.html" in text
    # the overview's numbers are the store's: both tenants alike, each as in the store of it alone
    hostile = rows_of(
        alone,
        "SELECT count(DISTINCT user_key) FROM user_findings "
        "WHERE verdict = 'hostile' AND last_at >= ? AND first_at < ?",
        [written.window.since, written.window.until],
    )[0][0]
    assert hostile > 0
    with connect(both, read_only=True) as con:
        from signins.store.database import query

        overview = query(con, "tenants/overview.sql", written.window.params()).pl()
    assert overview["hostile_users"].to_list() == [hostile, hostile]
    assert overview.drop("tenant_id").n_unique() == 1  # the two tenants' rows alike


def test_tag_with_tenant_tags_that_tenant_and_leaves_the_watermark_for_the_others(stores, tmp_path: Path):
    import shutil

    from tests.test_dashboards_report import _signin

    _alone, both, own = stores
    shutil.copyfile(both, tmp_path / "late.duckdb")
    store = Store(tmp_path / "late.duckdb")
    thresholds = load_thresholds()
    try:
        for tenant, n in ((own, 1), (OTHER, 2)):  # one new 500121 failure each
            (tmp_path / f"{n}.json").write_text(json.dumps({"value": [_signin(900 + n, tenant, 29, "p", "CA")]}))
            store.ingest(tmp_path / f"{n}.json")
        state = "SELECT loaded_until, thresholds FROM tag_state"
        before, tags = store.rows(state), "SELECT tenant_id, signin_id FROM cause_tags WHERE signin_id LIKE '%0090_'"
        tag(store.con, thresholds, tenant=OTHER)
        assert store.rows(tags) == [(OTHER, "00000000-0000-4000-8000-000000000902")]
        assert store.rows(state) == before  # the other tenant's new sign-in is still to tag
        tag(store.con, thresholds)
        assert sorted(store.rows(tags)) == sorted([(own, "00000000-0000-4000-8000-000000000901"),
                                                   (OTHER, "00000000-0000-4000-8000-000000000902")])  # fmt: skip
        assert store.rows(state) != before
        with pytest.raises(UnknownTenant):
            require_tenant(store.con, "nope")
    finally:
        store.con.close()


def test_the_tenants_overview_links_every_tenants_site_in_a_browser(stores, tab, tmp_path: Path):
    """Headless Chromium: the overview draws its table, each tenant a link to its site's landing page."""
    from datetime import datetime

    from dashboards.links import Links
    from dashboards.site import build_report

    _alone, both, own = stores
    build_report(both, tmp_path / "site", until=datetime.fromisoformat("2026-12-01T00:00:00+00:00"))
    seen = tab.open(tmp_path / "site" / "index.html")
    tab.page.wait_for_selector("main table a")
    hrefs = tab.page.eval_on_selector_all("main table a", "links => links.map(a => a.getAttribute('href'))")
    assert sorted(hrefs) == sorted(f"{Links(None).tenant_slug(t)}/index.html" for t in (own, OTHER))
    assert all((tmp_path / "site" / href).is_file() for href in hrefs)
    assert not seen.errors and not seen.outside
