"""Administration: users (add, disable/enable, role, password reset) and the audit log."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from lib import scope, ui
from lib.db import local_now, session_scope
from lib.errors import DomainError, ValidationFailed
from lib.i18n import kpi_label
from lib.services import (
    admin_views,
    audit,
    benchmarks,
    calendar,
    complaints,
    listening,
    org,
    settings,
    signals,
    survey_views,
    target_editor,
    targets,
    users,
)
from lib.sla import DEFAULT_SLA
from lib.vocab import BUSINESS_LINES, ROLES, SURVEY_DIMENSIONS, label

user = ui.page_setup("admin")
tr = ui.tr
lang = ui.lang()
engine = ui.get_engine()

st.title(tr("admin_title"))
ui.show_flash()
state = st.session_state
PENDING = "admin_pending"  # an action asked for, shown for confirmation before it is applied (#23)


def _apply(pending: dict) -> str:
    """Carry out a confirmed action; returns the success message. Services re-check everything (your own
    account included), so a forged or stale request is refused there."""
    action, target = pending["action"], pending["user"]
    with session_scope(engine) as session:
        if action in ("disable", "enable"):
            users.set_active(session=session, username=target, active=action == "enable", actor=user.username)
        elif action == "set_role":
            users.set_role(session=session, username=target, role=pending["role"], actor=user.username)
        elif action == "reset_password":
            users.reset_password(session=session, username=target, password=pending["password"],
                                 actor=user.username)
        elif action == "scope":
            users.set_scope(session=session, username=target, scope=scope.parse(pending["scope"]),
                            actor=user.username)
        else:
            n = target_editor.save_edited(pending["rows"], session=session, actor=user.username)
    ui.clear_caches()
    if action == "scope":
        return tr("scope_saved", user=target)
    if action == "targets":
        return tr("saved_n", n=n)
    return tr(f"ux_done_{action}", user=target, role=label("role", pending.get("role") or "", lang))


def confirm_box(actions: set[str]) -> None:
    """The pending action, if it is one of `actions`: what will happen, Confirm / Cancel."""
    pending = state.get(PENDING)
    if not pending or pending["action"] not in actions:
        return
    action = pending["action"]
    question = tr(f"ux_confirm_{action}", user=pending["user"], role=label("role", pending.get("role") or "", lang),
                  scope=ui.scope_text(scope.parse(pending.get("scope") or "group")), removed=pending.get("removed", 0))
    box = st.container(border=True)
    box.warning(question, icon=":material/help:")
    yes, no, _ = box.columns([1, 1, 6])
    if yes.button(tr("ux_confirm_yes"), type="primary", key="admin_confirm_yes"):
        state.pop(PENDING, None)
        try:
            ui.flash("success", _apply(pending))
        except target_editor.TargetRowsRejected as exc:
            ui.flash("error", "\n".join(f"- {m}" for m in target_editor.messages(exc, tr)))
        except DomainError as exc:
            ui.flash("error", ui.error_text(exc))
        st.rerun()
    if no.button(tr("ux_confirm_no"), key="admin_confirm_no"):
        state.pop(PENDING, None)
        ui.flash("info", tr("ux_cancelled"))
        st.rerun()

tab_users, tab_sla, tab_targets, tab_types, tab_bench, tab_audit = st.tabs([
    tr("admin_users"), tr("admin_sla"), tr("admin_targets"), tr("admin_activity_types"), tr("admin_benchmarks"),
    tr("admin_audit")])

with tab_users:
    confirm_box({"disable", "enable", "set_role", "reset_password", "scope"})
    with session_scope(engine, readonly=True) as session:
        table = admin_views.users_table(session=session)
    st.dataframe(admin_views.present_users(table, lang, ui.scope_text), hide_index=True, width="stretch",
                 key="admin_users_table")
    with session_scope(engine, readonly=True) as session:
        scope_options = org.scope_choices(session=session)

    def scope_inputs(prefix: str) -> scope.Scope | None:
        """Group, or regions / companies / projects picked from existing values; None: nothing picked."""
        kinds = {"group": tr("scope_group"), "entries": tr("scope_kind_entries")}  # labels made now, in this run
        kind = st.radio(tr("scope_kind"), list(kinds), horizontal=True, key=f"{prefix}_scope_kind",
                        format_func=kinds.get)
        picked = [f"{name}:{value}" for name in ("region", "company", "project")
                  for value in st.multiselect(tr(f"scope_{name}"), scope_options[name], key=f"{prefix}_scope_{name}",
                                              placeholder=tr("choose"), select_all=False)]
        if kind == "group":
            return scope.GROUP_SCOPE
        return scope.parse(picked) if picked else None

    left, right = st.columns(2)
    with left.form("admin_add_form", clear_on_submit=True):
        st.subheader(tr("admin_add_user"))
        new_username = st.text_input(tr("username"), key="admin_new_username")
        new_name = st.text_input(tr("name"), key="admin_new_fullname")
        new_role = st.selectbox(tr("role"), list(ROLES), format_func=lambda r: label("role", r, lang),
                                key="admin_new_role")
        new_password = st.text_input(tr("password"), type="password", key="admin_new_password")
        new_scope = scope_inputs("admin_new")
        if st.form_submit_button(tr("save")):
            try:
                if new_scope is None:
                    raise ValidationFailed("scope_empty")
                with session_scope(engine) as session:
                    users.add_user(session=session, username=new_username, role=new_role,
                                   name=new_name, password=new_password, actor=user.username, scope=new_scope)
                st.success(tr("saved"))
                st.rerun()
            except DomainError as exc:
                st.error(tr(exc.key, **exc.params))

    with right:  # the user is picked first: your own account offers no disable / role change (#23)
        st.subheader(tr("admin_edit_user"))
        target = st.selectbox(tr("user"), list(table.username), key="admin_edit_target")
        own = target == user.username
        if own:
            st.caption(tr("ux_self_note"))
        with st.form("admin_edit_form"):
            actions = {a: tr(a) for a in (["reset_password"] if own else
                                          ["set_role", "reset_password", "enable", "disable"])}
            action = st.radio(tr("action"), list(actions), format_func=actions.get, horizontal=True,
                              key="admin_edit_action_own" if own else "admin_edit_action")
            role = st.selectbox(tr("role"), list(ROLES), format_func=lambda r: label("role", r, lang),
                                key="admin_edit_role")
            password = st.text_input(tr("new_password"), type="password", key="admin_edit_password")
            if st.form_submit_button(tr("save")):
                if own and action in ("disable", "set_role"):
                    st.error(tr("err_cannot_disable_self"))
                elif action == "reset_password" and len(password) < users.MIN_PASSWORD_LENGTH:
                    st.error(tr("err_password_short", n=users.MIN_PASSWORD_LENGTH))
                else:  # asked once more below before anything changes
                    state[PENDING] = {"action": action, "user": target, "role": role, "password": password}
                    st.rerun()

    with st.form("admin_scope_form"):  # SPEC §11: audited, and the user's sessions end
        st.subheader(tr("scope_edit"))
        scope_target = st.selectbox(tr("user"), list(table.username), key="admin_scope_target")
        chosen_scope = scope_inputs("admin_scope")
        if st.form_submit_button(tr("save")):
            try:
                if chosen_scope is None:
                    raise ValidationFailed("scope_empty")
                with session_scope(engine, readonly=True) as session:
                    scope.validate(chosen_scope, session=session)
                state[PENDING] = {"action": "scope", "user": scope_target, "scope": chosen_scope.as_text()}
                st.rerun()
            except DomainError as exc:
                st.error(ui.error_text(exc))

with tab_sla:
    st.caption(tr("sla_explain"))
    with session_scope(engine, readonly=True) as session:
        current_sla = settings.get("sla", session=session)
        due_days = settings.get("issue_due_days", session=session)
    with st.form("admin_sla_form"):
        cols = st.columns(2)
        new_sla = {name: cols[i % 2].number_input(tr(f"sla_{name}"), min_value=0.5, max_value=720.0, step=0.5,
                                                  value=float(current_sla[name]), key=f"admin_sla_{name}")
                   for i, name in enumerate(DEFAULT_SLA)}
        new_due_days = st.number_input(tr("issue_due_days"), min_value=1, max_value=365, value=int(due_days),
                                       key="admin_issue_due_days")
        if st.form_submit_button(tr("save")):
            try:
                with session_scope(engine) as session:
                    moved = complaints.change_sla(new_sla, session=session, actor=user.username)
                    if new_due_days != due_days:
                        settings.put("issue_due_days", int(new_due_days), session=session, actor=user.username)
                ui.clear_caches()
                st.success(tr("sla_saved", n=moved))
            except DomainError as exc:
                st.error(ui.error_text(exc))

    st.subheader(tr("cal_title"))  # SPEC §13: a year from the State Council notice
    cal_year = int(st.number_input(tr("cal_year"), min_value=2000, max_value=2100, step=1,
                                   value=local_now().year + 1, key="admin_cal_year"))
    with st.form("admin_cal_form"):
        cal_holidays = st.text_area(tr("cal_holidays"), key="admin_cal_holidays", max_chars=4000)
        cal_workdays = st.text_area(tr("cal_workdays"), key="admin_cal_workdays", max_chars=2000)
        cal_file = st.file_uploader(tr("cal_file"), type=["csv", "xlsx"], key="admin_cal_file")
        if st.form_submit_button(tr("cal_save")):
            try:
                entry = (calendar.parse_file(cal_file.getvalue(), cal_file.name) if cal_file is not None
                         else calendar.parse_text(cal_holidays, cal_workdays))
                with session_scope(engine) as session:
                    moved = calendar.set_year(cal_year, entry, session=session, actor=user.username)
                ui.clear_caches()
                st.success(tr("cal_saved", year=cal_year, n=moved))
            except calendar.CalendarRejected as exc:
                st.error("\n".join(f"- {m}" for m in calendar.messages(exc, lang)))
            except DomainError as exc:
                st.error(ui.error_text(exc))
    with session_scope(engine, readonly=True) as session:
        shown_cal = calendar.show(cal_year, session=session)
    st.caption(tr("cal_source", source=tr(f"cal_source_{shown_cal['source']}")))
    c1, c2 = st.columns(2)
    c1.dataframe(pd.DataFrame({tr("cal_shown_holidays"): shown_cal["holidays"]}), hide_index=True,
                 key="admin_cal_holidays_table")
    c2.dataframe(pd.DataFrame({tr("cal_shown_workdays"): shown_cal["workdays"]}), hide_index=True,
                 key="admin_cal_workdays_table")

    st.subheader(tr("sig_admin_title"))  # issue #26: risk signal thresholds and the exposure word list
    with session_scope(engine, readonly=True) as session:
        sig_rules = signals.rules(session=session)
    with st.form("admin_sig_form"):
        c1, c2, c3 = st.columns(3)
        sig_n = c1.number_input(tr("sig_group_min"), min_value=2, max_value=1000, step=1, value=sig_rules.group_min,
                                key="admin_sig_group_min")
        sig_hours = c2.number_input(tr("sig_window_hours"), min_value=1.0, max_value=744.0, step=1.0,
                                    value=float(sig_rules.window_hours), key="admin_sig_window_hours")
        sig_days = c3.number_input(tr("sig_repeat_days"), min_value=1, max_value=730, step=1,
                                   value=sig_rules.repeat_days, key="admin_sig_repeat_days")
        sig_words = st.text_area(tr("sig_words"), value="\n".join(sig_rules.words), key="admin_sig_words",
                                 max_chars=4000)
        if st.form_submit_button(tr("sig_save")):
            try:
                with session_scope(engine) as session:
                    signals.save_rules(session=session, actor=user.username, group_min=sig_n, window_hours=sig_hours,
                                       repeat_days=sig_days, words=signals.parse_words(sig_words))
                ui.clear_caches()
                st.success(tr("sig_saved"))
            except ValidationFailed as exc:
                st.error(tr("sig_err_settings", fields="、".join(tr(f) for f in exc.params["fields"].split(", "))))

with tab_types:
    st.caption(tr("activity_types_explain"))
    with session_scope(engine, readonly=True) as session:
        active = listening.activity_types(session=session)
        known = listening.type_labels(session=session)
    rows = pd.DataFrame([{"code": code, "zh": zh, "en": en, "active": code in active}
                         for code, (zh, en) in known.items()])
    edited = st.data_editor(rows, num_rows="dynamic", hide_index=True, key="admin_types_editor",
                            disabled=False, column_config={
                                "code": st.column_config.TextColumn(tr("type_code"), required=True, max_chars=40),
                                "zh": st.column_config.TextColumn("中文", max_chars=40),
                                "en": st.column_config.TextColumn("English", max_chars=60),
                                "active": st.column_config.CheckboxColumn(tr("type_active"), default=True)})
    if st.button(tr("save"), key="admin_types_save"):
        try:
            with session_scope(engine) as session:
                listening.save_activity_types(edited.to_dict("records"), session=session, actor=user.username)
            ui.clear_caches()
            st.success(tr("saved"))
        except DomainError as exc:
            st.error(ui.error_text(exc))

with tab_targets:
    # issue #23: the minimum sample per KPI below which league, movers, heat maps and the report grey a value
    st.subheader(tr("min_sample_title"))
    st.caption(tr("min_sample_help"))
    with session_scope(engine, readonly=True) as session:
        current_minimum = settings.min_sample(session=session)
    with st.form("admin_min_sample_form"):
        cols = st.columns(3)
        new_minimum = {name: int(cols[i % 3].number_input(kpi_label(name, lang), min_value=1, max_value=100000,
                                                           step=1, value=int(least), key=f"admin_min_{name}"))
                       for i, (name, least) in enumerate(current_minimum.items())}
        if st.form_submit_button(tr("save")):
            with session_scope(engine) as session:
                settings.put("min_sample", new_minimum, session=session, actor=user.username)
            ui.clear_caches()
            st.success(tr("min_sample_saved"))
    st.caption(tr("ux_targets_explain"))  # rates edited as % and stored as fractions (#23)
    confirm_box({"targets"})
    with session_scope(engine, readonly=True) as session:
        current_targets = target_editor.editor_table(session=session)
    current_targets.insert(3, "unit", [tr(f"ux_unit_{targets.KIND_OF.get(k, 'rate')}") for k in current_targets["kpi"]])
    company_names = ui.org_options()["company"]
    edited_targets = st.data_editor(
        current_targets, num_rows="dynamic", hide_index=True, key="admin_targets_editor", column_config={
            "kpi": st.column_config.SelectboxColumn(tr("indicator"), options=[h.kpi for h in targets.HEADLINES],
                                                    required=True, format_func=lambda k: kpi_label(k, lang)),
            "business_line": st.column_config.SelectboxColumn(tr("business_line"), options=list(BUSINESS_LINES),
                                                              format_func=lambda c: label("business_line", c, lang)),
            "company": st.column_config.SelectboxColumn(tr("company"), options=company_names),
            "unit": st.column_config.TextColumn(tr("ux_unit"), disabled=True),
            "target": st.column_config.NumberColumn(tr("ux_target_col"), min_value=0.0, max_value=100.0, step=0.1,
                                                    format="%.1f", required=True),
            "amber": st.column_config.NumberColumn(tr("ux_amber_col"), min_value=0.0, max_value=100.0, step=0.1,
                                                   format="%.1f")})
    if st.button(tr("save"), key="admin_targets_save"):
        rows = edited_targets.drop(columns=["unit"]).to_dict("records")
        removed = len((state.get("admin_targets_editor") or {}).get("deleted_rows") or [])
        if removed:  # rows deleted in the table: asked once more
            state[PENDING] = {"action": "targets", "user": "", "rows": rows, "removed": removed}
            st.rerun()
        try:
            with session_scope(engine) as session:
                kept = target_editor.save_edited(rows, session=session, actor=user.username)
            ui.clear_caches()
            st.success(tr("saved_n", n=kept))
        except target_editor.TargetRowsRejected as exc:
            st.error("\n".join(f"- {m}" for m in target_editor.messages(exc, tr)))
        except DomainError as exc:
            st.error(ui.error_text(exc))

with tab_bench:
    st.caption(tr("benchmarks_explain"))
    with session_scope(engine, readonly=True) as session:
        current = survey_views.benchmarks(session=session)
    dimension_codes = list(SURVEY_DIMENSIONS)
    edited_bench = st.data_editor(
        current, num_rows="dynamic", hide_index=True, key="admin_bench_editor", column_config={
            "year": st.column_config.NumberColumn(tr("year"), min_value=2000, max_value=2100, step=1, format="%d",
                                                  required=True),
            "dimension": st.column_config.SelectboxColumn(tr("srv_dimension"), options=dimension_codes,
                                                          required=True,
                                                          format_func=lambda c: label("dimension", c, lang)),
            "value": st.column_config.NumberColumn(tr("value"), min_value=0.0, max_value=100.0, step=0.1,
                                                   format="%.1f", required=True)})
    if st.button(tr("save"), key="admin_bench_save"):
        try:
            with session_scope(engine) as session:
                kept = benchmarks.save(edited_bench.to_dict("records"), session=session, actor=user.username)
            ui.clear_caches()
            st.success(tr("saved_n", n=kept))
        except DomainError as exc:
            st.error(ui.error_text(exc))

with tab_audit:
    with session_scope(engine, readonly=True) as session:
        known_actions = audit.actions(session=session)
    c1, c2, c3, c4 = st.columns(4)
    actor = c1.text_input(tr("actor"), key="admin_audit_actor")
    every = tr("all")  # made now: a format_func may also be called outside the run (AppTest)
    action_filter = c2.selectbox(tr("action"), ["", *known_actions],
                                 format_func=lambda a: audit.action_label(a, lang) if a else every,
                                 key="admin_audit_action")
    business_today = local_now().date()  # the dates are business days (Asia/Shanghai), as the log shows them
    start = c3.date_input(tr("date_from"), value=business_today - timedelta(days=30), min_value=date(2000, 1, 1),
                          key="admin_audit_from")
    end = c4.date_input(tr("date_to"), value=business_today, min_value=date(2000, 1, 1), key="admin_audit_to")
    with session_scope(engine, readonly=True) as session:
        log = admin_views.audit_table(session=session, actor=actor.strip(), action=action_filter,
                                      start=start, end=end)
    shown_log = audit.present(log, lang)
    st.dataframe(shown_log, hide_index=True, width="stretch", key="admin_audit_table")
    if user.role == "admin" and len(shown_log):  # the log as filtered: made on click, re-checked, audited
        x1, x2, _ = st.columns([1, 1, 4])
        for col, fmt, mime in ((x1, "csv", "text/csv"),
                               (x2, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")):
            col.download_button(tr(f"export_{fmt}"), ui.row_export(shown_log, fmt=fmt, kind="audit_log", user=user),
                                file_name=f"audit_log_{start}_{end}.{fmt}", mime=mime, key=f"admin_audit_export_{fmt}",
                                on_click="ignore")
