"""Entry page: login gate, language switch and the executive overview (home)."""
from __future__ import annotations

import streamlit as st

from lib import charts, ui
from lib.i18n import format_number, format_rate
from lib.kpis.common import KpiFilter

ui.page_setup("overview")
tr = ui.tr

st.title(tr("overview_title"))
start, end = ui.period_picker("overview")
if start > end:
    st.warning(tr("no_data"))
    st.stop()
flt = KpiFilter(start=start, end=end)
st.caption(tr("overview_caption", start=start.isoformat(), end=end.isoformat()))

head = ui.headline(flt)
cur, prev = head.current, head.previous


def delta_rate(key: str) -> str | None:
    if cur[key] is None or prev[key] is None:
        return None
    return f"{(cur[key] - prev[key]) * 100:+.1f} pt"


def delta_number(key: str, decimals: int = 0) -> str | None:
    if cur[key] is None or prev[key] is None:
        return None
    return f"{cur[key] - prev[key]:+,.{decimals}f}"


cols = st.columns(5)
cols[0].metric(f"{tr('area_complaints')} · {tr('kpi_complaints')}", format_number(cur["complaints"]),
               delta_number("complaints"), delta_color="off", help=tr("vs_previous"))
cols[1].metric(f"{tr('area_complaints')} · {tr('kpi_resolution_rate')}", format_rate(cur["resolution_rate"]),
               delta_rate("resolution_rate"), help=tr("vs_previous"))
cols[2].metric(f"{tr('area_surveys')} · {tr('kpi_satisfaction_score')}",
               format_number(cur["satisfaction_score"]), delta_number("satisfaction_score", 1),
               help=f"n = {cur['responses']:,}")
cols[3].metric(f"{tr('area_listening')} · {tr('kpi_participation_rate')}",
               format_rate(cur["participation_rate"]), delta_rate("participation_rate"), help=tr("vs_previous"))
cols[4].metric(f"{tr('area_supervisors')} · {tr('issues_open')}", format_number(cur["issues_open"]),
               help=f"{tr('kpi_issues_raised')}: {cur['issues_raised']:,}")

st.subheader(tr("chart_complaints_trend"))
trend = ui.complaints_trend(flt)
if trend.empty:
    st.info(tr("no_data"))
else:
    st.altair_chart(charts.volume_and_rate(trend, x_title=tr("month"), bar_title=tr("chart_volume"),
                                           line_title=tr("kpi_resolution_rate")), width="stretch")
