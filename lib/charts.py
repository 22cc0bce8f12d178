"""Altair chart builders: (aggregated DataFrame, labels) -> alt.Chart; never raw rows.

Every builder takes its data as inline values (`alt.to_values`), so that Altair consults no global data
transformer: Streamlit switches those while it draws, and a spec must be the same whichever thread
makes it. `spec` turns a chart into the Vega-Lite dict that `ui.chart` caches and draws.
"""
from __future__ import annotations

import json
from typing import Any

import altair as alt
import pandas as pd

# Altair's default theme fixes a 300-pixel view; Streamlit sizes charts to their container itself.
THEME_VIEW = ("continuousWidth", "continuousHeight")


def spec(chart: alt.TopLevelMixin, *, validate: bool = False) -> dict[str, Any]:
    """The chart as a Vega-Lite spec, without the default theme's fixed view. Validating it against the
    Vega-Lite schema took Altair 40-70 ms a page on every cold run; the builders below are fixed code,
    so tests/unit/test_charts.py validates every one of them instead."""
    out = chart.to_dict(validate=validate)
    config = out.get("config", {})
    view = config.get("view", {})
    for name in THEME_VIEW:
        view.pop(name, None)
    if "view" in config and not view:
        del config["view"]
    if "config" in out and not config:
        del out["config"]
    return out


