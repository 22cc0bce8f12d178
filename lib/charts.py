"""Altair chart builders: (aggregated DataFrame, labels) -> alt.Chart; never raw rows."""
from __future__ import annotations

import altair as alt
import pandas as pd


def volume_and_rate(df: pd.DataFrame, *, x_title: str, bar_title: str, line_title: str) -> alt.Chart:
    """Monthly bars of volume with the rate as a line on a second axis; a bar click selects its month."""
    pick = alt.selection_point(name="pick", fields=["month"])
    base = alt.Chart(df).encode(x=alt.X("month:N", title=x_title))
    bars = base.mark_bar(color="#5B8FF9", opacity=0.8, cursor="pointer").add_params(pick).encode(
        y=alt.Y("complaints:Q", title=bar_title),
        tooltip=[alt.Tooltip("month:N", title=x_title), alt.Tooltip("complaints:Q", title=bar_title)],
    )
    line = base.mark_line(color="#E8684A", point=True).encode(
        y=alt.Y("resolution_rate:Q", title=line_title, axis=alt.Axis(format="%"),
                scale=alt.Scale(zero=False)),
        tooltip=[alt.Tooltip("month:N", title=x_title),
                 alt.Tooltip("resolution_rate:Q", title=line_title, format=".1%")],
    )
    return alt.layer(bars, line).resolve_scale(y="independent").properties(height=320)


def rate_bars(df: pd.DataFrame, *, volume_title: str, rate_title: str) -> alt.Chart:
    """One bar per group (volume); clicking a bar selects its `key` (selection "pick") to drill through."""
    pick = alt.selection_point(name="pick", fields=["key"])
    base = alt.Chart(df).encode(y=alt.Y("label:N", sort="-x", title=None))
    bars = base.mark_bar(color="#5B8FF9", opacity=0.8, cursor="pointer").add_params(pick).encode(
        x=alt.X("complaints:Q", title=volume_title),
        tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("complaints:Q", title=volume_title),
                 alt.Tooltip("resolution_rate:Q", title=rate_title, format=".1%")],
    )
    return bars.properties(height=max(160, 28 * len(df)))


def count_bars(df: pd.DataFrame, *, x: str, count_title: str, color: str = "#5B8FF9") -> alt.Chart:
    """Plain ordered bars (ageing buckets, funnels): `x` labels in the given order, `count` values."""
    return alt.Chart(df).mark_bar(color=color).encode(
        x=alt.X(f"{x}:N", sort=None, title=None), y=alt.Y("count:Q", title=count_title),
        tooltip=[alt.Tooltip(f"{x}:N", title=" "), alt.Tooltip("count:Q", title=count_title)],
    ).properties(height=260)


def trend_with_bands(df: pd.DataFrame, *, x_title: str, y_title: str, fmt: str) -> alt.Chart:
    """One line per series (`series` label) with its 95% interval as a band; a point click picks
    (month, touchpoint). Expects month, touchpoint, series, n, value, low, high — one row per point."""
    pick = alt.selection_point(name="pick", fields=["month", "touchpoint"])
    base = alt.Chart(df).encode(
        x=alt.X("month:N", title=x_title),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom", columns=4)))
    band = base.mark_area(opacity=0.15).encode(y=alt.Y("low:Q", title=y_title, scale=alt.Scale(zero=False)),
                                                y2="high:Q")
    tooltip = [alt.Tooltip("month:N", title=x_title), alt.Tooltip("series:N", title=" "),
               alt.Tooltip("value:Q", title=y_title, format=fmt), alt.Tooltip("n:Q", title="n"),
               alt.Tooltip("low:Q", title="95% ↓", format=fmt), alt.Tooltip("high:Q", title="95% ↑", format=fmt)]
    line = base.mark_line(point=alt.OverlayMarkDef(size=60, cursor="pointer")).add_params(pick).encode(
        y=alt.Y("value:Q", title=y_title), tooltip=tooltip)
    return alt.layer(band, line).properties(height=340)


def versus_benchmark(df: pd.DataFrame, *, value_title: str, bench_title: str) -> alt.Chart:
    """Bars of each dimension's score with its interval as a rule and the benchmark as a tick.
    Expects label, n, value, low, high, benchmark."""
    base = alt.Chart(df).encode(y=alt.Y("label:N", sort=None, title=None))
    tooltip = [alt.Tooltip("label:N", title=" "), alt.Tooltip("value:Q", title=value_title, format=".1f"),
               alt.Tooltip("n:Q", title="n"), alt.Tooltip("benchmark:Q", title=bench_title, format=".1f")]
    bars = base.mark_bar(color="#5B8FF9", opacity=0.8).encode(
        x=alt.X("value:Q", title=value_title, scale=alt.Scale(domain=[0, 100])), tooltip=tooltip)
    ci = base.mark_rule(color="#333").encode(x="low:Q", x2="high:Q")
    bench = base.mark_tick(color="#E8684A", thickness=3, size=26).encode(x="benchmark:Q", tooltip=tooltip)
    return alt.layer(bars, ci, bench).properties(height=max(160, 40 * len(df)))


def heatmap(df: pd.DataFrame, *, row_title: str, value_title: str) -> alt.Chart:
    """Cells of mean score (0–100) by key × dimension label; a click picks the key. Expects key, label,
    n, value."""
    pick = alt.selection_point(name="pick", fields=["key"])
    base = alt.Chart(df).encode(x=alt.X("label:N", title=None, sort=None, axis=alt.Axis(labelAngle=0)),
                                y=alt.Y("key:N", title=row_title))
    cells = base.mark_rect(cursor="pointer").add_params(pick).encode(
        color=alt.Color("value:Q", title=value_title, scale=alt.Scale(scheme="redyellowgreen", domain=[40, 100])),
        tooltip=[alt.Tooltip("key:N", title=row_title), alt.Tooltip("label:N", title=" "),
                 alt.Tooltip("value:Q", title=value_title, format=".1f"), alt.Tooltip("n:Q", title="n")])
    text = base.mark_text(fontSize=11).encode(text=alt.Text("value:Q", format=".0f"))
    return alt.layer(cells, text).properties(height=max(160, 24 * df["key"].nunique()))


def importance_performance(df: pd.DataFrame, *, x_title: str, y_title: str) -> alt.Chart:
    """Driver view: importance (correlation with overall) vs performance (score), quadrant lines at
    the means. Expects label, n, importance, performance."""
    shown = df.dropna(subset=["importance", "performance"])
    base = alt.Chart(shown).encode(
        x=alt.X("importance:Q", title=x_title, scale=alt.Scale(zero=False)),
        y=alt.Y("performance:Q", title=y_title, scale=alt.Scale(zero=False)))
    points = base.mark_circle(size=140, color="#5B8FF9").encode(tooltip=[
        alt.Tooltip("label:N", title=" "), alt.Tooltip("importance:Q", title=x_title, format=".2f"),
        alt.Tooltip("performance:Q", title=y_title, format=".1f"), alt.Tooltip("n:Q", title="n")])
    labels = base.mark_text(align="left", dx=9, fontSize=12).encode(text="label:N")
    x_mid = alt.Chart(shown).mark_rule(strokeDash=[4, 4], color="#999").encode(x="mean(importance):Q")
    y_mid = alt.Chart(shown).mark_rule(strokeDash=[4, 4], color="#999").encode(y="mean(performance):Q")
    return alt.layer(points, labels, x_mid, y_mid).properties(height=340)
