"""Owner supervisor group (客户质量监督小组): KPIs, issues by category/party/company, ageing, registry, imports."""
from __future__ import annotations

import streamlit as st

from lib import charts, privacy, ui
from lib.db import local_now
from lib.errors import DomainError
from lib.i18n import format_number, format_rate, kpi_label
from lib.kpis import supervisors as kpis
from lib.pages import WRITERS
from lib.services import issues, supervision
from lib.vocab import CATEGORIES, SUPERVISION_ACTIVITY_TYPES, label

user = ui.page_setup("supervisors")
tr, lang = ui.tr, ui.lang()
writer = user.role in WRITERS

st.title(tr("supervisors_title"))
ui.show_flash()
flt = ui.org_filters("sup", categories=("category", list(CATEGORIES), "category"))

now = ui.cached(kpis.compute, flt).kpis
before = ui.cached(kpis.compute, flt.previous_period()).kpis
COUNTS = ["active_supervisors", "projects_covered", "activities", "issues_raised", "open_overdue"]
RATES = ["issue_closure_rate", "on_time_closure_rate", "feedback_satisfaction"]
cols = st.columns(len(COUNTS))
for col, name in zip(cols, COUNTS, strict=True):
    col.metric(kpi_label(name, lang), format_number(now[name]), ui.delta(now[name], before[name]),
               delta_color="inverse" if name == "open_overdue" else "normal", help=tr("vs_previous"))
cols = st.columns(len(RATES) + 1)
for col, name in zip(cols[:-1], RATES, strict=True):
    col.metric(kpi_label(name, lang), format_rate(now[name]), ui.delta_rate(now[name], before[name]))
cols[-1].metric(kpi_label("median_days_to_resolve", lang), format_number(now["median_days_to_resolve"]),
                ui.delta(now["median_days_to_resolve"], before["median_days_to_resolve"], 1), delta_color="inverse")

tab_dash, tab_registry, tab_activities = st.tabs([tr("sup_tab_issues"), tr("sup_tab_registry"),
                                                  tr("sup_tab_activities")])

with tab_dash:
    left, right = st.columns(2)
    for col, by, vocab in ((left, "category", "category"), (right, "responsible_party", "responsible_party")):
        frame = ui.cached(issues.breakdown, flt, by)
        frame = frame.assign(label=[label(vocab, k, lang) for k in frame["key"]])
        col.caption(tr(f"issues_by_{by}"))
        ui.chart(charts.raised_and_open, frame[["label", "raised", "open"]], where=col, count_title=tr("count"),
                 raised_title=tr("raised"), open_title=tr("still_open"))
    left, right = st.columns(2)
    left.caption(tr("issue_ageing"))
    ageing = ui.cached(issues.ageing, flt).assign(bucket=lambda f: [tr(f"iage_{b}") for b in f["bucket"]])
    ui.chart(charts.count_bars, ageing, where=left, x="bucket", count_title=tr("count"), color="#F6BD16")
    right.caption(tr("by_company"))
    by_company = ui.cached(kpis.compute, flt, by="company").groups
    right.dataframe([{tr("company"): g["key"], kpi_label("issues_raised", lang): g["kpis"]["issues_raised"],
                      kpi_label("issue_closure_rate", lang): format_rate(g["kpis"]["issue_closure_rate"]),
                      kpi_label("on_time_closure_rate", lang): format_rate(g["kpis"]["on_time_closure_rate"]),
                      kpi_label("open_overdue", lang): g["kpis"]["open_overdue"],
                      kpi_label("active_supervisors", lang): g["kpis"]["active_supervisors"]}
                     for g in by_company], hide_index=True, key="sup_by_company", height=300)
    st.caption(tr("by_project"))
    projects = ui.cached(issues.breakdown, flt, "project").head(30)
    st.dataframe(projects.rename(columns={"key": tr("project"), "raised": tr("raised"), "open": tr("still_open")}),
                 hide_index=True, key="sup_by_project", height=260)
    st.page_link("pages/4_Issues.py", label=tr("open_tracker"), icon=":material/arrow_forward:")

