"""Figure builders on small frames: traces, names, axes; escaping of log strings; pseudonyms; figure JSON."""

from __future__ import annotations

import json
from datetime import date, datetime

import plotly.graph_objects as go
import polars as pl

from dashboards import figures
from dashboards.html import figures_json
from dashboards.pages import Chart, Page
from dashboards.pseudonymize import pseudonym, pseudonymize


def plotted(builder):
    """A figure builder whose figure plotly validates (the report writes the plain dict as it is)."""
    return lambda *args, **kwargs: go.Figure(builder(*args, **kwargs))


stacked_bars, bars, daily_lines, heatmap, timeline = (
    plotted(b) for b in (figures.stacked_bars, figures.bars, figures.daily_lines, figures.heatmap, figures.timeline)
)

KEY = b"test key"


def test_stacked_bars_one_trace_per_series_largest_first_summed_per_bar():
    frame = pl.DataFrame(
        {
            "day": [date(2026, 11, 1), date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 2)],
            "cause": ["time_drift", "prompt_denied", "prompt_denied", "prompt_denied"],
            "attempts": [1, 2, 3, 4],
        }
    )
    fig = stacked_bars(
        frame, "day", "cause", "attempts", x_title="day", y_title="attempts", colors={"time_drift": "#123456"}
    )
    assert [t.name for t in fig.data] == ["prompt_denied", "time_drift"]
    assert all(t.type == "bar" and t.orientation == "v" for t in fig.data)
    assert list(fig.data[0].x) == [date(2026, 11, 1), date(2026, 11, 2)] and list(fig.data[0].y) == [2, 7]
    assert fig.data[1].marker.color == "#123456" and fig.data[0].marker.color is None
    assert fig.layout.barmode == "stack"
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == ("day", "attempts")


def test_horizontal_stacked_bars_put_categories_on_y_largest_on_top():
    frame = pl.DataFrame({"policy": ["CA1", "CA2", "CA2"], "value": ["iOS", "iOS", "Windows"], "attempts": [1, 5, 2]})
    fig = stacked_bars(frame, "policy", "value", "attempts", x_title="policy", y_title="attempts", horizontal=True)
    assert all(t.orientation == "h" for t in fig.data)
    assert list(fig.layout.yaxis.categoryarray) == ["CA1", "CA2"]  # drawn bottom-up: CA2 on top
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == ("attempts", "policy")
    ios = next(t for t in fig.data if t.name == "iOS")
    assert dict(zip(ios.y, ios.x, strict=True)) == {"CA1": 1, "CA2": 5}


def test_grouped_bars_keep_frame_order_and_cut_long_labels_on_the_axis_only():
    agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125"
    frame = pl.DataFrame({"value": [agent, "curl"], "attempts": [9, 3], "users": [4, 1]})
    fig = bars(frame, "value", {"attempts": "attempts", "users": "users"}, x_title="n", y_title="agent")
    assert [t.name for t in fig.data] == ["attempts", "users"] and fig.layout.barmode == "group"
    assert list(fig.data[0].y) == [agent, "curl"] and list(fig.data[0].x) == [9, 3]
    assert list(fig.layout.yaxis.tickvals) == [agent, "curl"]
    assert fig.layout.yaxis.ticktext[0].endswith("…") and len(fig.layout.yaxis.ticktext[0]) == figures.LABEL_CHARS
    single = bars(frame, "value", {"attempts": "attempts"}, x_title="n", y_title="agent", horizontal=False)
    assert single.layout.showlegend is False and single.data[0].orientation == "v"


def test_daily_lines_dash_report_only_series():
    frame = pl.DataFrame(
        {
            "day": [date(2026, 11, 2), date(2026, 11, 1), date(2026, 11, 1)],
            "label": ["CA1", "CA1", "CA9 (report-only)"],
            "failures": [4, 2, 1],
            "report_only": [False, False, True],
        }
    )
    fig = daily_lines(frame, "day", "label", "failures", dashed="report_only", x_title="d", y_title="n")
    assert [(t.name, t.line.dash) for t in fig.data] == [("CA1", "solid"), ("CA9 (report-only)", "dash")]
    assert list(fig.data[0].x) == [date(2026, 11, 1), date(2026, 11, 2)] and list(fig.data[0].y) == [2, 4]


def test_heatmap_fills_missing_cells_with_zero_in_the_given_order():
    frame = pl.DataFrame({"user": ["b", "a"], "day": [date(2026, 11, 2), date(2026, 11, 1)], "attempts": [3, 1]})
    days = [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)]
    fig = heatmap(
        frame,
        "day",
        "user",
        "attempts",
        x_values=days,
        y_values=["b", "a"],
        x_title="day",
        y_title="user",
        z_title="attempts",
    )
    (trace,) = fig.data
    assert trace.type == "heatmap" and list(trace.y) == ["b", "a"] and list(trace.x) == days
    assert [list(row) for row in trace.z] == [[0, 3, 0], [1, 0, 0]]
    assert fig.layout.yaxis.autorange == "reversed"


