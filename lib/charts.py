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
