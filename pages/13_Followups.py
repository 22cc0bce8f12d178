"""Dissatisfied-respondent follow-up (不满意样本回访): KPIs, the task queue and the record form."""
from __future__ import annotations

from datetime import datetime, time

import pandas as pd
import streamlit as st

from lib import privacy, scope, ui
from lib.db import local_now
from lib.errors import DomainError
from lib.i18n import format_number, format_rate
from lib.kpis import areas
from lib.pages import WRITERS
from lib.services import followups
from lib.vocab import SURVEY_METHODS, TOUCHPOINTS, label

user = ui.page_setup("followups")
tr, lang = ui.tr, ui.lang()
writer = user.role in WRITERS
now = local_now()

st.title(tr("fu_title"))
ui.show_flash()
st.caption(tr("fu_intro", days=ui.cached(followups.rules).due_days))
flt = ui.org_filters("fu", touchpoints=("touchpoint", list(TOUCHPOINTS), "touchpoint"),
                     methods=("method", list(SURVEY_METHODS), "method"))

result = ui.cached(areas.compute, "followups", flt, by="company")
k = result.kpis
cards = st.columns(4)
cards[0].metric(tr("fu_kpi_followups_due"), format_number(k["followups_due"]))
cards[1].metric(tr("fu_kpi_followup_on_time_rate"), format_rate(k["followup_on_time_rate"]), help=tr("fu_on_time_help"))
cards[2].metric(tr("fu_kpi_recovery_rate"), format_rate(k["recovery_rate"]), help=tr("fu_recovery_help"))
cards[3].metric(tr("fu_kpi_followups_overdue"), format_number(k["followups_overdue"]))

if result.groups:
    st.subheader(tr("fu_by_company"))
    st.dataframe(pd.DataFrame([{
        tr("company"): g["key"], tr("fu_kpi_followups_due"): g["kpis"]["followups_due"],
        tr("fu_kpi_followups_closed"): g["kpis"]["followups_closed"],
        tr("fu_kpi_followups_overdue"): g["kpis"]["followups_overdue"],
        tr("fu_kpi_followup_on_time_rate"): format_rate(g["kpis"]["followup_on_time_rate"]),
        tr("fu_kpi_recovery_rate"): format_rate(g["kpis"]["recovery_rate"])} for g in result.groups]),
        hide_index=True, key="fu_companies")

st.subheader(tr("fu_queue"))
linked_view = st.query_params.get("view")
view = st.segmented_control(tr("view"), list(followups.VIEWS), key="fu_view",
                            default=linked_view if linked_view in followups.VIEWS else "open",
                            format_func=lambda v: tr(f"fu_view_{v}")) or "open"
rows = ui.cached(followups.queue, flt, view=view)


