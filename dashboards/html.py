"""HTML for the report pages. Every string from the store is escaped here; figure and table data go in
as JSON only, which the page script renders as text (never as markup)."""

from __future__ import annotations

import json
from datetime import date, datetime
from html import escape

import plotly.io as pio

from dashboards.pages import Chart, Link, Page, Table

# Scripts only from the site's own files, nothing fetched from anywhere: a missed escape cannot run code
# or phone home. Plotly needs inline styles; data: and blob: images serve its "download as PNG".
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'none'; base-uri 'none'; form-action 'none'"
)
PAGE_ROWS = 50  # table rows shown at once; the rest are a click, a sort or a search away


def _script_json(text: str) -> str:
    """JSON text safe inside <script>: no <, > or & left unescaped."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def figures_json(page: Page) -> str:
    """The page's figures as one JSON array (plotly's encoder escapes < and >; this keeps the guarantee)."""
    return _script_json(pio.json.to_json_plotly([chart.figure.to_plotly_json() for chart in page.charts]))


def _cell(value):
    if isinstance(value, Link):
        return {"t": value.text, "h": value.href}
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return round(value, 2)
    return value


def tables_json(page: Page) -> str:
    """The page's tables as one JSON array of {columns, rows}: cells are text, numbers, null or {t, h}."""
    tables = [
        {"columns": list(t.columns), "rows": [[_cell(v) for v in row] for row in t.rows]}
        for t in page.sections
        if isinstance(t, Table)
    ]
    return _script_json(json.dumps(tables, ensure_ascii=False, separators=(",", ":"), default=str))


def _table(table: Table, number: int) -> str:
    note = f'<p class="note">{escape(table.note)}</p>' if table.note else ""
    empty = "" if table.rows else '<p class="note">Nothing in this window.</p>'
    grid = f'<div class="grid" data-table="{number}" data-rows="{len(table.rows)}"></div>' if table.rows else ""
    return f'<section class="table"><h2>{escape(table.title)}</h2>{note}{grid}{empty}</section>'


def _chart(chart: Chart, number: int | None) -> str:
    note = f'<p class="note">{escape(chart.note)}</p>' if chart.note else ""
    body = (
        f'<p class="empty">{escape(chart.empty)}</p>'
        if number is None
        else f'<div class="figure" id="figure-{number}"></div>'
    )
    return f'<section class="chart"><h2>{escape(chart.title)}</h2>{note}{body}</section>'


def _sections(page: Page) -> str:
    parts, figures, tables = [], 0, 0
    for section in page.sections:
        if isinstance(section, Chart):
            parts.append(_chart(section, figures if section.figure is not None else None))
            figures += section.figure is not None
        else:
            parts.append(_table(section, tables))
            tables += 1
    return "\n".join(parts)


def _nav(pages: list[Page], current: str) -> str:
    here = ' aria-current="page"'
    return "".join(
        f'<a href="{p.slug}.html"{here if p.slug == current else ""}>{escape(p.title)}</a>' for p in pages if p.in_nav
    )


def page_html(page: Page, pages: list[Page], meta: str) -> str:
    """One page: warnings and summary first, then its charts and tables; declares how many figures it draws."""
    warnings = "".join(f'<p class="warning" role="alert">{escape(line)}</p>' for line in page.warnings)
    summary = "".join(f"<p>{escape(line)}</p>" for line in page.summary)
    body = (
        f'<main data-figures="{len(page.charts)}">\n{warnings}<section class="summary">{summary}</section>\n'
        f"{_sections(page)}\n</main>"
    )
    scripts = (
        f'<script type="application/json" id="figures">{figures_json(page)}</script>\n'
        f'<script type="application/json" id="tables" data-page-rows="{PAGE_ROWS}">{tables_json(page)}</script>\n'
        '<script src="plotly.min.js"></script>\n<script src="report.js"></script>'
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(page.title)} · MFA failures (500121)</title>
<link rel="stylesheet" href="report.css">
</head>
<body>
<nav>{_nav(pages, page.slug)}</nav>
<header><h1>{escape(page.title)}</h1><p class="meta">{escape(meta)}</p></header>
{body}
<noscript><p class="warning">The charts and tables of this report need JavaScript (bundled with it).</p></noscript>
{scripts}
</body>
</html>
"""
