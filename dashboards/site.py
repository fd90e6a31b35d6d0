"""`signins report`: query the store once per figure, build the pages, write the static site."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import plotly.offline

from dashboards import html
from dashboards.pages import Inputs, Page, overview, patterns, policies, security, users
from dashboards.pseudonymize import pseudonymize
from dashboards.queries import Window, build_scope, frame, open_store, resolve_window
from transforms.rules import load_rules

PAGES = (overview.build, users.build, policies.build, security.build, patterns.build)
ASSETS = Path(__file__).with_name("assets")
PLOTLY_JS = "plotly.min.js"


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


def build_pages(
    db_path: Path, since: datetime | None, until: datetime | None, key: bytes | None
) -> tuple[Window, list[Page]]:
    """Every page of the report over the window; personal columns pseudonymised when a key is given."""
    con = open_store(db_path)
    try:
        window = resolve_window(con, since, until)
        build_scope(con, window)
        params = window.params()

        def fetch(name: str):
            result = frame(con, name, params)
            return pseudonymize(result, key) if key else result

        inputs = Inputs(fetch, window, {rule.id: rule for rule in load_rules()})
        return window, [build(inputs) for build in PAGES]
    finally:
        con.close()


def write_site(out: Path, window: Window, pages: list[Page], pseudonymized: bool) -> Report:
    """Write index.html, one HTML file per page, plotly.js (once) and the page script and style."""
    out.mkdir(parents=True, exist_ok=True)
    (out / PLOTLY_JS).write_text(plotly.offline.get_plotlyjs(), encoding="utf-8")
    for asset in ASSETS.iterdir():
        shutil.copyfile(asset, out / asset.name)
    meta = (
        f"{window.since:%Y-%m-%d} to {window.last_day:%Y-%m-%d} (UTC) · generated "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC" + (" · pseudonymised" if pseudonymized else "")
    )
    written = []
    for page in pages:
        path = out / f"{page.slug}.html"
        path.write_text(html.page_html(page, pages, meta), encoding="utf-8")
        written.append(WrittenPage(path, len(page.charts), path.stat().st_size))
    index = out / "index.html"
    index.write_text(html.index_html(pages, meta), encoding="utf-8")
    return Report(index, window, written)


def build_report(
    db_path: Path, out: Path, since: datetime | None = None, until: datetime | None = None, key: bytes | None = None
) -> Report:
    """The whole report: pages from the store, then the site in `out`."""
    window, pages = build_pages(db_path, since, until, key)
    return write_site(out, window, pages, key is not None)
