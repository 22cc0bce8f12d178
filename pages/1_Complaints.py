"""Complaints: KPIs with change vs the previous period, trend, breakdowns with drill-through, SLA, escalation."""
from __future__ import annotations

from dataclasses import replace

import streamlit as st

from lib import charts, exports, ui
from lib.db import local_now
from lib.i18n import format_number, format_rate, kpi_label
from lib.pages import WRITERS
from lib.services import complaint_views, overview
from lib.vocab import label

user = ui.page_setup("complaints")
tr, lang = ui.tr, ui.lang()

st.title(tr("complaints_title"))
flt = ui.complaint_filters("complaints")

board = ui.cached(complaint_views.board, flt)
now, before = board.kpis, board.previous
RATES = ["resolution_rate", "first_response_on_time_rate", "resolution_on_time_rate", "followup_satisfaction",
         "escalation_rate", "reopen_rate"]
cards = st.columns(4)
cards[0].metric(kpi_label("complaints", lang), format_number(now["complaints"]),
                ui.delta(now["complaints"], before["complaints"]), delta_color="off", help=tr("vs_previous"))
cards[1].metric(kpi_label("open_backlog", lang), format_number(now["open_backlog"]),
                ui.delta(now["open_backlog"], before["open_backlog"]), delta_color="inverse")
cards[2].metric(kpi_label("overdue_open", lang), format_number(now["overdue_open"]),
                ui.delta(now["overdue_open"], before["overdue_open"]), delta_color="inverse")
cards[3].metric(kpi_label("median_hours_to_resolve", lang), format_number(now["median_hours_to_resolve"]),
                ui.delta(now["median_hours_to_resolve"], before["median_hours_to_resolve"], 1), delta_color="inverse")
rate_cols = st.columns(len(RATES))
for col, name in zip(rate_cols, RATES, strict=True):
    inverse = name in ("escalation_rate", "reopen_rate")
    col.metric(kpi_label(name, lang), format_rate(now[name]), ui.delta_rate(now[name], before[name]),
               delta_color="inverse" if inverse else "normal")

trend = board.trend
if trend.empty:
    st.info(tr("no_data"))
    st.stop()


def drill(narrowed, caption: str, key: str) -> None:
    """The complaints behind a clicked bar, as the user may see them."""
    rows = ui.complaint_list(narrowed)
    st.caption(tr("drill_caption", what=caption, n=len(rows)))
    st.dataframe(ui.present_complaints(rows, user.role), hide_index=True, key=key, height=300)


st.subheader(tr("chart_complaints_trend"))
today = local_now().date()
trend = overview.with_partial(trend, start=flt.start, end=flt.end, today=today)  # #23: the unfinished month
trend_event = ui.chart(charts.volume_and_rate, trend, x_title=tr("month"), bar_title=tr("chart_volume"),
                       line_title=tr("kpi_resolution_rate"), on_select="rerun", key="complaints_trend_chart",
                       partial_label=tr("partial_period"))
if trend["partial"].any():
    st.caption(tr("partial_note", day=min(flt.end, today).isoformat()))
month = ui.picked(trend_event, "month")
if month:
    drill(ui.month_filter(flt, month), month, "complaints_drill_month")
else:
    st.caption(tr("drill_hint"))

st.subheader(tr("breakdowns"))
DIMENSIONS = [("business_line", "business_line", "business_lines"), ("channel", "channel", "channels"),
              ("category", "category", "categories"), ("city", None, "cities")]
tabs = st.tabs([tr("by_business_line"), tr("by_channel"), tr("by_category"), tr("by_city")])
for tab, (by, vocab, field) in zip(tabs, DIMENSIONS, strict=True):
    frame = board.breakdowns[by]
    frame = frame.assign(label=[label(vocab, k, lang) if vocab else k for k in frame["key"]])
    with tab:
        event = ui.chart(charts.rate_bars, frame, volume_title=tr("chart_volume"),
                         rate_title=tr("kpi_resolution_rate"), on_select="rerun", key=f"complaints_{by}_chart")
        table = frame[["label", "complaints", "resolution_rate", "resolution_on_time_rate"]].rename(columns={
            "label": tr(by), "complaints": kpi_label("complaints", lang),
            "resolution_rate": kpi_label("resolution_rate", lang),
            "resolution_on_time_rate": kpi_label("resolution_on_time_rate", lang)})
        st.download_button(tr("download_aggregates"), exports.to_bytes(table, "csv"),
                           file_name=f"complaints_by_{by}.csv", mime="text/csv", key=f"complaints_{by}_dl",
                           on_click=ui.audit_export, args=(user.username, f"complaints_by_{by}", "csv", len(table)))
        key = ui.picked(event, "key")
        if key is not None:
            drill(replace(flt, **{field: (key,)}), label(vocab, key, lang) if vocab else key,
                  f"complaints_drill_{by}")

st.subheader(tr("sla_view"))
left, right = st.columns(2)
left.caption(kpi_label("resolution_on_time_rate", lang))
ui.chart(charts.rate_bars, board.breakdowns["severity"].assign(
    label=lambda f: [label("severity", k, lang) for k in f["key"]],
    resolution_rate=lambda f: f["resolution_on_time_rate"]),
    where=left, volume_title=tr("chart_volume"), rate_title=tr("kpi_resolution_on_time_rate"))
right.caption(tr("backlog_ageing"))
ageing = board.ageing.assign(bucket=lambda f: [tr(f"age_{b}") for b in f["bucket"]])
ui.chart(charts.count_bars, ageing, where=right, x="bucket", count_title=tr("count"), color="#F6BD16")

overdue = ui.complaint_list(flt, overdue=True)
st.caption(tr("overdue_list", n=len(overdue)))
st.dataframe(ui.present_complaints(overdue.sort_values("resolution_due_at"), user.role), hide_index=True,
             key="complaints_overdue", height=260)

ui.signals_panel(flt, user, "complaints")  # issue #26: group complaints, repeat households, exposure words

st.subheader(tr("escalation_funnel"))
funnel = board.funnel.assign(label=lambda f: [label("escalation_level", v, lang) for v in f["level"]])
ui.chart(charts.count_rows, funnel[["label", "count"]], count_title=tr("count"))

if user.role in WRITERS:
    ui.import_panel("complaints", user)
