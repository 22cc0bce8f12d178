"""Typical-case reviews (典型案例复盘): mark a complaint typical, review it, search the case library."""
from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from lib import privacy, scope, ui
from lib.db import local_now
from lib.errors import DomainError
from lib.i18n import md_escape
from lib.pages import WRITERS
from lib.services import cases
from lib.vocab import BUSINESS_LINES, CATEGORIES, label

user = ui.page_setup("cases")
tr, lang = ui.tr, ui.lang()
writer = user.role in WRITERS
today = local_now().date()
ACTION_ROWS = 3

st.title(tr("case_title"))
st.caption(tr("case_caption"))
ui.show_flash()


def _error(exc: DomainError) -> str:
    """As ui.error_text, with this page's field names in the user's language."""
    fields = exc.params.get("fields")
    if exc.key == "err_fields" and isinstance(fields, str):
        return tr("err_fields", fields="、".join(tr(f) if f.startswith("case_") else f for f in fields.split(", ")))
    return ui.error_text(exc)


def _actions(prefix: str) -> list[cases.Action]:
    """The filled action rows of a form (a row with neither text nor department is left out)."""
    s = st.session_state
    return [cases.Action(s.get(f"{prefix}_act_{i}") or "", s.get(f"{prefix}_dept_{i}") or "", s.get(f"{prefix}_due_{i}"))
            for i in range(ACTION_ROWS)
            if (s.get(f"{prefix}_act_{i}") or "").strip() or (s.get(f"{prefix}_dept_{i}") or "").strip()]


def _clear(prefix: str, names: tuple[str, ...]) -> None:
    for name in names:
        st.session_state[f"{prefix}_{name}"] = ""
    for i in range(ACTION_ROWS):
        st.session_state[f"{prefix}_act_{i}"] = st.session_state[f"{prefix}_dept_{i}"] = ""
        st.session_state[f"{prefix}_due_{i}"] = None


def _mark() -> None:
    s = st.session_state
    ref = (s.get("cases_ref") or "").strip()
    review = cases.Review(s.get("cases_what") or "", s.get("cases_cause") or "", s.get("cases_lessons") or "",
                          cases.parse_tags(s.get("cases_tags")), _actions("cases"))
    try:
        ui.write(cases.mark_typical, ref, review, actor=user.username, reach=ui.current_reach())
    except DomainError as exc:
        ui.flash("error", _error(exc))  # the form keeps what was typed
        return
    ui.flash("success", tr("case_marked", ref=ref, actions=len(review.actions)))
    _clear("cases", ("ref", "what", "cause", "lessons", "tags"))
    s["cases_open"] = ref


def _action_rows(prefix: str) -> None:
    st.caption(tr("case_actions_help"))
    for i in range(ACTION_ROWS):
        c1, c2, c3 = st.columns([3, 2, 1])
        c1.text_input(tr("case_action_n", n=i + 1), key=f"{prefix}_act_{i}", max_chars=cases.TEXT_LENGTH)
        c2.text_input(tr("case_owner_department"), key=f"{prefix}_dept_{i}", max_chars=100)
        c3.date_input(tr("case_action_due_on"), value=None, min_value=today, key=f"{prefix}_due_{i}")


if writer:
    with st.expander(tr("case_mark"), icon=":material/bookmark_add:"):
        with st.form("cases_mark_form"):
            c1, c2 = st.columns([1, 2])
            c1.text_input(tr("case_complaint_ref"), key="cases_ref", max_chars=64)
            c2.text_input(tr("case_tags"), key="cases_tags", help=tr("case_tags_help"), max_chars=400)
            st.text_area(tr("case_what_happened"), key="cases_what", max_chars=cases.TEXT_LENGTH)
            st.text_area(tr("case_root_cause"), key="cases_cause", max_chars=cases.TEXT_LENGTH)
            st.text_area(tr("case_lessons"), key="cases_lessons", max_chars=cases.TEXT_LENGTH)
            st.markdown(f"**{tr('case_actions')}**")
            _action_rows("cases")
            st.form_submit_button(tr("save"), type="primary", on_click=_mark)

st.subheader(tr("case_library"))
reach = ui.current_reach()
c1, c2, c3, c4, c5 = st.columns([2, 2, 2, 2, 3])
categories = ui.multi(c1, "cases", "case_col_category", list(CATEGORIES), "category")
lines = ui.multi(c2, "cases", "case_col_business_line", list(BUSINESS_LINES), "business_line")
companies = ui.multi(c3, "cases", "case_col_company", ui.org_options()["company"])
tags = ui.cached(cases.tag_choices, reach=reach)
any_tag = tr("case_tag_any")  # captured now: the label is formatted again outside this run (tests, reruns)
tag = c4.selectbox(tr("case_tags"), ["", *tags], key="cases_tag", format_func=lambda v: v or any_tag)
search = c5.text_input(tr("case_search"), key="cases_search", placeholder=tr("case_search_hint"), max_chars=100)
try:
    rows = ui.cached(cases.library, cases.LibraryQuery(categories=categories, business_lines=lines,
                                                       companies=companies, tag=tag or "", search=search), reach=reach)
except scope.OutOfScope as exc:
    st.error(ui.error_text(exc))
    st.stop()


def present(frame: pd.DataFrame) -> pd.DataFrame:
    shown = frame.copy()
    shown["business_line"] = [label("business_line", v, lang) for v in shown["business_line"]]
    shown["category"] = [label("category", v, lang) for v in shown["category"]]
    return shown.rename(columns={c: tr(f"case_col_{c}") for c in shown.columns})


