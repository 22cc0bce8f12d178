"""Page setup: page config, login gate, role check, sidebar menu with the unread count, language switch."""
from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine

from lib import auth
from lib.config import get_settings, is_loopback
from lib.db import local_now, session_scope
from lib.i18n import LANGUAGES, t
from lib.pages import BY_ID, WRITERS, may_open, menu_for
from lib.services import calendar as calendar_service
from lib.services import demo, users
from lib.ui.cache import get_engine
from lib.ui.language import lang, tr
from lib.ui.org_scope import CURRENT_USER, scope_text
from lib.vocab import label


def streamlit_text_css(language: str) -> str:
    """Streamlit 1.67 has no setting for the file uploader's own English ("Drag and drop file here",
    "Limit 200MB per file", "Upload"): one static style sheet hides those texts and draws ours from
    lib.i18n instead. Only fixed strings and a number go in, never user data."""
    size = int(st.get_option("server.maxUploadSize"))
    drop, button = t("uploader_drop", language, mb=size), t("uploader_button", language)
    if any(ch in drop + button for ch in '"\\<>{}'):
        raise ValueError("uploader texts must be plain")
    zone = '[data-testid="stFileUploaderDropzone"]'
    return ("<style>"
            f'[data-testid="stFileUploaderDropzoneInstructions"] > * {{display: none;}}'
            f'[data-testid="stFileUploaderDropzoneInstructions"]::before {{content: "{drop}"; font-size: 0.875rem;}}'
            f'{zone} button [data-testid="stMarkdownContainer"] {{display: none;}}'
            f'{zone} button [data-has-shortcut]::after {{content: "{button}";}}'
            "</style>")


def _language_switch(engine: Engine, where=None) -> None:
    """One source of truth, st.session_state[auth.LANG]: the radio is set from it on every run (its own
    widget state would otherwise keep the value it had before a login changed the language, showing 中文
    over an English UI and ignoring a click on 中文). A choice made before signing in is kept at login
    (lib.auth); a signed-in user's choice is stored as their preference."""
    def changed() -> None:
        choice = st.session_state["crhq_lang_switch"]
        st.session_state[auth.LANG] = choice
        username = auth.signed_in_still(engine)
        if username:
            with session_scope(engine) as session:
                users.set_language(session=session, username=username, language=choice)
        else:
            st.session_state[auth.LANG_CHOSEN] = True

    current = lang()
    st.session_state["crhq_lang_switch"] = current
    (where or st.sidebar).radio(t("language", current), LANGUAGES, format_func=lambda c: "中文" if c == "zh" else "English",
                                horizontal=True, key="crhq_lang_switch", on_change=changed)


def page_setup(page_id: str) -> auth.CurrentUser:
    """First call of every page: refuses (and stops the script) unless the role may open it."""
    st.set_page_config(page_title=t("app_title", lang()), page_icon="🏢", layout="wide")
    st.html(streamlit_text_css(lang()))
    settings = get_settings()
    if settings.demo_mode and not settings.demo_explicit and not _only_this_machine():
        # The demo shows its accounts' passwords on the login page: never where others can reach it.
        st.error(t("err_demo_not_local", lang()))
        st.stop()
    with st.spinner(t("seeding", lang())):
        engine = get_engine()
    cookie_slot = st.empty()  # the sign-in cookie's component, in one place on every run (auth.write_pending_cookie)
    user = auth.current_user(engine)
    switch = st.sidebar.empty()  # drawn once the language is settled (a login may change it)
    if user is None:
        title = st.empty()
        title.title(tr("app_title"))
        user = auth.login_form(engine, lang())
        if user is None:
            _language_switch(engine, switch)
            if settings.demo_mode:
                _demo_accounts()
            st.stop()
        title.title(tr("app_title"))
    auth.write_pending_cookie(cookie_slot)
    _language_switch(engine, switch)
    st.session_state[CURRENT_USER] = user
    _sidebar(engine, user)
    if not may_open(user.role, page_id):
        st.error(tr("forbidden"))
        st.stop()
    _calendar_banner(engine, user.role)
    return user


def _calendar_banner(engine: Engine, role: str) -> None:
    """SPEC §13: while a year due times reach into is only estimated (next year from 1 November),
    the people who set and chase due times are told so on every page; the check also brings this
    process's calendar up to the stored entries."""
    with session_scope(engine, readonly=True) as session:
        year = calendar_service.unconfirmed_year(local_now().date(), session=session)
    if year is not None and role in WRITERS:
        st.warning(tr("cal_banner", year=year), icon=":material/event_busy:")


def _only_this_machine() -> bool:
    """Bound to loopback and asked for by a loopback name (not through a proxy from elsewhere)."""
    host = (st.context.headers or {}).get("Host")
    return is_loopback(st.get_option("server.address")) and (host is None or is_loopback(host))


def _demo_accounts() -> None:
    st.warning(tr("demo_notice"))
    creds = demo.demo_credentials()
    if creds:
        st.caption(tr("demo_accounts"))
        st.table([{tr("username"): c["username"], tr("password"): c["password"],
                   tr("role"): label("role", c["role"], lang()), tr("name"): c.get("name", ""),
                   tr("scope"): c.get("scope", "group")} for c in creds])


def _sidebar(engine: Engine, user: auth.CurrentUser) -> None:
    with st.sidebar:
        for spec in menu_for(user.role):
            st.page_link(spec.path, label=tr(spec.label_key), icon=spec.icon)
        _inbox_count(engine, user.username)
        st.divider()
        st.caption(tr("signed_in_as", name=user.name, role=label("role", user.role, lang())))
        st.caption(tr("scope_signed_in", scope=scope_text(user.scope)))
        if st.button(tr("logout"), key="crhq_logout_btn"):
            auth.logout(engine)
            st.rerun()


UNREAD_KEY = "crhq_unread_count"


def unread_ttl() -> float:
    """Seconds a sidebar unread count is reused within a browser session (a new notification shows at most
    that late; the user's own mark-read clears it at once)."""
    import os
    return float(os.environ.get("CRHQ_UNREAD_TTL_SECONDS", "20"))


def forget_unread_count() -> None:
    """After the user marked notifications read: the next run counts afresh."""
    st.session_state.pop(UNREAD_KEY, None)


def _inbox_count(engine: Engine, username: str) -> None:
    """Unread notifications (SPEC §12). They arrive from `notify run` in another process, so the count is
    read from the database, but reused for `unread_ttl()` seconds within this session and for this user
    only (every widget click is a run: without it each click cost a count query)."""
    import time

    from lib.notify.outbox import unread_count
    cached = st.session_state.get(UNREAD_KEY)
    if cached and cached[0] == username and time.monotonic() - cached[2] < unread_ttl():
        n = cached[1]
    else:
        with session_scope(engine, readonly=True) as session:
            n = unread_count(username, session=session)
        st.session_state[UNREAD_KEY] = (username, n, time.monotonic())
    if n:
        st.page_link("pages/8_Inbox.py", label=tr("inbox_sidebar", n=n), icon=":material/mark_email_unread:")


def page_path(page_id: str) -> str:
    return BY_ID[page_id].path
