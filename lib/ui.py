"""Shared page setup: engine, login gate, role check, sidebar menu, language, cached readers."""
from __future__ import annotations

from datetime import date, timedelta

import streamlit as st
from sqlalchemy.engine import Engine

from lib import auth
from lib.config import get_settings
from lib.db import make_engine, session_scope
from lib.i18n import LANGUAGES, t
from lib.imports import complaints as complaint_import
from lib.kpis import complaints as complaints_kpis
from lib.kpis.common import KpiFilter
from lib.pages import BY_ID, may_open, menu_for
from lib.services import complaint_views, demo, org, overview, users
from lib.vocab import label


@st.cache_resource(show_spinner=False)
def engine_for(url: str, demo_mode: bool) -> Engine:
    """One engine per process and database URL; the first call migrates (and seeds in demo mode)."""
    engine = make_engine(url)
    demo.bootstrap(engine, demo_mode=demo_mode)
    return engine


def get_engine() -> Engine:
    settings = get_settings()
    return engine_for(settings.database_url, settings.demo_mode)


def lang() -> str:
    value = st.session_state.get(auth.LANG)
    return value if value in LANGUAGES else "zh"


def tr(key: str, **params: object) -> str:
    return t(key, lang(), **params)


def _language_switch(engine: Engine, username: str | None) -> None:
    def changed() -> None:
        choice = st.session_state["crhq_lang_switch"]
        st.session_state[auth.LANG] = choice
        if username:
            with session_scope(engine) as session:
                users.set_language(session=session, username=username, language=choice)

    current = lang()
    st.sidebar.radio(t("language", current), LANGUAGES, index=LANGUAGES.index(current),
                     format_func=lambda c: "中文" if c == "zh" else "English", horizontal=True,
                     key="crhq_lang_switch", on_change=changed)


def page_setup(page_id: str) -> auth.CurrentUser:
    """First call of every page: refuses (and stops the script) unless the role may open it."""
    st.set_page_config(page_title=t("app_title", lang()), page_icon="🏢", layout="wide")
    settings = get_settings()
    with st.spinner(t("seeding", lang())):
        engine = get_engine()
    user = auth.current_user(engine)
    _language_switch(engine, user.username if user else None)
    if user is None:
        st.title(tr("app_title"))
        user = auth.login_form(engine, lang())
        if user is None:
            if settings.demo_mode:
                _demo_accounts()
            st.stop()
    _sidebar(engine, user)
    if not may_open(user.role, page_id):
        st.error(tr("forbidden"))
        st.stop()
    return user


def _demo_accounts() -> None:
    creds = demo.demo_credentials()
    if creds:
        st.caption(tr("demo_accounts"))
        st.table([{tr("username"): c["username"], tr("password"): c["password"],
                   tr("role"): label("role", c["role"], lang())} for c in creds])


def _sidebar(engine: Engine, user: auth.CurrentUser) -> None:
    with st.sidebar:
        for spec in menu_for(user.role):
            st.page_link(spec.path, label=tr(spec.label_key), icon=spec.icon)
        st.divider()
        st.caption(tr("signed_in_as", name=user.name, role=label("role", user.role, lang())))
        if st.button(tr("logout"), key="crhq_logout_btn"):
            auth.logout(engine)
            st.rerun()


def page_path(page_id: str) -> str:
    return BY_ID[page_id].path


# ---- period picker -------------------------------------------------------------------------
PERIODS = ("period_ytd", "period_month", "period_quarter", "period_last_year", "period_custom")


def period_bounds(choice: str, today: date) -> tuple[date, date]:
    if choice == "period_month":
        return today.replace(day=1), today
    if choice == "period_quarter":
        return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today
    if choice == "period_last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    return date(today.year, 1, 1), today


def period_picker(prefix: str) -> tuple[date, date]:
    today = date.today()
    cols = st.columns([2, 1, 1])
    choice = cols[0].segmented_control(tr("period"), PERIODS, format_func=tr, default="period_ytd",
                                       key=f"{prefix}_period") or "period_ytd"
    start, end = period_bounds(choice, today)
    if choice == "period_custom":
        start = cols[1].date_input(tr("date_from"), value=today - timedelta(days=90), key=f"{prefix}_from")
        end = cols[2].date_input(tr("date_to"), value=today, key=f"{prefix}_to")
    return start, end


# ---- cached readers (keyed by database URL; cleared after writes) --------------------------
@st.cache_data(ttl=300, show_spinner=False)
def _headline(url: str, flt: KpiFilter) -> overview.Headline:
    with session_scope(get_engine()) as session:
        return overview.headline(flt, session=session)


@st.cache_data(ttl=300, show_spinner=False)
def _complaints_trend(url: str, flt: KpiFilter):
    with session_scope(get_engine()) as session:
        return overview.complaints_trend(flt, session=session)


def headline(flt: KpiFilter) -> overview.Headline:
    return _headline(get_settings().database_url, flt)


def complaints_trend(flt: KpiFilter):
    return _complaints_trend(get_settings().database_url, flt)


def clear_caches() -> None:
    st.cache_data.clear()


# ---- complaints ----------------------------------------------------------------------------
def make_filter(start: date, end: date, **lists) -> KpiFilter:
    values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in lists.items()}
    return KpiFilter(start=start, end=end, **values)


def delta(current, previous, decimals: int = 0) -> str | None:
    if current is None or previous is None:
        return None
    return f"{current - previous:+,.{decimals}f}"


def delta_rate(current, previous) -> str | None:
    if current is None or previous is None:
        return None
    return f"{(current - previous) * 100:+.1f} pt"


@st.cache_data(ttl=300, show_spinner=False)
def _org_options(url: str) -> dict:
    with session_scope(get_engine()) as session:
        return org.options(session=session)


def org_options() -> dict:
    return _org_options(get_settings().database_url)


@st.cache_data(ttl=300, show_spinner=False)
def _complaint_kpis(url: str, flt: KpiFilter) -> dict:
    with session_scope(get_engine()) as session:
        return complaints_kpis.compute(flt, session=session).kpis


def complaint_kpis(flt: KpiFilter) -> dict:
    return _complaint_kpis(get_settings().database_url, flt)


@st.cache_data(ttl=300, show_spinner=False)
def _complaint_breakdown(url: str, flt: KpiFilter, by: str):
    with session_scope(get_engine()) as session:
        return complaint_views.breakdown(flt, by, session=session)


def complaint_breakdown(flt: KpiFilter, by: str):
    return _complaint_breakdown(get_settings().database_url, flt, by)


@st.cache_data(ttl=300, show_spinner=False)
def _escalation_funnel(url: str, flt: KpiFilter):
    with session_scope(get_engine()) as session:
        return complaint_views.escalation_funnel(flt, session=session)


def escalation_funnel(flt: KpiFilter):
    return _escalation_funnel(get_settings().database_url, flt)


def import_complaints(data: bytes, filename: str, actor: str, progress):
    with session_scope(get_engine()) as session:
        result = complaint_import.import_complaints(data, filename, session=session, actor=actor,
                                                    progress=progress)
    clear_caches()
    return result
