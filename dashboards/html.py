"""HTML for the report pages. Every string from the store is escaped here; figure data goes in as JSON only."""

from __future__ import annotations

from html import escape

import plotly.io as pio

from dashboards.pages import Chart, Page, Table

# Scripts only from the site's own files, nothing fetched from anywhere: a missed escape cannot run code
# or phone home. Plotly needs inline styles; data: and blob: images serve its "download as PNG".
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'none'; base-uri 'none'; form-action 'none'"
)


def figures_json(page: Page) -> str:
    """The page's figures as one JSON array, safe inside <script>: no <, > or & left unescaped.

    plotly's encoder escapes < and > today; doing it here keeps the guarantee whichever engine it uses.
    """
    text = pio.json.to_json_plotly([chart.figure.to_plotly_json() for chart in page.charts])
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _cell(value) -> str:
    return "" if value is None else escape(str(value))


def _table(table: Table) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for row in table.rows)
    note = f'<p class="note">{escape(table.note)}</p>' if table.note else ""
    empty = "" if table.rows else '<p class="note">Nothing in this window.</p>'
    return (
        f'<section class="table"><h2>{escape(table.title)}</h2>{note}'
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{empty}</section>"
    )


def _chart(chart: Chart, number: int) -> str:
    note = f'<p class="note">{escape(chart.note)}</p>' if chart.note else ""
    return (
        f'<section class="chart"><h2>{escape(chart.title)}</h2>{note}'
        f'<div class="figure" id="figure-{number}"></div></section>'
    )


def _sections(page: Page) -> str:
    parts, number = [], 0
    for section in page.sections:
        if isinstance(section, Chart):
            parts.append(_chart(section, number))
            number += 1
        else:
            parts.append(_table(section))
    return "\n".join(parts)


def _document(title: str, nav: str, meta: str, body: str, scripts: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · MFA failures (500121)</title>
<link rel="stylesheet" href="report.css">
</head>
<body>
<nav>{nav}</nav>
<header><h1>{escape(title)}</h1><p class="meta">{escape(meta)}</p></header>
{body}
{scripts}
</body>
</html>
"""


def _nav(pages: list[Page], current: str) -> str:
    links = [("index", "Index"), *((p.slug, p.title) for p in pages)]
    here = ' aria-current="page"'
    return "".join(
        f'<a href="{slug}.html"{here if slug == current else ""}>{escape(title)}</a>' for slug, title in links
    )


def page_html(page: Page, pages: list[Page], meta: str) -> str:
    """One page: summary first, then its charts and tables; declares how many figures it draws."""
    summary = "".join(f"<p>{escape(line)}</p>" for line in page.summary)
    body = (
        f'<main data-figures="{len(page.charts)}">\n<section class="summary">{summary}</section>\n'
        f"{_sections(page)}\n</main>"
    )
    scripts = (
        f'<script type="application/json" id="figures">{figures_json(page)}</script>\n'
        '<script src="plotly.min.js"></script>\n<script src="report.js"></script>'
    )
    return _document(page.title, _nav(pages, page.slug), meta, body, scripts)


def index_html(pages: list[Page], meta: str) -> str:
    """The index: what each page answers, with its first summary line."""
    items = "".join(
        f'<li><a href="{p.slug}.html">{escape(p.title)}</a>: {escape(p.purpose)}.'
        f'<br><span class="note">{escape(p.summary[0]) if p.summary else ""}</span></li>'
        for p in pages
    )
    body = f'<main data-figures="0"><ul class="pages">{items}</ul></main>'
    return _document("Sign-in MFA failure report", _nav(pages, "index"), meta, body, "")