def test_timeline_one_trace_per_colour_sized_by_count_with_hover_columns():
    frame = pl.DataFrame(
        {
            "at": [datetime(2026, 11, 1, 9), datetime(2026, 11, 1, 10), datetime(2026, 11, 2, 8)],
            "user": ["u1", "u2", "u1"],
            "cause": ["time_drift", "time_drift", "mfa_fatigue"],
            "attempts": [1, 4, 2],
            "ip": ["10.0.0.1", "10.0.0.2", "10.0.0.3"],
        }
    )
    fig = timeline(
        frame, "at", "user", "cause", "attempts", y_values=["u1", "u2"], x_title="t", y_title="user", hover={"ip": "IP"}
    )
    assert [t.name for t in fig.data] == ["time_drift", "mfa_fatigue"]
    drift = fig.data[0]
    assert drift.mode == "markers" and list(drift.y) == ["u1", "u2"]
    assert drift.marker.size[1] > drift.marker.size[0]  # more attempts, bigger marker
    assert [list(row) for row in drift.customdata] == [[1, "10.0.0.1"], [4, "10.0.0.2"]]
    assert "IP: %{customdata[1]}" in drift.hovertemplate
    assert list(fig.layout.yaxis.categoryarray) == ["u2", "u1"]


def test_log_strings_reach_plotly_as_entities_never_as_markup():
    payload = "<img src=x onerror=alert(1)> & <b>"
    frame = pl.DataFrame({"value": [payload], "cause": [payload], "attempts": [1]})
    fig = stacked_bars(frame, "value", "cause", "attempts", x_title="x", y_title="y")
    assert fig.data[0].name == "&lt;img src=x onerror=alert(1)&gt; &amp; &lt;b&gt;"
    assert list(fig.data[0].x) == [fig.data[0].name]
    assert "{" not in fig.data[0].name and "fullData.name" in fig.data[0].hovertemplate
    long = bars(pl.DataFrame({"value": ["<" * 60], "n": [1]}), "value", {"n": "n"}, x_title="", y_title="")
    assert long.layout.yaxis.ticktext == ("&lt;" * (figures.LABEL_CHARS - 1) + "…",)  # cut as shown, not mid-entity


def test_figure_json_has_no_markup_characters_and_round_trips():
    fig = {"data": [{"type": "bar", "x": ["</script><script>alert(1)</script>", "a&b"], "y": [1, 2]}]}
    text = figures_json(Page("p", "P", "", [], [Chart("t", "", fig)]))
    assert not {"<", ">", "&"} & set(text)
    assert json.loads(text)[0]["data"][0]["x"] == ["</script><script>alert(1)</script>", "a&b"]


def test_pseudonyms_are_keyed_stable_and_case_insensitive():
    token = pseudonym("Megan.Bowen@Contoso.com", "user", KEY)
    assert token == pseudonym("megan.bowen@contoso.com", "user", KEY) and token.startswith("user-")
    assert len(token) == len("user-") + 12
    assert token != pseudonym("megan.bowen@contoso.com", "user", b"another key")
    assert pseudonym("10.0.0.1", "ip", KEY) != pseudonym("10.0.0.2", "ip", KEY)


def test_pseudonymize_replaces_personal_columns_only():
    frame = pl.DataFrame(
        {"user": ["a@x.com", None], "ip": ["10.0.0.1", ""], "device": ["LAPTOP-ANNA", "x"], "app": ["Teams", "Teams"]}
    )
    out = pseudonymize(frame, KEY)
    assert out["user"].to_list() == [pseudonym("a@x.com", "user", KEY), None]
    assert out["ip"].to_list() == [pseudonym("10.0.0.1", "ip", KEY), ""]
    assert out["device"][0] == pseudonym("LAPTOP-ANNA", "device", KEY)
    assert out["app"].to_list() == ["Teams", "Teams"]


def test_small_counts_get_one_tick_per_unit_and_never_a_half():
    frame = pl.DataFrame({"day": ["a", "b"], "cause": ["x", "y"], "n": [1, 2]})
    axis = stacked_bars(frame, "day", "cause", "n", x_title="", y_title="").layout.yaxis
    assert axis.dtick == 1 and axis.tickformat == ",d"
    big = pl.DataFrame({"day": ["a"], "cause": ["x"], "n": [1_000]})
    axis = stacked_bars(big, "day", "cause", "n", x_title="", y_title="").layout.yaxis
    assert axis.dtick is None and axis.tickformat == ",d"  # plotly's own whole-number steps


def test_a_one_day_window_ticks_its_day_not_fractions_of_a_second():
    frame = pl.DataFrame({"day": [date(2026, 11, 27)], "cause": ["x"], "n": [3]})
    days = (date(2026, 11, 27), date(2026, 11, 27))
    axis = stacked_bars(frame, "day", "cause", "n", x_title="", y_title="", days=days).layout.xaxis
    assert axis.tickformat == "%d %b" and axis.dtick == 86_400_000 and axis.type == "date"


def test_every_cause_has_its_own_colour_and_the_fallback_is_grey():
    from dashboards.links import Links
    from dashboards.pages import FALLBACK_COLOR, Inputs
    from transforms.rules import load_rules

    rules = {rule.id: rule for rule in load_rules()}
    colors = Inputs(lambda name: pl.DataFrame(), None, rules, Links(None)).cause_colors()
    assert set(colors) == {rule.title for rule in rules.values()}
    assert len(set(colors.values())) == len(colors) == 16
    assert colors[rules["unknown"].title] == FALLBACK_COLOR
