"""Figure builders: small aggregate frames in, plotly figures out as plain dicts ({"data", "layout"}, what
plotly.js draws) (pure; no I/O, no HTML). Plotly's Python figure objects validate every property as it is
set, which costs milliseconds a figure and hundreds of user pages draw one each; the tests validate the
dicts with plotly instead.

Every builder escapes the frame's strings first: plotly reads `<b>`, `<a href>` and `<br>` in labels
as markup, and sign-in strings (app, device, user names, user agents) come from attackers. Plotly
turns the entities back into text, so the labels read exactly as logged.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable
from datetime import date, timedelta

import polars as pl

LABEL_CHARS = 48  # axis labels longer than this are cut (the hover shows them whole)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _entities(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plot_text(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with &, < and > of every string column written as entities (shown literally by plotly)."""
    text = pl.col(pl.String)
    return frame.with_columns(
        text.str.replace_all("&", "&amp;", literal=True)
        .str.replace_all("<", "&lt;", literal=True)
        .str.replace_all(">", "&gt;", literal=True)
    )


def _escaped(builder: Callable[..., dict]) -> Callable[..., dict]:
    @functools.wraps(builder)
    def wrapper(frame: pl.DataFrame, *args, **kwargs) -> dict:
        return builder(plot_text(frame), *args, **kwargs)

    return wrapper


def _short(label) -> str:
    """An escaped label cut to LABEL_CHARS characters as shown (never inside an entity)."""
    text = html.unescape(str(label))
    return str(label) if len(text) <= LABEL_CHARS else _entities(text[: LABEL_CHARS - 1] + "…")


def _figure(traces: list[dict], layout: dict, x_title: str, y_title: str, height: int = 420) -> dict:
    """The figure of `traces` with the report's common layout under `layout` (axis settings merged)."""
    # No template: plotly.js's own defaults look plain and clean, and a template adds time and size to every figure.
    # The toolbar stands upright in the right margin, clear of the legend above the plot.
    common = {
        "template": "none",
        "height": height,
        "margin": {"l": 10, "r": 40, "t": 30, "b": 10},
        "modebar": {"orientation": "v"},
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        "xaxis": {"title": {"text": x_title}, "automargin": True} | layout.pop("xaxis", {}),
        "yaxis": {"title": {"text": y_title}, "automargin": True} | layout.pop("yaxis", {}),
    }
    return {"data": traces, "layout": common | layout}


def _count_settings(largest: float | None) -> dict:
    """Whole-number ticks on a count axis: one per unit while counts are small, never 0.5."""
    settings = {"tickformat": ",d", "rangemode": "tozero"}
    if largest is not None and largest <= 8:
        settings |= {"dtick": 1, "tick0": 0}
    return settings


def _day_axis(first: date, last: date) -> dict:
    """A day axis: day ticks as `07 Dec`, one per day over two weeks or less (a one-day window included)."""
    settings = {"type": "date", "tickformat": "%d %b"}
    if (last - first).days <= 14:
        settings |= {
            "dtick": 86400000,
            "tick0": str(first),
            "range": [str(first - timedelta(hours=12)), str(last + timedelta(hours=12))],
        }
    return settings


def _category_axis(values: list) -> dict:
    """Long category names cut short on the axis; the category (and hover) keeps the whole text."""
    return {"type": "category", "tickmode": "array", "tickvals": values, "ticktext": [_short(v) for v in values]}


# Series names are data: the hover reads them from the trace, never from a template built around them.
_BAR_HOVER = {
    False: "%{x}<br>%{fullData.name}: %{y}<extra></extra>",
    True: "%{y}<br>%{fullData.name}: %{x}<extra></extra>",
}


def _order(frame: pl.DataFrame, column: str, value: str) -> list:
    """Values of `column`, the largest total of `value` first."""
    totals = frame.group_by(column).agg(pl.col(value).sum()).sort([value, column], descending=[True, False])
    return totals[column].to_list()


def _parts(frame: pl.DataFrame, column: str, value: str) -> list[tuple[object, pl.DataFrame]]:
    """The frame's rows per value of `column`, the largest total of `value` first."""
    parts = {key[0]: part for key, part in frame.partition_by(column, as_dict=True, maintain_order=True).items()}
    return [(name, parts[name]) for name in _order(frame, column, value)]


@_escaped
def stacked_bars(
    frame: pl.DataFrame,
    x: str,
    stack: str,
    value: str,
    *,
    x_title: str,
    y_title: str,
    colors: dict[str, str] | None = None,
    horizontal: bool = False,
    height: int = 420,
    days: tuple[date, date] | None = None,
) -> dict:
    """One bar per `x`, stacked by `stack` (largest series first); horizontal bars put `x` on the y axis.
    With `days` (first, last), `x` holds days and its axis spans those days."""
    frame = frame.group_by([x, stack]).agg(pl.col(value).sum()).sort(x)
    traces = []
    for name, part in _parts(frame, stack, value):
        keys, counts = part[x].to_list(), part[value].to_list()
        trace = {"type": "bar", "name": str(name), "orientation": "h" if horizontal else "v"}
        trace |= {"x": counts, "y": keys} if horizontal else {"x": keys, "y": counts}
        traces.append(trace | {"marker": {"color": (colors or {}).get(name)}, "hovertemplate": _BAR_HOVER[horizontal]})
    stacks: dict = {}
    for trace in traces:
        for key, count in zip(*((trace["y"], trace["x"]) if horizontal else (trace["x"], trace["y"])), strict=True):
            stacks[key] = stacks.get(key, 0) + count
    largest = max(stacks.values(), default=None)
    if horizontal:
        categories = _order(frame, x, value)
        axes = {
            "yaxis": _category_axis(categories) | {"categoryorder": "array", "categoryarray": categories[::-1]},
            "xaxis": _count_settings(largest),
        }
        return _figure(traces, {"barmode": "stack"} | axes, y_title, x_title, height)
    layout = {"barmode": "stack", "yaxis": _count_settings(largest)} | ({"xaxis": _day_axis(*days)} if days else {})
    return _figure(traces, layout, x_title, y_title, height)


