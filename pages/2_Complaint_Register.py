"""Complaint register (投诉台账): log a complaint, find one, see its history and move it along its lifecycle."""
from __future__ import annotations

import hashlib
from datetime import datetime

import streamlit as st

from lib import privacy, scope, ui
from lib.db import local_now
from lib.errors import DomainError
from lib.i18n import md_escape
from lib.pages import WRITERS
from lib.services import complaints as svc
from lib.services import signals
from lib.text import suggest
from lib.vocab import CHANNELS, COMPLAINT_STATUSES, COMPLAINT_TRANSITIONS, SEVERITIES, label

user = ui.page_setup("register")
tr, lang = ui.tr, ui.lang()
writer = user.role in WRITERS

st.title(tr("register_title"))
ui.show_flash()


def _at(prefix: str) -> datetime:
    return datetime.combine(st.session_state[f"{prefix}_date"], st.session_state[f"{prefix}_time"])


def _create() -> None:
    s = st.session_state
    try:
        data = svc.NewComplaint(
            received_at=_at("reg_new_received"), channel=s["reg_new_channel"], project_id=s["reg_new_project"],
            category=s["reg_new_category"], responsible=s["reg_new_responsible"],
            severity=s["reg_new_severity"] if s["reg_new_responsible"] else None,
            description=s["reg_new_description"], complainant_name=s["reg_new_name"],
            complainant_phone=s["reg_new_phone"], assignee=s["reg_new_assignee"] or user.username)
        complaint = ui.write(svc.create, data, actor=user.username, reach=ui.current_reach())
    except DomainError as exc:
        ui.flash("error", ui.error_text(exc))
        return
    ui.flash("success", tr("logged", ref=complaint.ref))
    st.session_state["reg_open_ref"] = complaint.ref


if writer:
    with st.expander(tr("log_complaint"), icon=":material/add:"):
        with st.form("reg_new_form", clear_on_submit=True):
            now = local_now()
            c1, c2, c3 = st.columns(3)
            c1.date_input(tr("col_received_at"), value=now.date(), max_value=now.date(), key="reg_new_received_date")
            c1.time_input(tr("time"), value=now.time().replace(second=0), key="reg_new_received_time", step=60)
            c2.selectbox(tr("channel"), list(CHANNELS), format_func=lambda c: label("channel", c, lang),
                         key="reg_new_channel")
            projects = ui.project_choices()
            c2.selectbox(tr("project"), list(projects), format_func=projects.get, key="reg_new_project")
            c3.selectbox(tr("category"), ui.complaint_categories(), format_func=lambda c: label("category", c, lang),
                         key="reg_new_category")
            c3.toggle(tr("responsible"), value=True, key="reg_new_responsible")
            c3.selectbox(tr("severity"), list(SEVERITIES), format_func=lambda c: label("severity", c, lang),
                         key="reg_new_severity", help=tr("severity_help"))
            st.text_area(tr("col_description"), key="reg_new_description", max_chars=4000)
            c1, c2, c3 = st.columns(3)
            c1.text_input(tr("col_complainant_name"), key="reg_new_name", max_chars=100)
            c2.text_input(tr("col_complainant_phone"), key="reg_new_phone", max_chars=40)
            c3.text_input(tr("col_assignee"), key="reg_new_assignee", max_chars=64, placeholder=user.username)
            st.form_submit_button(tr("save"), type="primary", on_click=_create)

flt = ui.complaint_filters("register")
# SPEC §11 hand-over: a queue per escalation level; a company keeps seeing what it handed over.
queue = st.segmented_control(tr("queue"), ["all", 0, 1, 2], key="register_queue",
                             format_func=lambda q: tr(f"queue_{q}"), default="all")
c1, c2, c3 = st.columns([3, 3, 1])
search = c1.text_input(tr("search"), key="register_search", max_chars=100,
                       placeholder=tr("search_hint" if user.role in privacy.SEES_PERSONAL_DATA else "search_hint_masked"))
statuses = tuple(c2.multiselect(tr("col_status"), list(COMPLAINT_STATUSES), placeholder=tr("all"),
                                format_func=lambda c: label("complaint_status", c, lang), key="register_statuses", select_all=False))
overdue = c3.checkbox(tr("overdue_only"), key="register_overdue")
page = int(st.number_input(tr("list_page"), min_value=1, step=1, key="register_page"))
signal_refs = signals.parse_refs(st.query_params.get("refs"))  # a risk signal's drill-down (issue #26)
if signal_refs:
    st.info(tr("sig_register_refs", n=len(signal_refs)))
    st.button(tr("sig_register_all"), key="register_refs_clear", on_click=lambda: st.query_params.pop("refs", None))
