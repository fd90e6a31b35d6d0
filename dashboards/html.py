"""HTML for the report pages. Every string from the store is escaped here; figure and table data go in
as JSON only, which the page script renders as text (never as markup)."""

from __future__ import annotations

import json
from datetime import date, datetime
from html import escape

import plotly.io as pio
import polars as pl

from dashboards.figures import plot_text
from dashboards.pages import Chart, Filters, Link, Page, Table

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
    return _script_json(pio.json.to_json_plotly([chart.figure for chart in page.charts]))


def _filters(filters: Filters | None) -> dict | None:
    """A chart's filters for the page script: rows of [category, series, facet values..., value] (encoded
    as tables are). Category and series are escaped as the figure's points and trace names are; facet values
    are compared as given."""
    if filters is None:
        return None
    points = plot_text(
        filters.facts.select(pl.col(filters.category).alias("category"), pl.col(filters.series).alias("series"))
    )
    values = filters.facts.select([f.column for f in filters.facets] + [filters.value])
    facts = pl.concat([points, values], how="horizontal")
    return {
        "unit": filters.unit,
        "facets": [
            {"label": f.label, "rolledUp": f.rolled_up, "options": [list(option) for option in f.options]}
            for f in filters.facets
        ],
    } | _encoded(facts.rows(), facts.width)


def filters_json(page: Page) -> str:
    """Per figure of the page (in order), its filters or null."""
    specs = [_filters(chart.filters) for chart in page.charts]
    return _script_json(json.dumps(specs, ensure_ascii=False, separators=(",", ":"), default=str))


def _cell(value):
    if value is None or isinstance(value, (str, int)) and not isinstance(value, bool):
        return value
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


def _encoded_column(column: tuple) -> tuple[list, list | None]:
    """A column's cells, or indexes into its few distinct values and those values (columns hold one type,
    so values equal in Python are the same cell)."""
    try:
        distinct = dict.fromkeys(column)
    except TypeError:  # unhashable cells (lists): written out
        return [_cell(v) for v in column], None
    if len(column) < 16 or 4 * len(distinct) > len(column):
        plain = {type(v) for v in column} <= {str, int, type(None)}  # cells as they are written
        return list(column) if plain else [_cell(v) for v in column], None
    positions = {value: n for n, value in enumerate(distinct)}
    return [positions[v] for v in column], [_cell(v) for v in distinct]


def _encoded(rows: list[tuple], width: int) -> dict:
    """Rows of cells as {rows, values}: a column that repeats a few values (a cause, its fix, a link)
    holds indexes into its list in `values` instead of the values themselves, which keeps pages of many
    thousand rows small; `values` is null for a column kept as is."""
    columns = [_encoded_column(column) for column in zip(*rows, strict=True)] if rows else [([], None)] * width
    return {
        "rows": [list(row) for row in zip(*(cells for cells, _ in columns), strict=True)],
        "values": [v for _, v in columns],
    }


def tables_json(page: Page) -> str:
    """The page's tables as one JSON array of {columns, rows, values}: cells are text, numbers, null or
    {t, h}, or indexes into the column's `values`."""
    tables = [
        {"columns": list(t.columns)} | _encoded(t.rows, len(t.columns)) for t in page.sections if isinstance(t, Table)
    ]
    return _script_json(json.dumps(tables, ensure_ascii=False, separators=(",", ":"), default=str))


def _table(table: Table, number: int) -> str:
    note = f'<p class="note">{escape(table.note)}</p>' if table.note else ""
    empty = "" if table.rows else '<p class="note">Nothing in this window.</p>'
    grid = f'<div class="grid" data-table="{number}" data-rows="{len(table.rows)}"></div>' if table.rows else ""
    return f'<section class="table"><h2>{escape(table.title)}</h2>{note}{grid}{empty}</section>'


def _chart(chart: Chart, number: int | None) -> str:
    note = f'<p class="note">{escape(chart.note)}</p>' if chart.note else ""
    tools = f'<div class="filters" data-figure="{number}"></div>' if chart.filters and number is not None else ""
    body = (
        f'<p class="empty">{escape(chart.empty)}</p>'
        if number is None
        else f'{tools}<div class="figure" id="figure-{number}"></div>'
    )
    return f'<section class="chart"><h2>{escape(chart.title)}</h2>{note}{body}</section>'


def _sections(page: Page) -> str:
    parts, figures, tables = [], 0, 0
    for section in page.sections:
        if isinstance(section, Chart):
            parts.append(_chart(section, figures if section.draws else None))
            figures += section.draws
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
        f'<script type="application/json" id="filters">{filters_json(page)}</script>\n'
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