@_escaped
def bars(
    frame: pl.DataFrame,
    category: str,
    series: dict[str, str],
    *,
    x_title: str,
    y_title: str,
    horizontal: bool = True,
    height: int = 420,
    percent: bool = False,
) -> dict:
    """Grouped bars: one trace per column in `series` ({column: trace name}), categories in frame order;
    the values are counts, or percentages with `percent`."""
    categories = frame[category].to_list()
    traces = []
    for column, name in series.items():
        values = frame[column].to_list()
        trace = {"type": "bar", "name": name, "orientation": "h" if horizontal else "v"}
        traces.append(trace | ({"x": values, "y": categories} if horizontal else {"x": categories, "y": values}))
    axis, value_axis = ("y", "x") if horizontal else ("x", "y")
    order = categories[::-1] if horizontal else categories
    if percent:
        values = {"ticksuffix": "%", "rangemode": "tozero"}
    else:
        values = _count_settings(max((frame[c].max() or 0 for c in series), default=None) if frame.height else None)
    layout = {
        "barmode": "group",
        "showlegend": len(series) > 1,
        f"{axis}axis": _category_axis(categories) | {"categoryorder": "array", "categoryarray": order},
        f"{value_axis}axis": values,
    }
    return _figure(traces, layout, x_title, y_title, height)


@_escaped
def daily_lines(
    frame: pl.DataFrame, x: str, series: str, value: str, *, dashed: str | None = None, x_title: str, y_title: str
) -> dict:
    """One line per `series` (largest first); rows where boolean column `dashed` is true draw dashed."""
    traces = []
    for name, part in _parts(frame, series, value):
        part = part.sort(x)
        is_dashed = dashed is not None and bool(part[dashed][0])
        traces.append(
            {
                "type": "scatter",
                "name": str(name),
                "x": part[x].to_list(),
                "y": part[value].to_list(),
                "mode": "lines+markers",
                "line": {"dash": "dash" if is_dashed else "solid"},
            }
        )
    largest = frame[value].max() if frame.height else None
    return _figure(traces, {"hovermode": "x unified", "yaxis": _count_settings(largest)}, x_title, y_title)


@_escaped
def heatmap(
    frame: pl.DataFrame,
    x: str,
    y: str,
    z: str,
    *,
    x_values: list,
    y_values: list,
    x_title: str,
    y_title: str,
    z_title: str,
) -> dict:
    """A `y` by `x` grid of `z` (0 where the frame has no row), in the given axis orders."""
    cells = {(row[y], row[x]): row[z] for row in frame.iter_rows(named=True)}
    matrix = [[cells.get((yv, xv), 0) for xv in x_values] for yv in y_values]
    trace = {
        "type": "heatmap",
        "x": x_values,
        "y": [str(v) for v in y_values],
        "z": matrix,
        "colorscale": "Reds",
        "colorbar": {"title": {"text": z_title}},
        "hovertemplate": f"%{{y}}<br>%{{x}}<br>{z_title}: %{{z}}<extra></extra>",
        "xgap": 1,
        "ygap": 1,
    }
    layout = {"yaxis": {"autorange": "reversed", "type": "category"}}
    return _figure([trace], layout, x_title, y_title, height=max(300, 60 + 22 * len(y_values)))


@_escaped
def timeline(
    frame: pl.DataFrame,
    x: str,
    y: str,
    color: str,
    size: str,
    *,
    y_values: list,
    x_title: str,
    y_title: str,
    colors: dict[str, str] | None = None,
    hover: dict[str, str] | None = None,
) -> dict:
    """Markers at (`x`, `y`), one trace per `color` value, sized by `size`; `hover` adds {column: label}."""
    hover = hover or {}
    biggest = max(frame[size].max() or 1, 1) if frame.height else 1
    columns = [size, *hover]
    extra = "".join(f"<br>{label}: %{{customdata[{i}]}}" for i, label in enumerate(hover.values(), start=1))
    traces = [
        {
            "type": "scatter",
            "name": str(name),
            "x": part[x].to_list(),
            "y": part[y].to_list(),
            "mode": "markers",
            "marker": {
                "size": [8 + 22 * v / biggest for v in part[size].to_list()],
                "color": (colors or {}).get(name),
                "opacity": 0.8,
            },
            "customdata": part.select(columns).rows(),
            "hovertemplate": "%{y}<br>%{x}<br>%{fullData.name}: %{customdata[0]}" + extra + "<extra></extra>",
        }
        for name, part in _parts(frame, color, size)
    ]
    layout = {"yaxis": _category_axis(y_values) | {"categoryorder": "array", "categoryarray": y_values[::-1]}}
    return _figure(traces, layout, x_title, y_title, height=max(300, 80 + 30 * len(y_values)))
