"""Entry page: login gate, language switch and the executive overview (home): "where are we off target,
and where?" — headline cards against targets, the company league table, the biggest movers, the
monthly report."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib import charts, ui
from lib.db import local_now
from lib.i18n import format_number, format_rate, kpi_label
from lib.kpis.common import KpiFilter
from lib.services import overview, reports
from lib.services.targets import HEADLINES, KIND_OF

user = ui.page_setup("overview")
tr, lang = ui.tr, ui.lang()
COLOUR = {"green": ":green[●]", "amber": ":orange[●]", "red": ":red[●]", None: ":gray[○]"}  # Streamlit directives
CELL = {"green": "background-color: #d9f2d9", "amber": "background-color: #fff0c2",
        "red": "background-color: #f9d0d0"}
FEW_CELL = "color: #999999; background-color: #f2f2f2"  # too few cases to judge (issue #23)

st.title(tr("overview_title"))
start, end = ui.period_picker("overview")
if start > end:
    st.warning(tr("no_data"))
    st.stop()
flt = ui.scoped(KpiFilter(start=start, end=end))
reach = ui.current_reach()
st.caption(tr("overview_caption", start=start.isoformat(), end=end.isoformat()))
period_query = {"from": start.isoformat(), "to": end.isoformat()}


def dot(colour) -> str:
    return COLOUR[colour if isinstance(colour, str) else None]


def shown(kind: str, value: float | None) -> str:
    if kind == "rate":
        return format_rate(value)
    return "—" if value is None else f"{value:.1f}"


def change(kind: str, now: float | None, then: float | None) -> str | None:
    if now is None or then is None:
        return None
    return f"{(now - then) * 100:+.1f} pt" if kind == "rate" else f"{now - then:+.1f}"


board = ui.cached(overview.board, flt, reach=reach)
cards, volumes = board.cards, board.counts
for area in ("complaints", "surveys", "listening", "supervisors"):
    area_cards = [c for c in cards if c.area == area]
    st.markdown(f"**{tr('area_' + area)}**")
    cols = st.columns(4)
    for col, card in zip(cols, area_cards, strict=False):
        box = col.container(border=True)
        box.metric(f"{dot(card.colour)} {kpi_label(card.kpi, lang)}", shown(card.kind, card.value),
                   change(card.kind, card.value, card.previous), help=tr("vs_previous"))
        target = tr("target_none") if card.target is None else tr(
            "target_is", value=shown(card.kind, card.target.target))
        box.caption(f"{target} · {tr('srv_vs_last_year')} {change(card.kind, card.value, card.last_year) or '—'}")
        box.page_link(ui.page_path(overview.AREA_PAGE[area]), label=tr("open_area"), icon=":material/arrow_forward:",
                      query_params=period_query)
    extra = {"complaints": ("kpi_complaints", volumes["complaints"]), "surveys": ("kpi_responses", volumes["responses"]),
             "listening": ("kpi_headcount", volumes["headcount"]), "supervisors": ("issues_open", volumes["issues_open"])}
    name, value = extra[area]
    cols[3].metric(tr(name), format_number(value))

st.subheader(tr("league_title"))
st.caption(tr("league_note"))
st.caption(tr("too_few_note", rule=" · ".join(f"{kpi_label(h.kpi, lang)} n ≥ {board.minimum[h.kpi]}"
                                              for h in HEADLINES if h.kpi in board.minimum)))
league = board.league
if league.empty:
    st.info(tr("no_data"))
else:
    shown_league = pd.DataFrame({
        # the rank among every company ranked: a scoped user sees its own rows only (SPEC §11)
        # unranked (every KPI too few or missing): "—", after the ranked ones
        tr("rank"): [f"{r} / {n}" if r is not None and r == r else "—"
                     for r, n in zip(league["rank"], league["of"], strict=True)],
        tr("company"): league["company"],
        tr("composite"): [format_rate(None if v is None or v != v else v / 100) for v in league["composite"]],
        # a value on fewer cases than the admin's minimum: greyed "too few", not in the composite (#23)
        **{kpi_label(h.kpi, lang): [tr("too_few") if few is True else shown(h.kind, v if v == v else None)
                                    for v, few in zip(league[h.kpi], league[f"{h.kpi}__few"], strict=True)]
           for h in HEADLINES},
        # SPEC §14 call-back checks, beside the headlines (not in the composite)
        **{kpi_label(k, lang): [format_rate(v if v == v else None) for v in league[k]]
           for k in (*overview.CHECK_COLUMNS, *overview.FOLLOWUP_COLUMNS)}})
    colours = pd.DataFrame("", index=shown_league.index, columns=shown_league.columns)
    for h in HEADLINES:
        colours[kpi_label(h.kpi, lang)] = [FEW_CELL if few is True else CELL.get(c, "") if isinstance(c, str) else ""
                                           for c, few in zip(league[f"{h.kpi}__colour"], league[f"{h.kpi}__few"],
                                                             strict=True)]
    picked = st.dataframe(shown_league.style.apply(lambda _: colours, axis=None), hide_index=True,
                          key="overview_league", on_select="rerun", selection_mode="single-row")
    rows = picked.selection.rows if picked and picked.selection else []
    if rows:
        company = league.iloc[rows[0]]["company"]
        st.caption(tr("open_for_company"))
        links = st.columns(4)
        for col, area in zip(links, ("complaints", "surveys", "listening", "supervisors"), strict=True):
            col.page_link(ui.page_path(overview.AREA_PAGE[area]), label=tr("area_" + area),
                          icon=":material/arrow_forward:", query_params={**period_query, "company": company})
    else:
        st.caption(tr("league_hint"))

st.subheader(tr("movers_title"))
st.caption(tr("movers_note"))
moves = board.movers
if moves.empty:
    st.info(tr("movers_none"))
else:
    shown_moves = pd.DataFrame({
        tr("area"): [tr("area_" + a) for a in moves["area"]], tr("indicator"): [kpi_label(k, lang) for k in moves["kpi"]],
        tr("company"): moves["company"],
        tr("previous"): [shown(KIND_OF[k], v) for k, v in zip(moves["kpi"], moves["previous"],
                                                                               strict=True)],
        tr("current"): [shown(KIND_OF[k], v) for k, v in zip(moves["kpi"], moves["value"],
                                                                              strict=True)],
        tr("change"): [("▲ " if d > 0 else "▼ ") + f"{d:+.1f}" for d in moves["change_points"]],
        tr("p_value_col"): [f"{p:.3f}" for p in moves["p_value"]]})
    picked_move = st.dataframe(shown_moves, hide_index=True, key="overview_movers", on_select="rerun",
                               selection_mode="single-row")
    rows = picked_move.selection.rows if picked_move and picked_move.selection else []
    if rows:
        move = moves.iloc[rows[0]]
        st.page_link(ui.page_path(overview.AREA_PAGE[move["area"]]), label=tr("open_mover"),
                     icon=":material/arrow_forward:", query_params={**period_query, "company": move["company"]})

ui.signals_panel(flt, user, "overview")  # issue #26: group complaints, repeat households, exposure words

st.subheader(tr("chart_complaints_trend"))
trend = board.trend
if trend.empty:
    st.info(tr("no_data"))
else:
    today = local_now().date()
    trend = overview.with_partial(trend, start=start, end=end, today=today)  # #23: the unfinished month marked
    ui.chart(charts.volume_and_rate, trend, x_title=tr("month"), bar_title=tr("chart_volume"),
             line_title=tr("kpi_resolution_rate"), partial_label=tr("partial_period"))
    if trend["partial"].any():
        st.caption(tr("partial_note", day=min(end, today).isoformat()))

st.subheader(tr("report_title"))
months = reports.recent_months(local_now().date(), 24)
left, right = st.columns([1, 3])
month = left.selectbox(tr("report_month"), months, index=1, key="overview_report_month")
if right.button(tr("report_prepare"), key="overview_report_prepare"):
    with st.spinner(tr("report_preparing")):
        st.session_state["overview_report"] = (month, ui.read(reports.monthly_report, month, reach=reach))
prepared = st.session_state.get("overview_report")
if prepared and prepared[0] == month:
    right.download_button(tr("report_download", month=month), prepared[1], file_name=f"crhq_report_{month}.xlsx",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key="overview_report_dl", on_click=ui.audit_export,
                          args=(user.username, f"monthly_report_{month}", "xlsx", 0))

# Issue #25: who has submitted last month's unit report (a company-scoped user sees its own company only)
unit = ui.cached(overview.unit_report_status, reach=reach, today=local_now().date())
st.subheader(tr("urep_overview", month=unit.month))
st.caption(tr("urep_due", due=unit.due_on.isoformat()))
if unit.companies.empty:
    st.info(tr("urep_no_companies"))
else:
    st.markdown(" · ".join(f"{tr(f'urep_state_{state}')} **{n}**" for state, n in unit.counts.items()))
    st.dataframe(pd.DataFrame({tr("urep_col_company"): unit.companies["company"],
                               tr("urep_col_state"): [tr(f"urep_state_{s}") for s in unit.companies["state"]]}),
                 hide_index=True, key="overview_unit_reports")
st.page_link(ui.page_path("unit_reports"), label=tr("urep_open"), icon=":material/arrow_forward:")
