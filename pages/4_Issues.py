"""Issue tracker (问题跟踪): supervisor feedback and listening improvement items, carried to closure."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import streamlit as st

from lib import privacy, scope, ui
from lib.db import local_now
from lib.errors import DomainError
from lib.i18n import md_escape
from lib.kpis.common import KpiFilter
from lib.pages import WRITERS
from lib.services import cases, issues, supervision
from lib.vocab import CATEGORIES, ISSUE_STATUSES, ISSUE_TRANSITIONS, RESPONSIBLE_PARTIES, label

user = ui.page_setup("issues")
tr, lang = ui.tr, ui.lang()
writer = user.role in WRITERS
today = local_now().date()

st.title(tr("issues_title"))
ui.show_flash()


def _log_issue() -> None:
    s = st.session_state
    try:
        data = issues.NewIssue(
            raised_on=s["iss_new_raised"], supervisor_ids=list(s["iss_new_supervisors"]),
            category=s["iss_new_category"], description=s["iss_new_description"],
            responsible_party=s["iss_new_party"], first_responder=s["iss_new_owner"].strip() or user.username,
            due_on=s["iss_new_due"], activity_id=s["iss_new_activity"])
        issue = ui.write(issues.create, data, actor=user.username, reach=ui.current_reach())
    except DomainError as exc:
        ui.flash("error", ui.error_text(exc))
        return
    ui.flash("success", tr("issue_logged", ref=issue.ref))
    st.session_state["iss_open_ref"] = issue.ref


if writer:
    with st.expander(tr("log_issue"), icon=":material/add:"):
        with st.form("iss_new_form", clear_on_submit=True):
            c1, c2, c3 = st.columns(3)
            c1.date_input(tr("iss_col_raised_on"), value=today, max_value=today, key="iss_new_raised")
            choices = ui.cached(issues.supervisor_choices, reach=ui.current_reach())
            # No "Select all" (one click attached 232 supervisors to one issue): each raiser is picked by hand.
            c1.multiselect(tr("iss_supervisors"), list(choices), format_func=choices.get, key="iss_new_supervisors",
                           help=tr("iss_supervisors_help"), placeholder=tr("choose"), select_all=False)
            recent = ui.cached(supervision.activities_frame, ui.scoped(KpiFilter(today - timedelta(days=180), today)))
            activity_labels = {int(r.id): f"{r.activity_date} · {r.project} · "
                               f"{label('supervision_activity_type', r.activity_type, lang)}"
                               for r in recent.itertuples()}
            c2.selectbox(tr("iss_activity"), [None, *activity_labels], key="iss_new_activity",
                         format_func=lambda v: tr("none") if v is None else activity_labels[v])
            c2.selectbox(tr("category"), list(CATEGORIES), format_func=lambda c: label("category", c, lang),
                         key="iss_new_category")
            c3.selectbox(tr("iss_col_responsible_party"), list(RESPONSIBLE_PARTIES), key="iss_new_party",
                         format_func=lambda c: label("responsible_party", c, lang))
            c3.text_input(tr("iss_col_first_responder"), key="iss_new_owner", placeholder=user.username,
                          max_chars=64)
            c3.date_input(tr("iss_col_due_on"), value=None, min_value=today - timedelta(days=365),
                          key="iss_new_due", help=tr("iss_due_help"))
            st.text_area(tr("iss_col_description"), key="iss_new_description", max_chars=4000)
            st.form_submit_button(tr("save"), type="primary", on_click=_log_issue)

VIEWS = ["mine", "board", "overdue", "recent_closed", "all"]
view = st.segmented_control(tr("view"), VIEWS, default="mine" if writer else "board", key="iss_view",
                            format_func=lambda v: tr(f"iss_view_{v}")) or "board"
flt = ui.org_filters("iss", categories=("category", list(CATEGORIES), "category"))
c1, c2, c3 = st.columns([2, 2, 3])
statuses = ui.multi(c1, "iss", "col_status", list(ISSUE_STATUSES), "issue_status")
parties = ui.multi(c2, "iss", "iss_col_responsible_party", list(RESPONSIBLE_PARTIES), "responsible_party")
search = c3.text_input(tr("search"), key="iss_search", placeholder=tr("iss_search_hint"), max_chars=100)
criteria = {"statuses": statuses, "responsible_parties": parties, "search": search}

if view == "board":
    counts = ui.cached(issues.board, flt, **criteria)
    columns = st.columns(5)
    for col, status in zip(columns, ["open", "acknowledged", "in_progress", "resolved", "feedback_given"],
                           strict=True):
        col.metric(label("issue_status", status, lang), counts.get(status, 0))
        cards = ui.cached(issues.list_frame, flt, order="due", limit=30,
                          **{**criteria, "statuses": (status,)})
        col.dataframe(cards[["ref", "due_on", "description"]].rename(columns={
            "ref": tr("col_ref"), "due_on": tr("iss_col_due_on"), "description": tr("iss_col_description")}),
            hide_index=True, key=f"iss_board_{status}", height=300)
    rows = ui.cached(issues.list_frame, flt, order="due", **{**criteria, "statuses": statuses or tuple(
        s for s in ISSUE_STATUSES if s != "closed")})
else:
    extra = {"mine": {"owner": user.username, "statuses": statuses or tuple(s for s in ISSUE_STATUSES
                                                                              if s != "closed")},
             "overdue": {"overdue_only": True}, "recent_closed": {"statuses": ("closed",)}, "all": {}}[view]
    rows = ui.cached(issues.list_frame, flt, order={"recent_closed": "closed", "overdue": "due"}.get(view, "raised"),
                     **{**criteria, **extra})


def present(frame):
    shown = frame.drop(columns=["version"]).copy()
    shown["status"] = [label("issue_status", v, lang) for v in shown["status"]]
    shown["source"] = [tr(f"source_{v}") for v in shown["source"]]
    shown["category"] = [label("category", v, lang) for v in shown["category"]]
    shown["responsible_party"] = [label("responsible_party", v, lang) for v in shown["responsible_party"]]
    shown.insert(3, "overdue", [tr("yes") if s not in ("resolved", "feedback_given", "closed") and d < today else ""
                                for s, d in zip(frame["status"], frame["due_on"], strict=True)])
    return shown.rename(columns={c: tr(f"iss_col_{c}") for c in shown.columns})


table = st.dataframe(present(rows), hide_index=True, key="iss_table", on_select="rerun",
                     selection_mode="single-row", height=340)
st.caption(tr("rows_shown", n=len(rows), limit=issues.LIST_LIMIT))
if writer and len(rows):
    d1, d2, _ = st.columns([1, 1, 4])
    for col, fmt, mime in ((d1, "csv", "text/csv"),
                           (d2, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")):
        col.download_button(tr(f"export_{fmt}"),  # made when clicked, not on every run
                            ui.row_export(rows.drop(columns=["version"]), fmt=fmt, kind="supervisor_issue", user=user),
                            file_name=f"issues.{fmt}", mime=mime, key=f"iss_export_{fmt}", on_click="ignore")

if table and table.selection and table.selection.rows:
    st.session_state["iss_open_ref"] = rows.iloc[table.selection.rows[0]]["ref"]
ref = st.session_state.get("iss_open_ref") or st.query_params.get("ref")
if not ref:
    st.info(tr("pick_an_issue"))
    if writer:
        ui.import_panel("supervisor_issues", user, "import_issues")
    st.stop()

try:
    record, raisers, updates = ui.read(issues.detail, ref, reach=ui.current_reach())
except DomainError as exc:  # out of the user's scope: refused (SPEC §11), not merely not found
    (st.error if isinstance(exc, scope.OutOfScope) else st.warning)(ui.error_text(exc))
    st.stop()

st.divider()
st.subheader(f"{md_escape(record['ref'])} · {label('issue_status', record['status'], lang)}")
facts = {
    tr("iss_col_source"): tr(f"source_{record['source']}"), tr("iss_col_raised_on"): record["raised_on"],
    tr("col_company"): record["company"], tr("col_project"): record["project"],
    tr("category"): label("category", record["category"], lang),
    tr("iss_col_responsible_party"): label("responsible_party", record["responsible_party"], lang),
    tr("iss_col_first_responder"): record["first_responder"], tr("iss_col_due_on"): record["due_on"],
    tr("iss_col_resolved_on"): record["resolved_on"], tr("iss_col_closed_on"): record["closed_on"],
    tr("iss_col_feedback_score"): record["feedback_score"],
}
# Keyed by record and version: a keyed widget keeps its first value across records otherwise.
stamp = hashlib.sha1(f"{record['ref']}|{record['version']}".encode()).hexdigest()[:10]
cols = st.columns(4)
for i, (name, value) in enumerate(facts.items()):
    cols[i % 4].text_input(name, value="—" if value is None else str(value), disabled=True, key=f"iss_fact_{i}_{stamp}")
st.text_area(tr("iss_col_description"), value=record["description"], disabled=True, key=f"iss_fact_description_{stamp}")
if record["source"] == "typical_case":  # a preventive action of a typical case (issue #25): back to its review
    case_ref = ui.read(cases.case_of_issue, record["ref"])
    if case_ref:
        st.page_link(ui.page_path("cases"), label=tr("case_of_issue", ref=case_ref), icon=":material/menu_book:",
                     query_params={"case": case_ref})
if len(raisers):
    st.markdown(f"**{tr('iss_supervisors')}**")
    revealed = st.session_state.get("iss_revealed") == record["ref"] and user.role in privacy.SEES_PERSONAL_DATA
    shown = raisers if revealed else privacy.masked(raisers)
    st.dataframe(shown.rename(columns={c: tr(f"sup_col_{c}") for c in shown.columns}), hide_index=True,
                 key="iss_raisers")
    if user.role in privacy.SEES_PERSONAL_DATA and not revealed:
        st.button(tr("reveal_contact_supervisor"), key="iss_reveal", icon=":material/visibility:",
                  help=tr("reveal_help"), on_click=ui.reveal,
                  args=(user.username, user.role, "supervisor_issue", record["ref"], "iss_revealed"))
st.markdown(f"**{tr('iss_updates')}**")
st.dataframe(ui.present_events(updates.rename(columns={"told_supervisor": "told"}), vocabulary="issue"),
             hide_index=True, key="iss_updates")

if not writer:
    st.stop()


def _act(ref: str, version: int, action: str) -> None:
    """Form callback; `version` is the one shown when the form was drawn (optimistic lock)."""
    s = st.session_state
    common = {"actor": user.username, "version": version, "reach": ui.current_reach()}
    try:
        if action == "note":
            ui.write(issues.add_update, ref, note=s["iss_act_note"], told=s["iss_act_told"], **common)
        elif action == "reassign":
            ui.write(issues.reassign, ref, s["iss_act_owner"], role=user.role, **common)
        else:
            ui.write(issues.transition, ref, action, role=user.role, on=s.get("iss_act_on"), note=s["iss_act_note"],
                     told=s.get("iss_act_told"), feedback_score=s.get("iss_act_score"), **common)
    except DomainError as exc:
        ui.flash("error", ui.error_text(exc))
        return
    ui.flash("success", tr("saved"))


status = record["status"]
actions = [*ISSUE_TRANSITIONS[status], "note"] + (["reassign"] if status != "closed" else [])
st.markdown(f"**{tr('actions')}**")
reopen = status in ("resolved", "feedback_given")
action = st.segmented_control(tr("action"), actions, default=actions[0], key="iss_action",
                              format_func=lambda a: tr("action_reopen") if a == "in_progress" and reopen
                              else tr(f"iss_action_{a}")) or actions[0]
with st.form("iss_act_form", clear_on_submit=True):
    if action == "reassign":
        st.text_input(tr("iss_col_first_responder"), value=record["first_responder"] or "", key="iss_act_owner",
                      max_chars=64)
    else:
        if action != "note":
            st.date_input(tr("date"), value=today, max_value=today, key="iss_act_on")
        st.text_area(tr("iss_what_done"), key="iss_act_note", max_chars=2000)
        st.text_area(tr("iss_what_told"), key="iss_act_told", max_chars=2000,
                     help=tr("err_told_needed") if action == "feedback_given" else None)
        if action == "closed":
            st.radio(tr("iss_col_feedback_score"), [5, 4, 3, 2, 1], index=None, horizontal=True, key="iss_act_score")
    st.form_submit_button(tr("save"), type="primary", on_click=_act, args=(ref, record["version"], action))
