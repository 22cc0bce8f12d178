"""Inbox (通知): the user's notifications and subscription settings; for admins, the defaults per role,
the group robots and the sends that failed after their retries."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib import ui
from lib.db import local_now, session_scope
from lib.errors import DomainError
from lib.notify import CHANNELS, EVENTS, WEBHOOK_KINDS, channels, outbox, subscriptions
from lib.notify.messages import PAGE_PATHS
from lib.services import org
from lib.vocab import ROLES, label

user = ui.page_setup("inbox")
tr, lang = ui.tr, ui.lang()
engine = ui.get_engine()
st.title(tr("inbox_title"))
ui.show_flash()


def _read(fn, *args, **kwargs):
    """Uncached: notifications arrive from `notify run` in another process."""
    with session_scope(engine, readonly=True) as session:
        return fn(*args, session=session, **kwargs)


def _href(link: str | None) -> str | None:
    if not link:
        return None
    page, _, query = link.partition("?")
    return f"/{PAGE_PATHS.get(page, '')}" + (f"?{query}" if query else "")


st.subheader(tr("inbox_list"))
unread_only = st.toggle(tr("inbox_unread_only"), key="inbox_unread_only")
frame = _read(outbox.inbox_frame, user.username, unread_only=unread_only)
if frame.empty:
    st.info(tr("inbox_empty"))
else:
    shown = pd.DataFrame({tr("inbox_col_at"): frame["at"], tr("inbox_col_event"): [tr(f"nt_ev_{e}") for e in frame["event"]],
                          tr("inbox_col_subject"): frame["subject"], tr("inbox_col_read"): frame["read_at"].notna(),
                          tr("inbox_col_link"): [_href(v) for v in frame["link"]]})
    st.dataframe(shown, hide_index=True, key="inbox_table",
                 column_config={tr("inbox_col_link"): st.column_config.LinkColumn(display_text=tr("nt_f_open"))})
    if st.button(tr("inbox_mark_read"), key="inbox_mark_read"):
        n = ui.write(outbox.mark_read, user.username)
        ui.forget_unread_count()
        ui.flash("success", tr("inbox_marked", n=n))
        st.rerun()

st.subheader(tr("inbox_subs"))
st.caption(tr("inbox_subs_help"))
email = st.text_input(tr("inbox_email"), value=_read(subscriptions.get_email, user.username) or "", key="inbox_email")
if st.button(tr("inbox_email_save"), key="inbox_email_save"):
    try:
        ui.write(subscriptions.set_email, user.username, email, actor=user.username)
        ui.flash("success", tr("inbox_email_saved"))
        st.rerun()
    except DomainError as exc:
        st.error(ui.error_text(exc))

settings = _read(subscriptions.settings_frame, user.username)
names = {c: tr(f"nt_ch_{c}") for c in CHANNELS}
# One labelled checkbox per event × channel in a form (plain widgets a keyboard, a screen reader and a
# test find by role and label, not cells of a canvas grid); nothing is stored before the save button.
with st.form("inbox_subs_form"):
    for row in settings.itertuples(index=False):
        with st.container(key=f"inbox_subs_row_{row.event}"):
            cells = st.columns([2, *([1] * len(CHANNELS))], vertical_alignment="center")
            cells[0].markdown(f"**{tr(f'nt_ev_{row.event}')}**")
            for cell, channel in zip(cells[1:], CHANNELS, strict=True):
                cell.checkbox(names[channel], value=bool(getattr(row, channel)),
                              key=f"inbox_sub_{row.event}_{channel}")
    saved = st.form_submit_button(tr("inbox_save"), key="inbox_subs_save", type="primary")
if saved:
    rows = [{"event": e, **{c: bool(st.session_state.get(f"inbox_sub_{e}_{c}")) for c in CHANNELS}} for e in EVENTS]
    n = ui.write(subscriptions.save_settings, user.username, rows, actor=user.username)
    ui.flash("success", tr("inbox_saved", n=n))
    st.rerun()

if user.role == "admin":  # checked from the database on this run (page_setup)
    st.divider()
    st.subheader(tr("inbox_admin"))
    with st.expander(tr("inbox_defaults")):
        role = st.selectbox(tr("inbox_defaults_role"), list(ROLES), format_func=lambda r: label("role", r, lang),
                            key="inbox_defaults_role")
        defaults = _read(subscriptions.role_defaults)
        grid = pd.DataFrame([{"event": tr(f"nt_ev_{e}"), **{names[c]: c in defaults[role][e] for c in CHANNELS}}
                             for e in EVENTS])
        grid_edit = st.data_editor(grid, hide_index=True, disabled=["event"], key=f"inbox_defaults_editor_{role}")
        if st.button(tr("inbox_save"), key="inbox_defaults_save"):
            defaults[role] = {code: [c for c in CHANNELS if row[names[c]]]
                              for code, (_i, row) in zip(EVENTS, grid_edit.iterrows(), strict=True)}
            ui.write(subscriptions.set_role_defaults, defaults, actor=user.username)
            ui.flash("success", tr("inbox_defaults_saved"))
            st.rerun()
    with st.expander(tr("inbox_hooks")):
        hooks = _read(channels.hooks_frame)
        if not hooks.empty:
            st.dataframe(hooks.drop(columns=["url"]), hide_index=True, key="inbox_hooks_table")
        with st.form("inbox_hook_form"):
            kind = st.selectbox(tr("inbox_hook_kind"), list(WEBHOOK_KINDS), format_func=lambda k: tr(f"nt_ch_{k}"),
                                key="inbox_hook_kind")
            companies = _read(org.options)["company"]
            company = st.selectbox(tr("inbox_hook_company"), [None, *companies], key="inbox_hook_company",
                                   format_func=lambda c: tr("nt_group") if c is None else c)
            url = st.text_input(tr("inbox_hook_url"), key="inbox_hook_url")
            secret = st.text_input(tr("inbox_hook_secret"), type="password", key="inbox_hook_secret")
            if st.form_submit_button(tr("inbox_hook_save")):
                try:
                    ui.write(channels.set_hook, kind, company, url, secret or None, actor=user.username)
                    ui.flash("success", tr("inbox_hook_saved"))
                    st.rerun()
                except DomainError as exc:
                    st.error(ui.error_text(exc))
    failed = _read(outbox.failed_frame)
    st.markdown(f"**{tr('inbox_failed')}**")
    if failed.empty:
        st.caption(tr("inbox_failed_none"))
    else:
        st.dataframe(failed.rename(columns={"recipient": tr("inbox_col_recipient"), "channel": tr("inbox_col_channel"),
                                            "attempts": tr("inbox_col_attempts"), "last_error": tr("inbox_col_error")}),
                     hide_index=True, key="inbox_failed_table")
        if st.button(tr("inbox_retry"), key="inbox_retry"):
            n = ui.write(outbox.retry_failed, local_now(), actor=user.username)
            ui.flash("success", tr("inbox_retried", n=n))
            st.rerun()
