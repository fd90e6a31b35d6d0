"""Figure builders: small aggregate frames in, plotly figures out (pure; no I/O, no HTML).

Every builder escapes the frame's strings first: plotly reads `<b>`, `<a href>` and `<br>` in labels
as markup, and sign-in strings (app, device, user names, user agents) come from attackers. Plotly
turns the entities back into text, so the labels read exactly as logged.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable
from datetime import timedelta

import plotly.graph_objects as go
import polars as pl

LABEL_CHARS = 48  # axis labels longer than this are cut (the hover shows them whole)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _entities(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plot_text(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with &, < and > of every string column written as entities (shown literally by plotly)."""
    return frame.with_columns(pl.col(pl.String).map_elements(_entities, return_dtype=pl.String))


def _escaped(builder: Callable[..., go.Figure]) -> Callable[..., go.Figure]:
    @functools.wraps(builder)
    def wrapper(frame: pl.DataFrame, *args, **kwargs) -> go.Figure:
        return builder(plot_text(frame), *args, **kwargs)

    return wrapper


def _short(label) -> str:
    """An escaped label cut to LABEL_CHARS characters as shown (never inside an entity)."""
    text = html.unescape(str(label))
    return str(label) if len(text) <= LABEL_CHARS else _entities(text[: LABEL_CHARS - 1] + "…")


def _layout(fig: go.Figure, x_title: str, y_title: str, height: int = 420) -> go.Figure:
    # No template: plotly.js's own defaults look plain and clean, and a template adds time and size to every figure.
    # The toolbar stands upright in the right margin, clear of the legend above the plot.
    fig.update_layout(
        template="none",
        height=height,
        margin={"l": 10, "r": 40, "t": 30, "b": 10},
        modebar={"orientation": "v"},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        xaxis={"title": {"text": x_title}, "automargin": True},
        yaxis={"title": {"text": y_title}, "automargin": True},
    )
    return fig


def count_axis(fig: go.Figure, axis: str, largest: float | None) -> go.Figure:
    """Whole-number ticks on a count axis: one per unit while counts are small, never 0.5."""
    settings = {"tickformat": ",d", "rangemode": "tozero"}
    if largest is not None and largest <= 8:
        settings |= {"dtick": 1, "tick0": 0}
    return fig.update_layout({f"{axis}axis": settings})


def day_axis(fig: go.Figure, axis: str, first, last) -> go.Figure:
    """A day axis: day ticks as `07 Dec`, one per day over two weeks or less (a one-day window included)."""
    settings = {"type": "date", "tickformat": "%d %b"}
    if (last - first).days <= 14:
        settings |= {
            "dtick": 86400000,
            "tick0": str(first),
            "range": [str(first - timedelta(hours=12)), str(last + timedelta(hours=12))],
        }
    return fig.update_layout({f"{axis}axis": settings})


def _category_ticks(fig: go.Figure, values: list, axis: str) -> None:
    """Show long category names cut short on the axis; the category (and hover) keeps the whole text."""
    fig.update_layout(
        {
            f"{axis}axis": {
                "type": "category",
                "tickmode": "array",
                "tickvals": values,
                "ticktext": [_short(v) for v in values],
            }
        }
    )


# Series names are data: the hover reads them from the trace, never from a template built around them.
_BAR_HOVER = {
    False: "%{x}<br>%{fullData.name}: %{y}<extra></extra>",
    True: "%{y}<br>%{fullData.name}: %{x}<extra></extra>",
}