with tab_registry:
    serving_only = st.toggle(tr("serving_only"), value=True, key="sup_serving_only")
    registry = ui.cached(supervision.supervisors_frame, flt, serving_only=serving_only)
    if writer:  # phones are masked for everyone until staff ask to see them (audited)
        st.toggle(tr("reveal_phones"), key="sup_reveal_phones", help=tr("reveal_help"), on_change=ui.reveal_toggled,
                  args=(user.username, user.role, "supervisor", "registry", "sup_reveal_phones"))
    revealed = writer and bool(st.session_state.get("sup_reveal_phones"))
    shown = registry if revealed else privacy.masked(registry)
    st.dataframe(shown.rename(columns={c: tr(f"sup_col_{c}") for c in shown.columns}), hide_index=True,
                 key="sup_registry", height=320)
    st.caption(tr("rows_count", n=len(registry)))
    if writer:
        def _save_supervisor() -> None:
            s = st.session_state
            try:
                ui.write(supervision.save_supervisor, actor=user.username, supervisor_no=s["sup_new_no"],
                         name=s["sup_new_name"], project_id=s["sup_new_project"], term=int(s["sup_new_term"]),
                         joined_on=s["sup_new_joined"], left_on=s["sup_new_left"], phone=s["sup_new_phone"],
                         reach=ui.current_reach())
                ui.flash("success", tr("saved"))
            except DomainError as exc:
                ui.flash("error", ui.error_text(exc))

        with st.expander(tr("sup_add"), icon=":material/person_add:"):
            with st.form("sup_new_form", clear_on_submit=True):
                c1, c2, c3 = st.columns(3)
                c1.text_input(tr("sup_col_supervisor_no"), key="sup_new_no", max_chars=32)
                c1.text_input(tr("sup_col_name"), key="sup_new_name", max_chars=100)
                projects_map = ui.project_choices()
                c2.selectbox(tr("project"), list(projects_map), format_func=projects_map.get, key="sup_new_project")
                c2.number_input(tr("sup_col_term"), min_value=1, max_value=99, value=1, key="sup_new_term")
                c3.date_input(tr("sup_col_joined_on"), value=local_now().date(), key="sup_new_joined")
                c3.date_input(tr("sup_col_left_on"), value=None, key="sup_new_left")
                c1.text_input(tr("sup_col_phone"), key="sup_new_phone", max_chars=40)
                st.form_submit_button(tr("save"), type="primary", on_click=_save_supervisor)
        ui.import_panel("supervisors", user, "import_supervisors")

with tab_activities:
    activities = ui.cached(supervision.activities_frame, flt)
    shown = activities.drop(columns=["id"]).assign(
        activity_type=lambda f: [label("supervision_activity_type", v, lang) for v in f["activity_type"]])
    st.dataframe(shown.rename(columns={c: tr(f"act_col_{c}") for c in shown.columns}), hide_index=True,
                 key="sup_activities", height=320)
    if writer:
        def _add_activity() -> None:
            s = st.session_state
            try:
                ui.write(supervision.add_activity, actor=user.username, activity_date=s["act_new_date"],
                         project_id=s["act_new_project"], activity_type=s["act_new_type"],
                         participants=int(s["act_new_participants"]), note=s["act_new_note"],
                         reach=ui.current_reach())
                ui.flash("success", tr("saved"))
            except DomainError as exc:
                ui.flash("error", ui.error_text(exc))

        with st.expander(tr("act_add"), icon=":material/event:"):
            with st.form("act_new_form", clear_on_submit=True):
                c1, c2, c3 = st.columns(3)
                c1.date_input(tr("act_col_activity_date"), value=local_now().date(), max_value=local_now().date(),
                              key="act_new_date")
                projects_map = ui.project_choices()
                c2.selectbox(tr("project"), list(projects_map), format_func=projects_map.get, key="act_new_project")
                c3.selectbox(tr("act_col_activity_type"), list(SUPERVISION_ACTIVITY_TYPES),
                             format_func=lambda v: label("supervision_activity_type", v, lang), key="act_new_type")
                c1.number_input(tr("act_col_participants"), min_value=0, max_value=10_000, value=10,
                                key="act_new_participants")
                st.text_input(tr("act_col_note"), key="act_new_note", max_chars=500)
                st.form_submit_button(tr("save"), type="primary", on_click=_add_activity)
        ui.import_panel("supervision_activities", user, "import_activities")
