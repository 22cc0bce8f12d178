"""“Six Ones” listening (六个一倾听): participation by tier, league tables, type coverage, findings → action."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib import charts, ui
from lib.db import local_now
from lib.errors import DomainError
from lib.i18n import format_number, format_rate, kpi_label
from lib.kpis import listening as kpis
from lib.pages import WRITERS
from lib.services import few, issues, overview, settings
from lib.services import listening as svc
from lib.vocab import CATEGORIES, RESPONSIBLE_PARTIES, label

user = ui.page_setup("listening")
tr, lang = ui.tr, ui.lang()
writer = user.role in WRITERS
today = local_now().date()

st.title(tr("listening_title"))
ui.show_flash()
start, end = ui.period_picker("lis")
c1, c2 = st.columns(2)
companies = ui.multi(c1, "lis", "company", ui.org_options()["company"])
departments = ui.multi(c2, "lis", "department", ui.cached(svc.departments, reach=ui.current_reach()))
flt = ui.make_filter(start, end, companies=companies, departments=departments)
types = ui.cached(svc.activity_types)
labels = ui.cached(svc.type_labels)


def type_label(code: str) -> str:
    pair = labels.get(code)
    return code if pair is None else pair[0 if lang == "zh" else 1]


now = ui.cached(kpis.compute, flt, activity_types=types).kpis
before = ui.cached(kpis.compute, flt.previous_period(), activity_types=types).kpis
RATES = ["participation_rate", "participation_rate_management", "participation_rate_staff",
         "six_ones_completion_rate"]
cols = st.columns(len(RATES))
for col, name in zip(cols, RATES, strict=True):
    col.metric(kpi_label(name, lang), format_rate(now[name]), ui.delta_rate(now[name], before[name]),
               help=tr("vs_previous"))
COUNTS = ["participants", "participants_management", "participants_staff", "headcount", "findings"]
cols = st.columns(len(COUNTS))
for col, name in zip(cols, COUNTS, strict=True):
    col.metric(kpi_label(name, lang), format_number(now[name]), ui.delta(now[name], before[name]))

st.subheader(tr("lis_trend"))
monthly = ui.cached(kpis.compute, flt, activity_types=types, by="month").groups
trend = pd.DataFrame([{"month": g["key"], "series": tr(f"tier_{tier}"), "rate": g["kpis"][name],
                       "n": g["kpis"][count]}
                      for g in monthly for tier, name, count in (
                          ("all", "participation_rate", "headcount"),
                          ("management", "participation_rate_management", "headcount_management"),
                          ("staff", "participation_rate_staff", "headcount_staff"))])
if not trend.empty:
    today = local_now().date()
    trend = overview.with_partial(trend, start=flt.start, end=flt.end, today=today)  # #23: the unfinished month
    ui.chart(charts.rate_lines, trend, x_title=tr("month"), y_title=tr("rate"), partial_label=tr("partial_period"))
    if trend["partial"].any():
        st.caption(tr("partial_note", day=min(flt.end, today).isoformat()))

st.subheader(tr("lis_league"))
minimum = ui.cached(settings.min_sample)  # #23: too few people → greyed "too few", not ranked
st.caption(tr("ux_few_note", rule=" · ".join(f"{kpi_label(r, lang)} n ≥ {minimum[r]}" for r in
                                             ("participation_rate_staff", "participation_rate_management")
                                             if r in minimum)))
tabs = st.tabs([tr("by_company"), tr("by_department")])
for tab, by in zip(tabs, ("company", "department"), strict=True):
    rows = few.listening_rows(ui.cached(kpis.compute, flt, activity_types=types, by=by).groups, minimum)
    if rows.empty:
        tab.info(tr("no_data"))
        continue
    league = pd.DataFrame({tr(by): rows["key"], **{kpi_label(n, lang): rows[n] for n in ("headcount", "participants")}})
    for name in few.LISTENING:
        league[kpi_label(name, lang)] = [tr("too_few") if f else format_rate(v if v == v else None)
                                         for v, f in zip(rows[name], rows[f"{name}__few"], strict=True)]
    league[kpi_label("findings", lang)] = rows["findings"]
    grey = pd.DataFrame("", index=league.index, columns=league.columns)
    for name in few.LISTENING:
        grey[kpi_label(name, lang)] = ["color: #999999; background-color: #f2f2f2" if f else ""
                                       for f in rows[f"{name}__few"]]
    tab.dataframe(league.style.apply(lambda _, g=grey: g, axis=None), hide_index=True, key=f"lis_league_{by}",
                  height=320)

st.subheader(tr("lis_coverage"))
coverage = ui.cached(svc.type_coverage, flt)
coverage = pd.DataFrame({"activity_type": types}).merge(coverage, how="left").fillna(0)
coverage["label"] = [type_label(c) for c in coverage["activity_type"]]
coverage["share"] = coverage["employees"] / now["headcount"] if now["headcount"] else None
ui.chart(charts.count_rows, coverage[["label", "employees", "activities", "share"]], count="employees",
         sort="-x", color="#5AD8A6", count_title=tr("lis_employees_did"),
         extra=(("activities", tr("lis_activities"), ",d"), ("share", tr("lis_share_of_headcount"), ".1%")))

st.subheader(tr("lis_findings"))
findings = ui.cached(svc.findings_frame, flt)
shown = findings.drop(columns=["id"]).assign(
    activity_type=lambda f: [type_label(c) for c in f["activity_type"]],
    issue_status=lambda f: [label("issue_status", s, lang) if s else "" for s in f["issue_status"]])
table = st.dataframe(shown.rename(columns={c: tr(f"lis_col_{c}") for c in shown.columns}), hide_index=True,
                     key="lis_findings", on_select="rerun", selection_mode="single-row", height=300)
st.caption(tr("rows_shown", n=len(findings), limit=500))

if writer and table and table.selection and table.selection.rows:
    picked = findings.iloc[table.selection.rows[0]]
    if picked["issue_ref"]:
        st.info(tr("lis_already_item", ref=picked["issue_ref"]))
        st.page_link("pages/4_Issues.py", label=tr("open_tracker"), icon=":material/arrow_forward:",
                     query_params={"ref": picked["issue_ref"]})
    else:
        def _raise(activity_id: int) -> None:
            s = st.session_state
            try:
                item = ui.write(issues.raise_from_finding, activity_id, actor=user.username,
                                first_responder=s["lis_item_owner"].strip() or user.username,
                                category=s["lis_item_category"], responsible_party=s["lis_item_party"],
                                due_on=s["lis_item_due"], reach=ui.current_reach())
                ui.flash("success", tr("lis_item_created", ref=item.ref))
            except DomainError as exc:
                ui.flash("error", ui.error_text(exc))

        with st.form("lis_item_form", clear_on_submit=True):
            st.markdown(f"**{tr('lis_make_item')}**")
            st.text(picked["finding"])  # plain text, never markdown
            c1, c2, c3, c4 = st.columns(4)
            c1.text_input(tr("iss_col_first_responder"), placeholder=user.username, key="lis_item_owner",
                          max_chars=64)
            c2.date_input(tr("iss_col_due_on"), value=None, min_value=today, key="lis_item_due",
                          help=tr("iss_due_help"))
            c3.selectbox(tr("category"), list(CATEGORIES), format_func=lambda c: label("category", c, lang),
                         key="lis_item_category")
            c4.selectbox(tr("iss_col_responsible_party"), list(RESPONSIBLE_PARTIES), key="lis_item_party",
                         format_func=lambda c: label("responsible_party", c, lang))
            st.form_submit_button(tr("save"), type="primary", on_click=_raise, args=(int(picked["id"]),))

if writer:
    def _record() -> None:
        s = st.session_state
        try:
            ui.write(svc.add_activity, actor=user.username, employee_id=s["lis_new_employee"],
                     activity_date=s["lis_new_date"], activity_type=s["lis_new_type"], finding=s["lis_new_finding"],
                     reach=ui.current_reach())
            ui.flash("success", tr("saved"))
        except DomainError as exc:
            ui.flash("error", ui.error_text(exc))

    with st.expander(tr("lis_record"), icon=":material/add:"):
        query = st.text_input(tr("lis_find_employee"), key="lis_new_query", max_chars=50,
                              placeholder=tr("lis_find_hint"))
        matches = ui.read(svc.find_employees, query, reach=ui.current_reach()) if query.strip() else {}
        if query.strip() and not matches:
            st.warning(tr("lis_no_employee"))
        if matches:
            with st.form("lis_new_form", clear_on_submit=True):
                st.selectbox(tr("lis_employee"), list(matches), format_func=matches.get, key="lis_new_employee")
                c1, c2 = st.columns(2)
                c1.date_input(tr("lis_col_activity_date"), value=today, max_value=today, key="lis_new_date")
                c2.selectbox(tr("lis_col_activity_type"), types, format_func=type_label, key="lis_new_type")
                st.text_area(tr("lis_col_finding"), key="lis_new_finding", max_chars=2000)
                st.form_submit_button(tr("save"), type="primary", on_click=_record)
    ui.import_panel("employees", user, "import_employees")
    ui.import_panel("listening", user, "import_listening")