def _values(df: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """The frame as inline Vega-Lite values (NaN as null), as `alt.to_values` makes them, in 0.1 ms
    instead of 2-4 ms: pandas writes the JSON in C."""
    return {"values": json.loads(df.to_json(orient="records", date_format="iso", double_precision=15))}


def _chart(df: pd.DataFrame | None = None, **properties: Any) -> alt.Chart:
    """A chart of `df` (None: a layer that takes its layered chart's data). Properties are given to the
    constructor: `.properties()` validates each against the schema, and layers would copy their data."""
    return alt.Chart(alt.Undefined if df is None else _values(df), **properties)


def _layer(df: pd.DataFrame, *layers: alt.Chart, **properties: Any) -> alt.LayerChart:
    return alt.LayerChart(data=_values(df), layer=list(layers), **properties)


def _partial_flags(df: pd.DataFrame, series: str | None = None) -> pd.DataFrame:
    """`partial` and `dash`: the partial months and each whole month just before one
    of its series, so the dashed stretch of a line joins the solid one."""
    if "partial" not in df:  # nothing partial: the frame as it is (the filters read a missing field as false)
        return df
    df = df.assign(partial=df["partial"].fillna(False).astype(bool))
    order = df.sort_values([*([series] if series else []), "month"])
    nxt = order.groupby(series)["partial"].shift(-1) if series else order["partial"].shift(-1)
    return df.assign(dash=(order["partial"] | nxt.fillna(False).astype(bool)).reindex(df.index))


def _partial_layers(base: alt.Chart, y: alt.Y, *, color: Any = alt.Undefined, tooltip: list,
                    point: Any = True, params: tuple = ()) -> list[alt.Chart]:
    """A line solid over whole months, dashed and lighter into a partial one (labelled on the axis)."""
    solid = base.mark_line(point=point).encode(y=y, color=color, tooltip=tooltip).transform_filter("!datum.partial")
    if params:
        solid = solid.add_params(*params)
    dashed = base.mark_line(point=point, strokeDash=[5, 4], opacity=0.55).encode(
        y=y, color=color, tooltip=tooltip).transform_filter("datum.dash")
    # The label is not drawn at the partial points any more: with several series (listening tiers, seven
    # touchpoints) it was written once per series, over itself and the points (#23). The month's axis label
    # carries it instead (_month_axis).
    return [solid, dashed]


def _month_axis(df: pd.DataFrame, label: str | None) -> Any:
    """The month axis; each partial month's tick reads the month and, under it, `label` (issue #23): once
    per month whatever the number of series, clear of the lines and bars."""
    if not label or "partial" not in df:
        return alt.Undefined
    months = sorted({str(m) for m, p in zip(df["month"], df["partial"], strict=True) if p is True or p == 1})
    if not months:
        return alt.Undefined
    test = " || ".join(f"datum.value === {json.dumps(m)}" for m in months)
    return alt.Axis(labelExpr=f"({test}) ? [datum.value, {json.dumps('(' + label + ')', ensure_ascii=False)}]"
                              " : datum.value", labelAngle=0)


def volume_and_rate(df: pd.DataFrame, *, x_title: str, bar_title: str, line_title: str,
                    partial_label: str | None = None) -> alt.Chart:
    """Monthly bars of volume with the rate as a line on a second axis; a bar click selects its month.
    A month with `partial` set (the current, unfinished month) is drawn light, its line dashed, and
    labelled `partial_label`."""
    df = _partial_flags(df)
    pick = alt.selection_point(name="pick", fields=["month"])
    base = _chart().encode(x=alt.X("month:N", title=x_title, axis=_month_axis(df, partial_label)))
    bars = base.mark_bar(color="#5B8FF9", cursor="pointer").add_params(pick).encode(
        y=alt.Y("complaints:Q", title=bar_title),
        opacity=alt.condition("datum.partial", alt.value(0.3), alt.value(0.8)),
        tooltip=[alt.Tooltip("month:N", title=x_title), alt.Tooltip("complaints:Q", title=bar_title)],
    )
    y = alt.Y("resolution_rate:Q", title=line_title, axis=alt.Axis(format="%"), scale=alt.Scale(zero=False))
    tooltip = [alt.Tooltip("month:N", title=x_title), alt.Tooltip("resolution_rate:Q", title=line_title, format=".1%"),
               alt.Tooltip("complaints:Q", title="n")]
    lines = _partial_layers(base.encode(color=alt.value("#E8684A")), y, tooltip=tooltip)
    rate = alt.LayerChart(layer=lines)
    return _layer(df, bars, rate, height=320).resolve_scale(y="independent")


def rate_bars(df: pd.DataFrame, *, volume_title: str, rate_title: str) -> alt.Chart:
    """One bar per group of its rate (`resolution_rate`, on a 0–100% axis), its n (`complaints`) written
    at the bar's end and in the tooltip; clicking a bar selects its `key` (selection "pick") to drill
    through. Groups with no rate (nothing due, say) are listed without a bar."""
    pick = alt.selection_point(name="pick", fields=["key"])
    base = _chart().encode(y=alt.Y("label:N", sort=alt.EncodingSortField("resolution_rate", order="descending"),
                                   title=None))
    tooltip = [alt.Tooltip("label:N", title=" "), alt.Tooltip("resolution_rate:Q", title=rate_title, format=".1%"),
               alt.Tooltip("complaints:Q", title=f"n ({volume_title})")]
    bars = base.mark_bar(color="#5B8FF9", opacity=0.8, cursor="pointer").add_params(pick).encode(
        x=alt.X("resolution_rate:Q", title=rate_title, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        tooltip=tooltip,
    )
    n = base.mark_text(align="left", dx=4, fontSize=11, color="#666666").encode(
        x=alt.X("resolution_rate:Q"), text=alt.Text("n_label:N"), tooltip=tooltip)
    frame = df.assign(n_label=[f"n={int(v)}" if v == v else "" for v in df["complaints"]])
    return _layer(frame, bars, n, height=alt.Step(28))


def count_bars(df: pd.DataFrame, *, x: str, count_title: str, color: str = "#5B8FF9") -> alt.Chart:
    """Plain ordered bars (ageing buckets): `x` labels in the given order, `count` values."""
    return _chart(df, height=260).mark_bar(color=color).encode(
        x=alt.X(f"{x}:N", sort=None, title=None), y=alt.Y("count:Q", title=count_title),
        tooltip=[alt.Tooltip(f"{x}:N", title=" "), alt.Tooltip("count:Q", title=count_title)],
    )


def count_rows(df: pd.DataFrame, *, count_title: str, count: str = "count", sort: str | None = None,
               color: str = "#5B8FF9", extra: tuple[tuple[str, str, str], ...] = ()) -> alt.Chart:
    """Horizontal bars, one per `label`, of `count` (escalation funnel, activity coverage): in the given
    order, or `sort` (e.g. "-x"). `extra` adds (field, title, format) lines to the tooltip."""
    tooltip = [alt.Tooltip("label:N", title=" "), alt.Tooltip(f"{count}:Q", title=count_title),
               *[alt.Tooltip(f"{field}:Q", title=title, format=fmt) for field, title, fmt in extra]]
    return _chart(df, height=alt.Step(32)).mark_bar(color=color).encode(
        x=alt.X(f"{count}:Q", title=count_title), y=alt.Y("label:N", sort=sort, title=None), tooltip=tooltip,
    )


def rate_lines(df: pd.DataFrame, *, x_title: str, y_title: str, partial_label: str | None = None) -> alt.Chart:
    """One line per `series` of a rate by month. Expects month, series, rate (and `n`, `partial`
    optionally: the sample in the tooltip; the unfinished month dashed and labelled)."""
    df = _partial_flags(df, "series")
    base = _chart().encode(x=alt.X("month:N", title=x_title, axis=_month_axis(df, partial_label)))
    tooltip = [alt.Tooltip("month:N", title=x_title), alt.Tooltip("series:N", title=" "),
               alt.Tooltip("rate:Q", title=y_title, format=".1%"),
               *([alt.Tooltip("n:Q", title="n")] if "n" in df else [])]
    lines = _partial_layers(base, alt.Y("rate:Q", title=y_title, axis=alt.Axis(format="%")),
                            color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom")),
                            tooltip=tooltip)
    return _layer(df, *lines, height=300)


def raised_and_open(df: pd.DataFrame, *, count_title: str, raised_title: str, open_title: str) -> alt.Chart:
    """Two bars per `label`: issues raised and still open. Expects label, raised, open."""
    kinds = {"raised": raised_title, "open": open_title}
    long = df.melt(id_vars=["label"], value_vars=list(kinds), var_name="kind", value_name="n")
    long["kind"] = long["kind"].map(kinds)
    return _chart(long, height=alt.Step(20)).mark_bar().encode(
        y=alt.Y("label:N", sort="-x", title=None), x=alt.X("n:Q", title=count_title), yOffset=alt.YOffset("kind:N"),
        color=alt.Color("kind:N", title=None, sort=list(kinds.values()),
                        scale=alt.Scale(domain=list(kinds.values()), range=["#5B8FF9", "#F6BD16"]),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("kind:N", title=" "),
                 alt.Tooltip("n:Q", title=count_title)],
    )


def trend_with_bands(df: pd.DataFrame, *, x_title: str, y_title: str, fmt: str,
                     partial_label: str | None = None) -> alt.Chart:
    """One line per series (`series` label) with its 95% interval as a band; a point click picks
    (month, touchpoint). With many series the legend selects: clicking a touchpoint in it shows that
    one alone (shift-click adds more; the others fade). The unfinished month (`partial`) is dashed and
    labelled. Expects month, touchpoint, series, n, value, low, high — one row per point."""
    df = _partial_flags(df, "series")
    pick = alt.selection_point(name="pick", fields=["month", "touchpoint"])
    shown = alt.selection_point(name="series_pick", fields=["series"], bind="legend")
    base = _chart().encode(
        x=alt.X("month:N", title=x_title, axis=_month_axis(df, partial_label)),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom", columns=4)))
    band = base.mark_area().add_params(shown).encode(
        y=alt.Y("low:Q", title=y_title, scale=alt.Scale(zero=False)), y2=alt.Y2("high:Q"),
        opacity=alt.condition(shown, alt.value(0.15), alt.value(0.0)))
    tooltip = [alt.Tooltip("month:N", title=x_title), alt.Tooltip("series:N", title=" "),
               alt.Tooltip("value:Q", title=y_title, format=fmt), alt.Tooltip("n:Q", title="n"),
               alt.Tooltip("low:Q", title="95% ↓", format=fmt), alt.Tooltip("high:Q", title="95% ↑", format=fmt)]
    faded = alt.condition(shown, alt.value(1.0), alt.value(0.08))
    lines = _partial_layers(base.encode(opacity=faded), alt.Y("value:Q", title=y_title), tooltip=tooltip,
                            point=alt.OverlayMarkDef(size=60, cursor="pointer"), params=(pick,))
    return _layer(df, band, *lines, height=340)


def versus_benchmark(df: pd.DataFrame, *, value_title: str, bench_title: str) -> alt.Chart:
    """Bars of each dimension's score with its interval as a rule and the benchmark as a tick.
    Expects label, n, value, low, high, benchmark."""
    base = _chart().encode(y=alt.Y("label:N", sort=None, title=None))
    tooltip = [alt.Tooltip("label:N", title=" "), alt.Tooltip("value:Q", title=value_title, format=".1f"),
               alt.Tooltip("n:Q", title="n"), alt.Tooltip("benchmark:Q", title=bench_title, format=".1f")]
    bars = base.mark_bar(color="#5B8FF9", opacity=0.8).encode(
        x=alt.X("value:Q", title=value_title, scale=alt.Scale(domain=[0, 100])), tooltip=tooltip)
    ci = base.mark_rule(color="#333").encode(x=alt.X("low:Q"), x2=alt.X2("high:Q"))
    bench = base.mark_tick(color="#E8684A", thickness=3, size=26).encode(x=alt.X("benchmark:Q"), tooltip=tooltip)
    return _layer(df, bars, ci, bench, height=alt.Step(36))


def heatmap(df: pd.DataFrame, *, row_title: str, value_title: str, few_label: str = "—") -> alt.Chart:
    """Cells of mean score (0–100) by key × dimension label; a click picks the key. Expects key, label,
    n, value and optionally `few` (fewer answers than the minimum sample: a grey cell reading
    `few_label`, its value not coloured)."""
    few = df["few"].fillna(False).astype(bool) if "few" in df else pd.Series(False, index=df.index)
    df = df.assign(few=few, shown=[few_label if f else ("" if v is None or v != v else f"{v:.0f}")
                                   for f, v in zip(few, df["value"], strict=True)],
                   score=[None if f else v for f, v in zip(few, df["value"], strict=True)])
    pick = alt.selection_point(name="pick", fields=["key"])
    base = _chart().encode(x=alt.X("label:N", title=None, sort=None, axis=alt.Axis(labelAngle=0)),
                             y=alt.Y("key:N", title=row_title))
    cells = base.mark_rect(cursor="pointer").add_params(pick).encode(
        color=alt.condition("datum.few", alt.value("#e6e6e6"),
                            alt.Color("score:Q", title=value_title,
                                      scale=alt.Scale(scheme="redyellowgreen", domain=[40, 100]))),
        tooltip=[alt.Tooltip("key:N", title=row_title), alt.Tooltip("label:N", title=" "),
                 alt.Tooltip("shown:N", title=value_title), alt.Tooltip("n:Q", title="n")])
    text = base.mark_text(fontSize=11).encode(text=alt.Text("shown:N"),
                                              color=alt.condition("datum.few", alt.value("#888888"), alt.value("black")))
    return _layer(df, cells, text, height=alt.Step(24))


def importance_performance(df: pd.DataFrame, *, x_title: str, y_title: str) -> alt.Chart:
    """Driver view: importance (correlation with overall) vs performance (score), quadrant lines at
    the means. Expects label, n, importance, performance."""
    shown = _chart()
    drawn = df.dropna(subset=["importance", "performance"])
    # whole scales, not cropped to the points (0.780–0.796 made equal drivers look far apart): importance
    # (a correlation) from 0 (or its lowest, if negative) to 1, performance 0–100
    low = min(0.0, float(drawn["importance"].min())) if not drawn.empty else 0.0
    base = shown.encode(
        x=alt.X("importance:Q", title=x_title, scale=alt.Scale(domain=[low, 1])),
        y=alt.Y("performance:Q", title=y_title, scale=alt.Scale(domain=[0, 100])))
    points = base.mark_circle(size=140, color="#5B8FF9").encode(tooltip=[
        alt.Tooltip("label:N", title=" "), alt.Tooltip("importance:Q", title=x_title, format=".2f"),
        alt.Tooltip("performance:Q", title=y_title, format=".1f"), alt.Tooltip("n:Q", title="n")])
    labels = base.mark_text(align="left", dx=9, fontSize=12).encode(text=alt.Text("label:N"))
    x_mid = shown.mark_rule(strokeDash=[4, 4], color="#999").encode(x=alt.X("mean(importance):Q"))
    y_mid = shown.mark_rule(strokeDash=[4, 4], color="#999").encode(y=alt.Y("mean(performance):Q"))
    return _layer(drawn, points, labels, x_mid, y_mid, height=340)


def pivot(df: pd.DataFrame, *, kind: str, by: str, by2: str | None, by_title: str, by2_title: str | None,
          value_title: str, fmt: str, few_label: str = "—") -> alt.Chart:
    """Explore's chart of `value` by `by` (and `by2`): bars side by side, lines, or a heat map."""
    x = alt.X(f"{by}:N", title=by_title, sort=None)
    # a rate's axis and legend in % (0.9615 read as 96.2%), as its tooltip
    axis = alt.Axis(format="%") if "%" in fmt else alt.Undefined
    color = alt.Color(f"{by2}:N", title=by2_title) if by2 else alt.value("#5B8FF9")
    tooltip = [alt.Tooltip(f"{by}:N", title=by_title), alt.Tooltip("value:Q", title=value_title, format=fmt)]
    if by2:
        tooltip.insert(1, alt.Tooltip(f"{by2}:N", title=by2_title))
    base = _chart(df.dropna(subset=["value"]), height=380)
    if kind == "heatmap":
        return _pivot_heatmap(df.dropna(subset=["value"]), x=x, by=by, by2=by2, by_title=by_title,
                              by2_title=by2_title, value_title=value_title, fmt=fmt, tooltip=tooltip,
                              few_label=few_label)
    elif kind == "line":
        drawn = base.mark_line(point=True).encode(x=x, y=alt.Y("value:Q", title=value_title, axis=axis), color=color,
                                                  tooltip=tooltip)
    else:
        drawn = base.mark_bar().encode(x=x, y=alt.Y("value:Q", title=value_title, axis=axis), color=color,
                                       tooltip=tooltip,
                                       xOffset=alt.XOffset(f"{by2}:N") if by2 else alt.Undefined)
    return drawn


def _pivot_heatmap(df: pd.DataFrame, *, x: alt.X, by: str, by2: str | None, by_title: str, by2_title: str | None,
                   value_title: str, fmt: str, tooltip: list, few_label: str) -> alt.LayerChart:
    """Explore's heat map. A cell flagged `few` (fewer cases than the minimum sample, issue #23) is grey,
    reads `few_label` and takes no part in the colour scale; its value and n stay in the tooltip."""
    y_dim, y_title = (by2, by2_title) if by2 else (by, by_title)
    legend = alt.Legend(format="%") if "%" in fmt else alt.Undefined
    if "few" not in df:  # no minimum applies (a count, a mean): the cells alone
        return _chart(df, height=380).mark_rect().encode(
            x=x, y=alt.Y(f"{y_dim}:N", title=y_title, sort=None),
            color=alt.Color("value:Q", title=value_title, legend=legend), tooltip=tooltip)
    few = df["few"].fillna(False).astype(bool)
    df = df.assign(few=few, coloured=[None if f else v for f, v in zip(few, df["value"], strict=True)],
                   few_text=[few_label if f else "" for f in few])
    if "n" in df:
        tooltip = [*tooltip, alt.Tooltip("n:Q", title="n")]
    base = _chart().encode(x=x, y=alt.Y(f"{y_dim}:N", title=y_title, sort=None))
    cells = base.mark_rect().encode(
        color=alt.condition("datum.few", alt.value("#e6e6e6"),
                            alt.Color("coloured:Q", title=value_title,
                                      legend=alt.Legend(format="%") if "%" in fmt else alt.Undefined)),
        tooltip=tooltip)
    text = base.mark_text(fontSize=11, color="#888888").encode(text=alt.Text("few_text:N"), tooltip=tooltip)
    return _layer(df, cells, text, height=380)
