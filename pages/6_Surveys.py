"""Satisfaction surveys: KPIs with n, 95% intervals and tested changes; trend by touchpoint with bands;
dimensions vs the industry benchmark; project × dimension heat map; drivers; the answers behind a cell."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from lib import charts, exports, stats, ui
from lib.db import local_now
from lib.i18n import format_number, format_rate, kpi_label
from lib.kpis import areas
from lib.kpis.common import KpiFilter
from lib.pages import WRITERS
from lib.services import overview
from lib.services import survey_views as views
from lib.vocab import SURVEY_METHODS, TOUCHPOINTS, label

user = ui.page_setup("surveys")
tr, lang = ui.tr, ui.lang()

st.title(tr("surveys_title"))
flt = ui.org_filters("srv", touchpoints=("touchpoint", list(TOUCHPOINTS), "touchpoint"),
                     methods=("method", list(SURVEY_METHODS), "method"))


def shown(name: str, value: float | None) -> str:
    """Rates in % with one decimal; scores and NPS in points with one decimal; a dash when empty."""
    if name == "satisfaction_rate":
        return format_rate(value)
    return "—" if value is None else f"{value:.1f}"


def shown_diff(name: str, diff: float | None) -> str:
    if diff is None:
        return "—"
    return f"{diff * 100:+.1f} pt" if name == "satisfaction_rate" else f"{diff:+.1f}"


def verdict(change: stats.Change) -> str:
    if change.diff is None:
        return "—"
    if change.p_value is None:
        return tr("srv_untested")
    return tr("srv_significant") if change.significant else tr("srv_not_significant")


summary = ui.cached(views.summary, flt)
figures = summary["figures"]
cards = st.columns(4)
cards[0].metric(kpi_label("responses", lang), format_number(summary["responses"]),
                ui.delta(summary["responses"], summary["responses_previous"]), delta_color="off",
                help=tr("vs_previous"))
for col, name in zip(cards[1:], views.HEADLINE, strict=True):
    fig = figures[name]
    est = fig.estimate
    col.metric(kpi_label(name, lang), shown(name, est.value),
               None if fig.vs_previous.diff is None else f"{shown_diff(name, fig.vs_previous.diff)} · "
               f"{verdict(fig.vs_previous)}", help=tr("srv_method_note"))
    col.caption(tr("srv_card_detail", n=format_number(est.n), low=shown(name, est.low), high=shown(name, est.high)))
    col.caption(tr("srv_card_yoy", diff=shown_diff(name, fig.vs_last_year.diff),
                   verdict=verdict(fig.vs_last_year)))

# SPEC §14: the low answers of this selection and their follow-up tasks, one click away (filter in the link)
followup = ui.cached(areas.compute, "followups", flt).kpis
if followup["followups_due"]:
    st.caption(tr("fu_surveys_link", n=format_number(followup["followups_due"]),
                  open=format_number(followup["followups_due"] - followup["followups_closed"]),
                  overdue=format_number(followup["followups_overdue"])))
    st.page_link(ui.page_path("followups"), label=tr("fu_surveys_open"), icon=":material/phone_callback:",
                 query_params={"from": flt.start.isoformat(), "to": flt.end.isoformat(), "view": "open",
                               **{name: list(values) for name, values in (
                                   ("company", flt.companies), ("city", flt.cities), ("project", flt.projects),
                                   ("touchpoint", flt.touchpoints)) if values}})

if not summary["responses"]:
    st.info(tr("no_data"))
    if user.role in WRITERS:
        ui.import_panel("survey", user)
    st.stop()


def show_responses(narrowed: KpiFilter, caption: str, key: str) -> None:
    """The answers behind a clicked point or cell: no respondent key, vocabularies labelled."""
    rows = ui.cached(views.responses, narrowed)
    st.caption(tr("srv_responses_caption", what=caption, n=len(rows)))
    table = rows.assign(touchpoint=[label("touchpoint", v, lang) for v in rows["touchpoint"]],
                        method=[label("method", v, lang) for v in rows["method"]])
    headers = {"surveyed_on": tr("srv_col_surveyed_on"), "company": tr("company"), "project": tr("project"),
               "touchpoint": tr("touchpoint"), "method": tr("method"), "vendor": tr("srv_col_vendor"),
               "scale": tr("srv_col_scale"), "recommend": tr("srv_col_recommend"),
               **{d: label("dimension", d, lang) for d in ("overall", "housing_quality", "maintenance",
                                                           "property_service", "complaint_handling")}}
    table = table.rename(columns=headers)
    st.dataframe(table, hide_index=True, key=key, height=300)
    if user.role in WRITERS:
        st.download_button(tr("download_csv"), exports.to_bytes(table, "csv"), file_name="survey_answers.csv",
                           mime="text/csv", key=f"{key}_dl", on_click=ui.audit_export,
                           args=(user.username, "survey_answers", "csv", len(table)))


st.caption(tr("srv_method_note"))
table = pd.DataFrame([{
    tr("srv_dimension"): kpi_label(name, lang), "n": figures[name].estimate.n,
    tr("srv_score"): shown(name, figures[name].estimate.value),
    "95%": f"{shown(name, figures[name].estimate.low)}–{shown(name, figures[name].estimate.high)}",
    tr("srv_vs_previous"): f"{shown_diff(name, figures[name].vs_previous.diff)} {verdict(figures[name].vs_previous)}",
    tr("srv_vs_last_year"): f"{shown_diff(name, figures[name].vs_last_year.diff)} "
                            f"{verdict(figures[name].vs_last_year)}",
} for name in (*views.HEADLINE, *views.SCORES[1:])])
st.dataframe(table, hide_index=True, key="srv_kpi_table")

st.subheader(tr("srv_trend"))
kpi = st.segmented_control(tr("srv_trend_kpi"), list(views.HEADLINE), format_func=lambda k: kpi_label(k, lang),
                           default="satisfaction_score", key="srv_trend_kpi") or "satisfaction_score"
trend = ui.cached(views.trend, flt, kpi=kpi)
trend = trend.dropna(subset=["value"]).assign(series=lambda f: [label("touchpoint", t, lang) for t in f["touchpoint"]])
today = local_now().date()
trend = overview.with_partial(trend, start=flt.start, end=flt.end, today=today)  # #23: the unfinished month
event = ui.chart(charts.trend_with_bands, trend, x_title=tr("month"), y_title=kpi_label(kpi, lang),
                 fmt=".1%" if kpi == "satisfaction_rate" else ".1f", on_select="rerun", key="srv_trend_chart",
                 partial_label=tr("partial_period"))
st.caption(tr("srv_legend_hint"))
if trend["partial"].any():
    st.caption(tr("partial_note", day=min(flt.end, today).isoformat()))
month, touchpoint = ui.picked(event, "month"), ui.picked(event, "touchpoint")
if month and touchpoint:
    show_responses(replace(ui.month_filter(flt, month), touchpoints=(touchpoint,)),
                   f"{month} · {label('touchpoint', touchpoint, lang)}", "srv_drill_trend")
else:
    st.caption(tr("srv_trend_hint"))

bench = ui.cached(views.versus_benchmark, flt)
st.subheader(tr("srv_benchmark", year=flt.end.year))
bench = bench.assign(label=[label("dimension", d, lang) for d in bench["dimension"]])
if bench["benchmark"].isna().all():
    st.info(tr("srv_no_benchmark", year=flt.end.year))
left, right = st.columns([3, 2])
ui.chart(charts.versus_benchmark, bench.dropna(subset=["value"]), where=left, value_title=tr("srv_score"),
         bench_title=tr("srv_benchmark_value"))
right.dataframe(pd.DataFrame({
    tr("srv_dimension"): bench["label"], "n": bench["n"],
    tr("srv_score"): [shown("score", v) for v in bench["value"]],
    tr("srv_benchmark_value"): [shown("score", v) for v in bench["benchmark"]],
    kpi_label("vs_industry", lang): [shown_diff("score", v) for v in bench["vs_industry"]],
}), hide_index=True, key="srv_bench_table")

st.subheader(tr("srv_heatmap"))
heat = ui.cached(views.heatmap, flt)
heat = heat.assign(label=[label("dimension", d, lang) for d in heat["dimension"]])
cell = ui.chart(charts.heatmap, heat, row_title=tr("project"), value_title=tr("srv_score"), on_select="rerun",
                key="srv_heatmap_chart", few_label=tr("too_few"))
project = ui.picked(cell, "key")
if project:
    show_responses(replace(flt, projects=(project,)), project, "srv_drill_project")
else:
    st.caption(tr("srv_heatmap_hint"))

st.subheader(tr("srv_drivers"))
drivers = ui.cached(views.drivers, flt)
drivers = drivers.assign(label=[label("dimension", d, lang) for d in drivers["dimension"]])
ui.chart(charts.importance_performance, drivers, x_title=tr("srv_importance"), y_title=tr("srv_performance"))
st.caption(tr("srv_drivers_note"))

if user.role in WRITERS:
    ui.import_panel("survey", user)