if rows.empty:
    st.info(tr("case_none"))
table = st.dataframe(present(rows), hide_index=True, key="cases_table", on_select="rerun",
                     selection_mode="single-row", height=300)
st.caption(tr("rows_shown", n=len(rows), limit=cases.LIST_LIMIT))
if table and table.selection and table.selection.rows:
    st.session_state["cases_open"] = rows.iloc[table.selection.rows[0]]["complaint_ref"]
ref = st.session_state.get("cases_open") or st.query_params.get("case")
if not ref:
    st.info(tr("case_pick"))
    st.stop()

revealed = st.session_state.get("cases_revealed") == ref and user.role in privacy.SEES_PERSONAL_DATA
try:
    # complainant masked for everyone until a staff member reveals this one record (audited)
    record, actions = ui.read(cases.detail, ref, reach=reach, role=user.role if revealed else None)
except DomainError as exc:
    (st.error if isinstance(exc, scope.OutOfScope) else st.warning)(ui.error_text(exc))
    st.stop()

st.divider()
state = tr("case_state_closed") if record["closed"] else tr("case_state_open")
st.subheader(f"{md_escape(record['complaint_ref'])} · {state}")
stamp = hashlib.sha1(f"{record['complaint_ref']}|{record['version']}|{revealed}".encode()).hexdigest()[:10]
facts = {tr("case_col_company"): record["company"], tr("case_col_project"): record["project"],
         tr("case_col_business_line"): label("business_line", record["business_line"], lang),
         tr("case_col_category"): label("category", record["category"], lang),
         tr("case_complainant"): " ".join(v for v in (record["complainant_name"], record["complainant_phone"]) if v),
         tr("case_col_marked_on"): record["marked_on"], tr("case_marked_by"): record["marked_by"],
         tr("case_tags"): "、".join(record["tags"])}
cols = st.columns(4)
for i, (name, value) in enumerate(facts.items()):
    cols[i % 4].text_input(name, value="—" if value in (None, "") else str(value), disabled=True,
                           key=f"cases_fact_{i}_{stamp}")
if user.role in privacy.SEES_PERSONAL_DATA and not revealed and record["complainant_name"]:
    st.button(tr("reveal_contact"), key="cases_reveal", icon=":material/visibility:", help=tr("reveal_help"),
              on_click=ui.reveal, args=(user.username, user.role, "complaint", record["complaint_ref"], "cases_revealed"))
for name in ("what_happened", "root_cause", "lessons"):
    st.text_area(tr(f"case_{name}"), value=record[name], disabled=True, key=f"cases_{name}_{stamp}")

st.markdown(f"**{tr('case_actions')}**")
shown = actions.copy()
shown["status"] = [label("issue_status", v, lang) for v in shown["status"]]
st.dataframe(shown.rename(columns={c: tr(f"case_col_{c}") for c in shown.columns}), hide_index=True,
             key="cases_actions")
for action_ref in actions["ref"]:
    st.page_link(ui.page_path("issues"), label=tr("case_open_issue", ref=action_ref), icon=":material/task_alt:",
                 query_params={"ref": action_ref})

if not writer:
    st.stop()


def _add(case_ref: str) -> None:
    try:
        refs = ui.write(cases.add_actions, case_ref, _actions("cases_add"), actor=user.username,
                        reach=ui.current_reach())
    except DomainError as exc:
        ui.flash("error", _error(exc))
        return
    _clear("cases_add", ())
    ui.flash("success", tr("saved") + " " + "、".join(refs))


def _edit(case_ref: str, version: int) -> None:
    s = st.session_state
    review = cases.Review(s.get(f"cases_edit_what_{stamp}") or "", s.get(f"cases_edit_cause_{stamp}") or "",
                          s.get(f"cases_edit_lessons_{stamp}") or "", cases.parse_tags(s.get(f"cases_edit_tags_{stamp}")))
    try:
        ui.write(cases.update_review, case_ref, review, actor=user.username, version=version,
                 reach=ui.current_reach())
    except DomainError as exc:
        ui.flash("error", _error(exc))
        return
    ui.flash("success", tr("saved"))


with st.expander(tr("case_add_actions"), icon=":material/add_task:"):
    with st.form("cases_add_form"):
        _action_rows("cases_add")
        st.form_submit_button(tr("save"), type="primary", on_click=_add, args=(record["complaint_ref"],))
with st.expander(tr("case_edit"), icon=":material/edit:"):
    with st.form("cases_edit_form"):
        # keyed by record and version: a keyed widget keeps its first value across records otherwise
        st.text_input(tr("case_tags"), value="、".join(record["tags"]), key=f"cases_edit_tags_{stamp}", max_chars=400)
        st.text_area(tr("case_what_happened"), value=record["what_happened"], key=f"cases_edit_what_{stamp}",
                     max_chars=cases.TEXT_LENGTH)
        st.text_area(tr("case_root_cause"), value=record["root_cause"], key=f"cases_edit_cause_{stamp}",
                     max_chars=cases.TEXT_LENGTH)
        st.text_area(tr("case_lessons"), value=record["lessons"], key=f"cases_edit_lessons_{stamp}",
                     max_chars=cases.TEXT_LENGTH)
        st.form_submit_button(tr("save"), type="primary", on_click=_edit,
                              args=(record["complaint_ref"], record["version"]))