rows, more = ui.complaint_page(flt, search, statuses, overdue, "void" in statuses, role=user.role,
                               queue=None if queue in (None, "all") else int(queue), page=page, refs=signal_refs)
table = st.dataframe(ui.present_complaints(rows, user.role), hide_index=True, key="register_table",
                     on_select="rerun", selection_mode="single-row", height=360)
first = (page - 1) * ui.PAGE_ROWS
st.caption(tr("list_page_rows", page=page, first=first + 1 if len(rows) else 0, last=first + len(rows))
           + tr("list_page_more" if more else "list_page_end"))

if writer and len(rows):
    d1, d2, _ = st.columns([1, 1, 4])
    for col, fmt, mime in ((d1, "csv", "text/csv"),
                           (d2, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")):
        # made when clicked, not on every run (an Excel file of 500 rows took ~0.2 s)
        col.download_button(tr(f"export_{fmt}"), ui.row_export(rows, fmt=fmt, kind="complaint", user=user),
                            file_name=f"complaints.{fmt}", mime=mime, key=f"register_export_{fmt}", on_click="ignore")

picked_rows = table.selection.rows if table and table.selection else []
if picked_rows:
    st.session_state["reg_open_ref"] = rows.iloc[picked_rows[0]]["ref"]
ref = st.session_state.get("reg_open_ref") or st.query_params.get("ref")
if not ref:
    st.info(tr("pick_a_complaint"))
    st.stop()

try:
    record, events = ui.read(svc.detail, ref, reach=ui.current_reach())
except DomainError as exc:  # out of the user's scope: refused (SPEC §11), not merely not found
    (st.error if isinstance(exc, scope.OutOfScope) else st.warning)(ui.error_text(exc))
    st.stop()
revealed = st.session_state.get("reg_revealed") == ref and user.role in privacy.SEES_PERSONAL_DATA
record = privacy.record_for_role(record, user.role if revealed else None)

st.divider()
st.subheader(f"{md_escape(record['ref'])} · {label('complaint_status', record['status'], lang)}")
facts = {
    tr("col_received_at"): record["received_at"], tr("col_company"): record["company"],
    tr("col_project"): record["project"], tr("channel"): label("channel", record["channel"], lang),
    tr("category"): label("category", record["category"], lang),
    tr("severity"): label("severity", record["severity"], lang),
    tr("responsible"): tr("yes") if record["responsible"] else tr("no"),
    tr("col_escalation_level"): label("escalation_level", str(record["escalation_level"]), lang),
    tr("col_complainant_name"): record["complainant_name"], tr("col_complainant_phone"): record["complainant_phone"],
    tr("col_assignee"): record["assignee"], tr("col_first_response_due_at"): record["first_response_due_at"],
    tr("col_first_response_at"): record["first_response_at"], tr("col_resolution_due_at"): record["resolution_due_at"],
    tr("col_resolved_at"): record["resolved_at"], tr("col_followup_at"): record["followup_at"],
    tr("col_followup_score"): record["followup_score"], tr("col_closed_at"): record["closed_at"],
    tr("col_reopen_count"): record["reopen_count"], tr("col_void_reason"): record["void_reason"],
}
for due in ("first_response_due", "resolution_due"):  # SPEC §13: counted over an unconfirmed year
    if record.get(f"{due}_estimated"):
        facts[tr(f"col_{due}_at")] = f"{record[f'{due}_at']}{tr('estimated_suffix')}"
# Read-only facts are keyed by record, version and reveal state: a keyed widget keeps its first value,
# so a fixed key would show the previous record's facts after picking another one.
stamp = hashlib.sha1(f"{ref}|{record['version']}|{revealed}".encode()).hexdigest()[:10]
cols = st.columns(4)
for i, (name, value) in enumerate(facts.items()):
    cols[i % 4].text_input(name, value="—" if value is None else str(value), disabled=True, key=f"reg_fact_{i}_{stamp}")
if user.role in privacy.SEES_PERSONAL_DATA and not revealed and (record["complainant_name"]
                                                                 or record["complainant_phone"]):
    st.button(tr("reveal_contact"), key="reg_reveal", icon=":material/visibility:", help=tr("reveal_help"),
              on_click=ui.reveal, args=(user.username, user.role, "complaint", ref, "reg_revealed"))
st.text_area(tr("col_description"), value=record["description"] or "", disabled=True, key=f"reg_fact_description_{stamp}")
c1, c2 = st.columns(2)
c1.text_area(tr("col_root_cause"), value=record["root_cause"] or "", disabled=True, key=f"reg_fact_root_{stamp}")
c2.text_area(tr("col_corrective_action"), value=record["corrective_action"] or "", disabled=True, key=f"reg_fact_ca_{stamp}")

st.markdown(f"**{tr('history')}**")
st.dataframe(ui.present_events(events, revealed=revealed), hide_index=True, key="reg_events")

if not writer:
    st.stop()


def _take_suggestion(ref: str, version: int, category: str) -> None:
    """Issue #26: the user takes the category the text suggests (an edit like any other, in the history)."""
    try:
        ui.write(svc.update, ref, {"category": category}, actor=user.username, version=version,
                 reach=ui.current_reach())
    except DomainError as exc:
        ui.flash("error", ui.error_text(exc))
        return
    ui.flash("success", tr("txt_suggestion_applied", category=label("category", category, lang)))


hint = ui.cached(suggest.for_complaint, ref) if record["status"] not in ("closed", "void") else None
if hint is not None and hint.category != record["category"]:
    h1, h2 = st.columns([3, 1])
    h1.info(tr("txt_suggested", category=label("category", hint.category, lang), p=f"{hint.probability:.0%}"))
    h2.button(tr("txt_apply_suggestion"), key="reg_take_suggestion", on_click=_take_suggestion,
              args=(ref, record["version"], hint.category))


def _act(ref: str, version: int, action: str) -> None:
    """Form callback; `version` is the one shown when the form was drawn (optimistic lock)."""
    s = st.session_state
    note = (s.get("reg_act_note") or "").strip() or None
    reach = ui.current_reach()
    try:
        at = _at("reg_act") if "reg_act_date" in s else None
        if action == "first_response":
            ui.write(svc.record_first_response, ref, actor=user.username, version=version, at=at, note=note,
                     reach=reach)
        elif action == "followup":
            ui.write(svc.record_followup, ref, s["reg_act_score"], actor=user.username, version=version, at=at,
                     note=note, reach=reach)
        elif action == "escalate":
            ui.write(svc.escalate, ref, s["reg_act_level"], actor=user.username, version=version, note=note,
                     reach=reach)
        elif action == "edit":
            ui.write(svc.update, ref, {"root_cause": s["reg_act_root"], "corrective_action": s["reg_act_ca"],
                                       "assignee": s["reg_act_assignee"]}, actor=user.username, version=version,
                     reach=reach)
        else:
            ui.write(svc.transition, ref, action, actor=user.username, version=version, at=at, reason=note, note=note,
                     reach=reach)
    except DomainError as exc:
        ui.flash("error", ui.error_text(exc))
        return
    ui.flash("success", tr("saved"))




def available(record: dict) -> list[str]:
    """What may be done now: the SPEC §3 moves (verified comes from the follow-up call) and record actions."""
    status = record["status"]
    moves = [m for m in COMPLAINT_TRANSITIONS[status] if m != "verified"]
    first = ["first_response"] if status in ("received", "in_progress") and not record["first_response_at"] else []
    followup = ["followup"] if status == "resolved" else []
    work = ["escalate", "edit"] if status not in ("closed", "void") else []
    return first + followup + moves + work


status = record["status"]
actions = available(record)
if not actions:
    st.caption(tr("no_actions"))
    st.stop()
st.markdown(f"**{tr('actions')}**")
action = st.segmented_control(tr("action"), actions, default=actions[0], key="reg_action",
                              format_func=lambda a: tr("action_reopen") if a == "in_progress" and status in (
                                  "resolved", "verified") else tr(f"action_{a}")) or actions[0]
with st.form("reg_act_form", clear_on_submit=True):
    now = local_now()
    if action not in ("escalate", "edit"):
        c1, c2 = st.columns(2)
        c1.date_input(tr("date"), value=now.date(), max_value=now.date(), key="reg_act_date")
        c2.time_input(tr("time"), value=now.time().replace(second=0), key="reg_act_time", step=60)
    if action == "followup":
        st.radio(tr("col_followup_score"), [5, 4, 3, 2, 1], horizontal=True, key="reg_act_score")
    if action == "escalate":
        st.radio(tr("col_escalation_level"), [1, 2], horizontal=True, key="reg_act_level",
                 format_func=lambda v: label("escalation_level", str(v), lang))
    if action == "edit":
        st.text_area(tr("col_root_cause"), value=record["root_cause"] or "", key="reg_act_root", max_chars=4000)
        st.text_area(tr("col_corrective_action"), value=record["corrective_action"] or "", key="reg_act_ca",
                     max_chars=4000)
        st.text_input(tr("col_assignee"), value=record["assignee"] or "", key="reg_act_assignee", max_chars=64)
    else:
        st.text_area(tr("void_reason") if action == "void" else tr("note"), key="reg_act_note", max_chars=2000)
    st.form_submit_button(tr("save"), type="primary", on_click=_act, args=(ref, record["version"], action))