def present(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows as every role sees a list: the phone masked (a staff member reveals one task, audited)."""
    shown = privacy.masked(frame).copy()
    shown["status"] = [tr(f"fu_status_{v}") for v in shown["status"]]
    shown["trigger"] = [tr(f"fu_trigger_{v}") for v in shown["trigger"]]
    shown["touchpoint"] = [label("touchpoint", v, lang) for v in shown["touchpoint"]]
    shown["contacted"] = [tr("yes") if v else tr("no") for v in shown["contacted"]]
    shown["outcome"] = ["" if v is None or v != v else tr(f"fu_outcome_{v}") for v in shown["outcome"]]
    return shown.rename(columns={c: tr(f"fu_col_{c}") for c in shown.columns})


table = st.dataframe(present(rows), hide_index=True, key="fu_table", on_select="rerun",
                     selection_mode="single-row", height=320)
st.caption(tr("rows_shown", n=len(rows), limit=followups.LIST_LIMIT))

if table and table.selection and table.selection.rows:
    st.session_state["fu_open_task"] = int(rows.iloc[table.selection.rows[0]]["id"])
task_id = st.session_state.get("fu_open_task")
if task_id is None and st.query_params.get("task"):
    try:
        task_id = int(st.query_params["task"])
    except ValueError:
        st.warning(tr("fu_err_task_link"))
if task_id is None:
    st.info(tr("fu_pick"))
    st.stop()

try:
    record = ui.read(followups.detail, task_id, reach=ui.current_reach())
except DomainError as exc:  # out of the user's scope: refused (SPEC §11), not merely not found
    (st.error if isinstance(exc, scope.OutOfScope) else st.warning)(ui.error_text(exc))
    st.stop()

st.divider()
st.subheader(f"#{record['id']} · {tr('fu_status_' + record['status'])}")
revealed = st.session_state.get("fu_revealed") == str(record["id"]) and user.role in privacy.SEES_PERSONAL_DATA
shown = record if revealed else privacy.record_for_role(record, None)
facts = {
    "company": shown["company"], "project": shown["project"], "surveyed_on": shown["surveyed_on"],
    "touchpoint": label("touchpoint", shown["touchpoint"], lang), "scale": shown["scale"],
    "overall": shown["overall"], "recommend": shown["recommend"], "trigger": tr(f"fu_trigger_{shown['trigger']}"),
    "vendor": shown["vendor"], "vendor_case_id": shown["vendor_case_id"], "contact_phone": shown["contact_phone"],
    "opened_at": shown["opened_at"], "due_on": shown["due_on"], "contacted_at": shown["contacted_at"],
    "outcome": tr(f"fu_outcome_{shown['outcome']}") if shown["outcome"] else None,
    "closed_at": shown["closed_at"], "closed_by": shown["closed_by"], "updated_by": shown["updated_by"],
}
stamp = f"{record['id']}_{record['version']}_{int(revealed)}"  # a keyed widget keeps its first value otherwise
cols = st.columns(4)
for i, (name, value) in enumerate(facts.items()):
    cols[i % 4].text_input(tr(f"fu_col_{name}"), value="—" if value is None else str(value), disabled=True,
                           key=f"fu_fact_{name}_{stamp}")
if user.role in privacy.SEES_PERSONAL_DATA and record["contact_phone"] and not revealed:
    st.button(tr("fu_reveal"), key="fu_reveal", icon=":material/visibility:", help=tr("reveal_help"),
              on_click=ui.reveal, args=(user.username, user.role, "followup_task", str(record["id"]), "fu_revealed"))

if not writer:
    st.stop()
if record["closed_at"] is not None:
    for name in ("cause", "action"):
        st.text_area(tr(f"fu_{name}"), value=record[name] or "", disabled=True, key=f"fu_fact_{name}_{stamp}")
    st.info(tr("fu_closed_note", at=record["closed_at"]))
    st.stop()


def _message(exc: DomainError) -> str:
    if exc.key == "err_fields":
        return tr("fu_err_fields", fields="、".join(tr(f) for f in str(exc.params["fields"]).split(", ")))
    return ui.error_text(exc)


def _save(task: int, version: int) -> None:
    """Form callback; `version` is the one shown when the form was drawn (optimistic lock)."""
    s = st.session_state
    day, moment = s.get("fu_act_day"), s.get("fu_act_time")
    outcome = s.get("fu_act_outcome")
    try:
        changes = ui.write(followups.record, task, actor=user.username, version=version,
                           contacted=bool(s.get("fu_act_contacted")),
                           contacted_at=datetime.combine(day, moment or time(0)) if day else None,
                           cause=s.get("fu_act_cause"), action=s.get("fu_act_action"),
                           outcome=None if outcome == "open" else outcome, reach=ui.current_reach())
    except DomainError as exc:
        ui.flash("error", _message(exc))
        return
    if not changes:
        ui.flash("success", tr("fu_nothing_changed"))
    else:
        ui.flash("success", tr("fu_closed_saved" if "outcome" in changes else "fu_saved", task=task))


drawn_for = f"{record['id']}_{record['version']}"
if st.session_state.get("fu_form_for") != drawn_for:  # another task (or its new version): the form starts from it
    for key in [k for k in st.session_state if str(k).startswith("fu_act_")]:
        del st.session_state[key]
    st.session_state["fu_form_for"] = drawn_for
st.markdown(f"**{tr('fu_record')}**")
with st.form("fu_act_form"):
    st.checkbox(tr("fu_contacted"), value=bool(record["contacted"]), key="fu_act_contacted")
    c1, c2 = st.columns(2)
    at = record["contacted_at"]
    c1.date_input(tr("fu_contacted_on"), value=at.date() if at else now.date(), max_value=now.date(),
                  min_value=record["surveyed_on"], key="fu_act_day")
    c2.time_input(tr("fu_contacted_time"), value=at.time() if at else time(now.hour, now.minute), key="fu_act_time")
    st.text_area(tr("fu_cause"), value=record["cause"] or "", max_chars=followups.TEXT_LIMIT, key="fu_act_cause")
    st.text_area(tr("fu_action"), value=record["action"] or "", max_chars=followups.TEXT_LIMIT, key="fu_act_action")
    st.radio(tr("fu_outcome"), ["open", *followups.OUTCOMES], horizontal=True, key="fu_act_outcome",
             format_func=lambda v: tr(f"fu_outcome_{v}"))
    st.form_submit_button(tr("save"), type="primary", on_click=_save, args=(record["id"], record["version"]))
