"""Complaints: KPIs with change vs the previous period, trend, breakdowns, SLA, escalation, import."""
from __future__ import annotations

import altair as alt
import streamlit as st

from lib import charts, ui
from lib.i18n import format_number, format_rate, kpi_label
from lib.imports.core import error_report, error_report_csv
from lib.imports.reader import ImportRejected
from lib.pages import WRITERS
from lib.vocab import BUSINESS_LINES, CATEGORIES, CHANNELS, SEVERITIES, label

user = ui.page_setup("complaints")
tr, lang = ui.tr, ui.lang()

st.title(tr("complaints_title"))
start, end = ui.period_picker("complaints")
opts = ui.org_options()
c1, c2, c3, c4 = st.columns(4)
flt = ui.make_filter(
    start, end,
    companies=c1.multiselect(tr("company"), opts["company"], key="complaints_company", placeholder=tr("all")),
    cities=c2.multiselect(tr("city"), opts["city"], key="complaints_city", placeholder=tr("all")),
    projects=c3.multiselect(tr("project"), opts["project"], key="complaints_project", placeholder=tr("all")),
    business_lines=c4.multiselect(tr("business_line"), list(BUSINESS_LINES),
                                  format_func=lambda c: label("business_line", c, lang), key="complaints_bl", placeholder=tr("all")),
    channels=c1.multiselect(tr("channel"), list(CHANNELS), format_func=lambda c: label("channel", c, lang),
                            key="complaints_channel", placeholder=tr("all")),
    categories=c2.multiselect(tr("category"), list(CATEGORIES), format_func=lambda c: label("category", c, lang),
                              key="complaints_category", placeholder=tr("all")),
    severities=c3.multiselect(tr("severity"), list(SEVERITIES), format_func=lambda c: label("severity", c, lang),
                              key="complaints_severity", placeholder=tr("all")),
    responsible={"all": None, "yes": True, "no": False}[
        c4.selectbox(tr("responsible"), ["all", "yes", "no"], format_func=tr, key="complaints_responsible")],
)

now, before = ui.complaint_kpis(flt), ui.complaint_kpis(flt.previous_period())
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

trend = ui.complaints_trend(flt)
if trend.empty:
    st.info(tr("no_data"))
    st.stop()
st.subheader(tr("chart_complaints_trend"))
st.altair_chart(charts.volume_and_rate(trend, x_title=tr("month"), bar_title=tr("chart_volume"),
                                       line_title=tr("kpi_resolution_rate")), width="stretch")

st.subheader(tr("breakdowns"))
tabs = st.tabs([tr("by_business_line"), tr("by_channel"), tr("by_category"), tr("by_city")])
for tab, (by, vocab) in zip(tabs, [("business_line", "business_line"), ("channel", "channel"),
                                   ("category", "category"), ("city", None)], strict=True):
    frame = ui.complaint_breakdown(flt, by)
    frame = frame.assign(label=[label(vocab, k, lang) if vocab else k for k in frame["key"]])
    tab.altair_chart(charts.rate_bars(frame, volume_title=tr("chart_volume"), rate_title=tr("kpi_resolution_rate")),
                     width="stretch")

left, right = st.columns(2)
left.subheader(tr("sla_view"))
left.altair_chart(charts.rate_bars(
    ui.complaint_breakdown(flt, "severity").assign(
        label=lambda f: [label("severity", k, lang) for k in f["key"]],
        resolution_rate=lambda f: f["resolution_on_time_rate"]),
    volume_title=tr("chart_volume"), rate_title=tr("kpi_resolution_on_time_rate")), width="stretch")
right.subheader(tr("escalation_funnel"))
funnel = ui.escalation_funnel(flt).assign(label=lambda f: [label("escalation_level", v, lang) for v in f["level"]])
right.altair_chart(alt.Chart(funnel).mark_bar(color="#5B8FF9").encode(
    x=alt.X("count:Q", title=tr("count")), y=alt.Y("label:N", sort=None, title=None),
    tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("count:Q", title=tr("count"))]), width="stretch")

if user.role in WRITERS:
    st.subheader(tr("import_file"))
    upload = st.file_uploader(tr("import_file"), type=["csv", "xlsx"], key="complaints_upload",
                              label_visibility="collapsed")
    if upload is not None and st.button(tr("import_button"), key="complaints_import_btn"):
        bar = st.progress(0.0)
        try:
            result = ui.import_complaints(upload.getvalue(), upload.name, user.username, bar.progress)
            st.success(tr("imp_done", **{k: getattr(result, k) for k in
                                         ("rows", "inserted", "updated", "unchanged", "created_projects")}))
        except ImportRejected as exc:
            st.error(tr(exc.key, **exc.params))
            if exc.errors:
                st.dataframe(error_report(exc.errors), hide_index=True, key="complaints_import_errors")
                st.download_button(tr("download_errors"), error_report_csv(exc.errors),
                                   file_name="import_errors.csv", mime="text/csv", key="complaints_errors_dl")
