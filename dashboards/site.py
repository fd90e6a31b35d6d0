"""`signins report`: query the store, build the pages, write the static site."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import plotly.offline
import polars as pl

from dashboards import html
from dashboards.links import Links
from dashboards.pages import Inputs, Page, details, overview, patterns, policies, security, triage, users
from dashboards.pages.tenants import tenants_page
from dashboards.pseudonymize import pseudonymize
from dashboards.queries import Window, build_scope, frame, open_store, page_queries, resolve_window
from signins.store.database import query
from signins.store.tenants import scope_to_tenant, tenants
from signins.text import printable
from transforms.rules import load_rules

PAGES = (triage.build, overview.build, users.build, policies.build, security.build, patterns.build)
ASSETS = Path(__file__).with_name("assets")
PLOTLY_JS = "plotly.min.js"
USER_PAGES = 500  # users with a page of their own, most urgent first; the Users table lists every user


@dataclass(frozen=True)
class WrittenPage:
    path: Path
    figures: int
    size: int


@dataclass(frozen=True)
class Report:
    index: Path
    window: Window
    pages: list[WrittenPage]


def flagged_users(findings: pl.DataFrame, bursts: pl.DataFrame, ranked: pl.DataFrame) -> list[tuple[str, str]]:
    """Users with a finding (most urgent kind first), then users with an MFA fatigue burst (most serious
    first), then recurring users in rank order; each once."""
    order = list(triage.FINDING_KINDS)
    urgent = sorted(findings.iter_rows(named=True), key=lambda r: order.index(r["kind"]))
    keys = [(r["tenant_id"], r["user_key"]) for r in urgent]
    keys += list(zip(bursts["tenant_id"], bursts["user_key"], strict=True))
    keys += [(r["tenant_id"], r["user_key"]) for r in ranked.filter(pl.col("recurring")).iter_rows(named=True)]
    return list(dict.fromkeys(keys))


def _register_pages(con: duckdb.DuckDBPyConnection, keys: list[tuple[str, str]]) -> None:
    pages = pl.DataFrame(keys, schema=["tenant_id", "user_key"], orient="row")  # noqa: F841 (read by DuckDB)
    con.execute("CREATE OR REPLACE TEMP TABLE report_pages AS SELECT * FROM pages")


@dataclass(frozen=True)
class Built:
    window: Window
    pages: list[Page]
    newest: datetime | None  # the newest stored sign-in


def build_pages(
    db_path: Path, since: datetime | None, until: datetime | None, key: bytes | None, tenant: str | None = None
) -> Built:
    """Every page of the report over the window; personal columns pseudonymised when a key is given.
    The page queries run one after another on a worker thread, in the order the pages read them: DuckDB
    leaves Python free while a query runs, so building pages overlaps with the queries still to come."""
    con = open_store(db_path)
    worker = ThreadPoolExecutor(max_workers=1)  # the only user of the connection once it starts
    try:
        scope_to_tenant(con, tenant)
        window = resolve_window(con, since, until)
        build_scope(con, window)
        params = window.params() | {"user_rows": details.USER_ROWS}

        def query(name: str) -> pl.DataFrame:
            return frame(con, name, params)

        done = {name: query(name) for name in ("triage_findings", "security_fatigue", "users_ranked")}
        flagged = flagged_users(done["triage_findings"], done["security_fatigue"], done["users_ranked"])
        _register_pages(con, flagged[:USER_PAGES])
        links = Links(key, frozenset(flagged[:USER_PAGES]), len(flagged))
        running = {name: worker.submit(query, name) for name in page_queries() if name not in done}

        def fetch(name: str) -> pl.DataFrame:
            result = done[name] if name in done else running[name].result()
            return pseudonymize(result, key) if key else result

        inputs = Inputs(fetch, window, {rule.id: rule for rule in load_rules()}, links)
        pages = [build(inputs) for build in PAGES]
        pages += details.user_pages(inputs, fetch("users_ranked"), key is not None)
        pages += details.policy_pages(inputs, fetch("policies_workbench"))
        return Built(window, pages, running["triage_health"].result()["newest_signin"][0])
    finally:
        worker.shutdown(cancel_futures=True)  # waits for a query still running before the connection closes
        con.close()


def write_site(
    out: Path, window: Window, pages: list[Page], pseudonymized: bool, newest: datetime | None, tenant: str | None
) -> list[WrittenPage]:
    """Write one HTML file per page, plotly.js (once) and the page script and style."""
    out.mkdir(parents=True, exist_ok=True)
    (out / PLOTLY_JS).write_text(plotly.offline.get_plotlyjs(), encoding="utf-8")
    for asset in ASSETS.iterdir():
        shutil.copyfile(asset, out / asset.name)
    meta = (
        f"{window.since:%d %b %Y} to {window.last_day:%d %b %Y} (UTC) · data to "
        + (f"{newest:%d %b %Y %H:%M}" if newest else "none")
        + f" · generated {datetime.now(UTC):%d %b %Y %H:%M} UTC"
        + (" · pseudonymised" if pseudonymized else "")
        + (f" · tenant {printable(tenant)}" if tenant is not None else "")
    )
    written = []
    for page in pages:
        path = out / f"{page.slug}.html"
        path.write_text(html.page_html(page, pages, meta), encoding="utf-8")
        written.append(WrittenPage(path, len(page.charts), path.stat().st_size))
    return written


def build_report(
    db_path: Path,
    out: Path,
    since: datetime | None = None,
    until: datetime | None = None,
    key: bytes | None = None,
    tenant: str | None = None,
) -> Report:
    """The report of one tenant, or of the store: pages from the store, then the site in `out` (index.html
    is the landing page). A store of several tenants gets a site per tenant (`out/t-<hash>/`) and, as its
    landing page, the cross-tenant overview linking to them."""
    sites = tenant_sites(db_path, since, until, key) if tenant is None else None
    if sites is None:
        built = build_pages(db_path, since, until, key, tenant)
        written = write_site(out, built.window, built.pages, key is not None, built.newest, tenant)
        return Report(out / "index.html", built.window, written)
    written = []
    for each, folder in sites.folders:
        written += build_report(db_path, out / folder, sites.window.since, sites.window.until, key, each).pages
    return Report(out / "index.html", sites.window, written + write_overview(out, sites, key))


@dataclass(frozen=True)
class TenantSites:
    """The sites of a store of several tenants: one window for all (so that the overview's numbers are
    the sites'), the overview's rows, and each tenant's folder."""

    window: Window
    overview: pl.DataFrame
    folders: list[tuple[str, str]]  # (tenant id, folder name)


def tenant_sites(
    db_path: Path, since: datetime | None, until: datetime | None, key: bytes | None
) -> TenantSites | None:
    """What to write for a store of several tenants; None for a store of one (one site)."""
    con = open_store(db_path)
    try:
        held = tenants(con)
        if len(held) < 2:
            return None
        window = resolve_window(con, since, until)
        overview = query(con, "tenants/overview.sql", window.params()).pl()
    finally:
        con.close()
    links = Links(key)
    return TenantSites(window, overview, [(tenant, links.tenant_slug(tenant)) for tenant in held])


def write_overview(out: Path, sites: TenantSites, key: bytes | None) -> list[WrittenPage]:
    """The landing page of a store of several tenants, linking to each tenant's site."""
    page = tenants_page(sites.overview, {tenant: f"{folder}/index.html" for tenant, folder in sites.folders})
    return write_site(out, sites.window, [page], key is not None, None, None)