def _order(frame: pl.DataFrame, column: str, value: str) -> list:
    """Values of `column`, the largest total of `value` first."""
    totals = frame.group_by(column).agg(pl.col(value).sum()).sort([value, column], descending=[True, False])
    return totals[column].to_list()


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
) -> go.Figure:
    """One bar per `x`, stacked by `stack` (largest series first); horizontal bars put `x` on the y axis."""
    frame = frame.group_by([x, stack]).agg(pl.col(value).sum()).sort(x)
    fig = go.Figure()
    for name in _order(frame, stack, value):
        part = frame.filter(pl.col(stack) == name)
        keys, counts = part[x].to_list(), part[value].to_list()
        fig.add_bar(
            name=str(name),
            x=counts if horizontal else keys,
            y=keys if horizontal else counts,
            orientation="h" if horizontal else "v",
            marker_color=(colors or {}).get(name),
            hovertemplate=_BAR_HOVER[horizontal],
        )
    fig.update_layout(barmode="stack")
    largest = frame.group_by(x).agg(pl.col(value).sum())[value].max() if frame.height else None
    if horizontal:
        categories = _order(frame, x, value)
        _category_ticks(fig, categories, "y")
        fig.update_yaxes(categoryorder="array", categoryarray=categories[::-1])
        return count_axis(_layout(fig, y_title, x_title, height), "x", largest)
    return count_axis(_layout(fig, x_title, y_title, height), "y", largest)


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
) -> go.Figure:
    """Grouped bars: one trace per column in `series` ({column: trace name}), categories in frame order;
    the values are counts, or percentages with `percent`."""
    fig = go.Figure()
    categories = frame[category].to_list()
    for column, name in series.items():
        values = frame[column].to_list()
        fig.add_bar(
            name=name,
            x=values if horizontal else categories,
            y=categories if horizontal else values,
            orientation="h" if horizontal else "v",
        )
    fig.update_layout(barmode="group", showlegend=len(series) > 1)
    axis = "y" if horizontal else "x"
    _category_ticks(fig, categories, axis)
    fig.update_layout(
        {f"{axis}axis": {"categoryorder": "array", "categoryarray": categories[::-1] if horizontal else categories}}
    )
    fig = _layout(fig, x_title, y_title, height)
    value_axis = "x" if horizontal else "y"
    if percent:
        return fig.update_layout({f"{value_axis}axis": {"ticksuffix": "%", "rangemode": "tozero"}})
    largest = max((frame[c].max() or 0 for c in series), default=None) if frame.height else None
    return count_axis(fig, value_axis, largest)


@_escaped
def daily_lines(
    frame: pl.DataFrame, x: str, series: str, value: str, *, dashed: str | None = None, x_title: str, y_title: str
) -> go.Figure:
    """One line per `series` (largest first); rows where boolean column `dashed` is true draw dashed."""
    fig = go.Figure()
    for name in _order(frame, series, value):
        part = frame.filter(pl.col(series) == name).sort(x)
        is_dashed = dashed is not None and bool(part[dashed][0])
        fig.add_scatter(
            name=str(name),
            x=part[x].to_list(),
            y=part[value].to_list(),
            mode="lines+markers",
            line_dash="dash" if is_dashed else "solid",
        )
    fig.update_layout(hovermode="x unified")
    return count_axis(_layout(fig, x_title, y_title), "y", frame[value].max() if frame.height else None)


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
) -> go.Figure:
    """A `y` by `x` grid of `z` (0 where the frame has no row), in the given axis orders."""
    cells = {(row[y], row[x]): row[z] for row in frame.iter_rows(named=True)}
    matrix = [[cells.get((yv, xv), 0) for xv in x_values] for yv in y_values]
    fig = go.Figure(
        go.Heatmap(
            x=x_values,
            y=[str(v) for v in y_values],
            z=matrix,
            colorscale="Reds",
            colorbar_title_text=z_title,
            hovertemplate=f"%{{y}}<br>%{{x}}<br>{z_title}: %{{z}}<extra></extra>",
            xgap=1,
            ygap=1,
        )
    )
    fig.update_yaxes(autorange="reversed", type="category")
    return _layout(fig, x_title, y_title, height=max(300, 60 + 22 * len(y_values)))


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
) -> go.Figure:
    """Markers at (`x`, `y`), one trace per `color` value, sized by `size`; `hover` adds {column: label}."""
    fig = go.Figure()
    hover = hover or {}
    biggest = max(frame[size].max() or 1, 1) if frame.height else 1
    columns = [size, *hover]
    extra = "".join(f"<br>{label}: %{{customdata[{i}]}}" for i, label in enumerate(hover.values(), start=1))
    for name in _order(frame, color, size):
        part = frame.filter(pl.col(color) == name)
        fig.add_scatter(
            name=str(name),
            x=part[x].to_list(),
            y=part[y].to_list(),
            mode="markers",
            marker={
                "size": [8 + 22 * v / biggest for v in part[size].to_list()],
                "color": (colors or {}).get(name),
                "opacity": 0.8,
            },
            customdata=part.select(columns).rows(),
            hovertemplate="%{y}<br>%{x}<br>%{fullData.name}: %{customdata[0]}" + extra + "<extra></extra>",
        )
    _category_ticks(fig, y_values, "y")
    fig.update_yaxes(categoryorder="array", categoryarray=y_values[::-1])
    return _layout(fig, x_title, y_title, height=max(300, 80 + 30 * len(y_values)))
