"""Altair chart builders: (aggregated DataFrame, labels) -> alt.Chart; never raw rows."""
from __future__ import annotations

import altair as alt
import pandas as pd


def volume_and_rate(df: pd.DataFrame, *, x_title: str, bar_title: str, line_title: str) -> alt.Chart:
    """Monthly bars of volume with the rate as a line on a second axis."""
    base = alt.Chart(df).encode(x=alt.X("month:N", title=x_title))
    bars = base.mark_bar(color="#5B8FF9", opacity=0.8).encode(
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
    """One bar per group (volume) with its rate as a point, for breakdowns."""
    base = alt.Chart(df).encode(y=alt.Y("label:N", sort="-x", title=None))
    bars = base.mark_bar(color="#5B8FF9", opacity=0.8).encode(
        x=alt.X("complaints:Q", title=volume_title),
        tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("complaints:Q", title=volume_title),
                 alt.Tooltip("resolution_rate:Q", title=rate_title, format=".1%")],
    )
    return bars.properties(height=max(160, 28 * len(df)))
