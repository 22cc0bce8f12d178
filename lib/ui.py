"""Shared page setup: engine, login gate, role check, sidebar menu, language, cached readers."""
from __future__ import annotations

import hashlib
import importlib
import json
import os
import threading
from dataclasses import replace
from datetime import date, timedelta
from functools import partial

import pandas as pd
import pyarrow as pa
import streamlit as st
from sqlalchemy.engine import Engine

from lib import analytics, auth, charts, exports, privacy, scope, sla, warm
from lib.config import get_settings, is_loopback
from lib.db import local_now, make_engine, session_scope
from lib.errors import DomainError
from lib.i18n import LANGUAGES, STRINGS, md_escape, t
from lib.imports import registry
from lib.imports.base import record_refusal
from lib.imports.core import error_report, error_report_csv
from lib.imports.reader import ImportRejected
from lib.kpis.common import KpiFilter
from lib.pages import BY_ID, WRITERS, may_open, menu_for
from lib.services import audit as audit_service
from lib.services import calendar as calendar_service
from lib.services import complaints as complaint_service
from lib.services import demo, org, reports, users
from lib.services import settings as app_settings
from lib.vocab import BUSINESS_LINES, CATEGORIES, CHANNELS, SEVERITIES, VOCABULARIES, label


@st.cache_resource(show_spinner=False)
def engine_for(url: str, demo_mode: bool) -> Engine:
    """One engine per process and database URL; the first call migrates (and seeds in demo mode)."""
    engine = make_engine(url)
    demo.bootstrap(engine, demo_mode=demo_mode)
    # A large database whose analytic mirror is missing or of an older format (an upgrade) rebuilds it
    # now, off any request, rather than when the first reader asks (4 minutes at 5M rows).
    analytics.refresh_in_background(engine)
    # Issue #23 item 14: the overview of every active user's scope is computed now, off any request, and
    # the reads pages make are computed again before they go stale (lib.warm).
    if os.environ.get("CRHQ_WARM_CACHES", "1") != "0":  # off in the page tests (one process, many databases)
        _warmer(url).start(partial(_warm_overviews, url, engine))
    return engine


def get_engine() -> Engine:
    settings = get_settings()
    return engine_for(settings.database_url, settings.demo_mode)


def lang() -> str:
    value = st.session_state.get(auth.LANG)
    return value if value in LANGUAGES else "zh"


def tr(key: str, **params: object) -> str:
    """A UI string in the user's language; text parameters (user data) are escaped for markdown."""
    return t(key, lang(), **{k: md_escape(v) if isinstance(v, str) else v for k, v in params.items()})


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


# ---- period picker -------------------------------------------------------------------------
EARLIEST = date(2000, 1, 1)  # date inputs otherwise stop ten years back; records are kept for good
PERIODS = ("period_ytd", "period_month", "period_quarter", "period_last_year", "period_custom")


def period_bounds(choice: str, today: date) -> tuple[date, date]:
    if choice == "period_month":
        return today.replace(day=1), today
    if choice == "period_quarter":
        return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today
    if choice == "period_last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    return date(today.year, 1, 1), today


QUERY_LISTS = ("company", "city", "project", "business_line", "touchpoint", "channel", "category", "severity")


def _apply_query(prefix: str) -> None:
    """A link from the overview (?from=…&to=…&company=…) presets this page's filters, once per link:
    after that the user's own choices stand. Unknown values are ignored, never trusted; a company, city
    or project outside the user's scope (SPEC §11) refuses the whole link with a message."""
    params = st.query_params
    if not params:
        return
    # The scope is checked on every run while the link is in the address bar, not only on its first:
    # the refusal stands until the user leaves the link.
    try:
        scope.check_names(current_reach(), companies=params.get_all("company"), cities=params.get_all("city"),
                          projects=params.get_all("project"))
    except DomainError as exc:
        st.error(error_text(exc))
        st.stop()
    signature = (prefix, tuple(sorted((k, tuple(params.get_all(k))) for k in params.keys())))
    if st.session_state.get("crhq_query_applied") == signature:
        return
    st.session_state["crhq_query_applied"] = signature
    try:
        start, end = date.fromisoformat(params.get("from", "")), date.fromisoformat(params.get("to", ""))
    except ValueError:
        start = end = None
    if params.get("period") in PERIODS and params.get("period") != "period_custom":
        st.session_state[f"{prefix}_period"] = params.get("period")
    if ("from" in params or "to" in params) and not (start and end and _in_range(start, end)):
        st.warning(tr("err_link_dates", earliest=EARLIEST.isoformat(), latest=_latest().isoformat()))
    elif start and end:
        st.session_state[f"{prefix}_period"] = "period_custom"
        st.session_state[f"{prefix}_from"] = start
        st.session_state[f"{prefix}_to"] = end
    opts = org_options()
    allowed = {"company": opts["company"], "city": opts["city"], "project": opts["project"],
               "business_line": list(BUSINESS_LINES), "touchpoint": list(VOCABULARIES["touchpoint"]),
               "channel": list(CHANNELS), "category": list(CATEGORIES), "severity": list(SEVERITIES)}
    for name in QUERY_LISTS:
        values = [v for v in params.get_all(name) if v in allowed[name]]
        if values:
            st.session_state[f"{prefix}_{name}"] = values


def _latest() -> date:
    return date(local_now().year + 1, 12, 31)


def _in_range(start: date, end: date) -> bool:
    return EARLIEST <= start <= end <= _latest()


def period_picker(prefix: str) -> tuple[date, date]:
    _apply_query(prefix)
    today = local_now().date()  # the business's date (China), not the server's: they differ 8 hours a day on UTC
    cols = st.columns([2, 1, 1])
    state = st.session_state
    for key in (f"{prefix}_from", f"{prefix}_to"):  # a value the date widget would refuse (and keep refusing)
        if key in state and not (isinstance(state[key], date) and EARLIEST <= state[key] <= _latest()):
            state.pop(key)

    def preset(key: str, value) -> dict:  # a default only when a link has not already set the value
        return {} if key in state else {"default" if key.endswith("_period") else "value": value}

    choice = cols[0].segmented_control(tr("period"), PERIODS, format_func=tr, key=f"{prefix}_period",
                                       **preset(f"{prefix}_period", "period_ytd")) or "period_ytd"
    start, end = period_bounds(choice, today)
    if choice == "period_custom":
        start = cols[1].date_input(tr("date_from"), key=f"{prefix}_from", min_value=EARLIEST, max_value=_latest(),
                                   **preset(f"{prefix}_from", today - timedelta(days=90)))
        end = cols[2].date_input(tr("date_to"), key=f"{prefix}_to", min_value=EARLIEST, max_value=_latest(),
                                 **preset(f"{prefix}_to", today))
    _keep_in_query(prefix, choice, start, end)
    return start, end


def _keep_in_query(prefix: str, choice: str, start: date, end: date) -> None:
    """The page's filters written to the address bar on every run (as Metabase and Explore do): a
    refresh keeps them and the address is a link to this view. Only values the user could choose go
    in (the pickers offer only the scope); a link naming others is refused by `_apply_query`."""
    state, params = st.session_state, st.query_params
    wanted: dict[str, list[str]] = {}
    if choice == "period_custom":
        wanted |= {"from": [start.isoformat()], "to": [end.isoformat()]}
    elif choice != "period_ytd":
        wanted["period"] = [choice]
    for name in QUERY_LISTS:  # the lists' widgets hold this run's values already (set before the script runs)
        values = state.get(f"{prefix}_{name}")
        if values:
            wanted[name] = [str(v) for v in values]
    managed = {"from", "to", "period", *QUERY_LISTS}
    kept = {k: params.get_all(k) for k in params.keys() if k not in managed}
    if {k: params.get_all(k) for k in params.keys() if k in managed} != wanted:
        params.from_dict({**kept, **wanted})
    # What is written is applied already: the next run must not re-apply it over the user's next choice.
    state["crhq_query_applied"] = (prefix, tuple(sorted((k, tuple(v)) for k, v in {**kept, **wanted}.items())))


# ---- cached readers (keyed by database URL and data version; cleared after writes) ---------
DATA_VERSION = "crhq_data_version"  # (script run, version) of this browser session


def clear_caches() -> None:
    st.cache_data.clear()
    for warmer in _WARMERS.values():
        warmer.forget_warmed()
    st.session_state.pop(DATA_VERSION, None)


def data_key() -> tuple:
    """What every cached read is keyed by: the database URL and its data version (lib.freshness), read
    once per script run. A write from any process (a page, a CLI import, a notify run) changes the
    version, so the next view reads afresh instead of serving the old figure until the TTL (issue #27)."""
    from lib.freshness import data_version

    run = st.session_state.get(auth.RUN_COUNTER)
    memo = st.session_state.get(DATA_VERSION)
    if run is not None and memo is not None and memo[0] == run:
        return get_settings().database_url, memo[1]
    with session_scope(get_engine(), readonly=True) as session:
        version = data_version(session)
    if run is not None:
        st.session_state[DATA_VERSION] = (run, version)
    return get_settings().database_url, version


# ---- organisation scope (SPEC §11) ---------------------------------------------------------
CURRENT_USER = "crhq_current_user"  # set by page_setup on every run, from the database


def current_scope() -> scope.Scope:
    """The signed-in user's scope; before page_setup has run (never on a page), nothing at all."""
    user = st.session_state.get(CURRENT_USER)
    return user.scope if user is not None else scope.Scope(companies=("\x00",))


@st.cache_data(ttl=60, show_spinner=False)
def _reach(data: tuple, scope_text: str) -> scope.Reach:
    with session_scope(get_engine(), readonly=True) as session:
        return scope.reach(scope.parse(scope_text), session=session)


def current_reach() -> scope.Reach:
    """What the signed-in user's scope covers: project and company ids, and the names they may filter on."""
    return _reach(data_key(), current_scope().as_text())


def scope_text(value: scope.Scope) -> str:
    """A scope as the user reads it: 集团（全部） / Group, or its entries by kind, in the user's language."""
    if value.is_group:
        return tr("scope_group")
    parts = [(tr("scope_region"), value.regions), (tr("scope_company"), value.companies),
             (tr("scope_project"), tuple(f"{c}/{p}" for c, p in value.projects))]
    return "; ".join(f"{name} {'、'.join(items)}" for name, items in parts if items)


def scoped(flt: KpiFilter) -> KpiFilter:
    """`flt` limited to the signed-in user's scope. A filter naming anything outside it is refused
    with a message and the page stops: never silently widened or emptied."""
    r = current_reach()
    if r.is_group:
        return flt
    try:
        scope.check_names(r, companies=flt.companies, cities=flt.cities, projects=flt.projects)
    except DomainError as exc:
        st.error(error_text(exc))
        st.stop()
    return scope.limited(flt, r)


# ---- complaints ----------------------------------------------------------------------------
def make_filter(start: date, end: date, **lists) -> KpiFilter:
    values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in lists.items()}
    return scoped(KpiFilter(start=start, end=end, **values))


def picked(event, field: str):
    """The value of `field` in the point a user clicked on a chart drawn with selection "pick"."""
    selection = (event or {}).get("selection", {}).get("pick") or []
    return selection[0].get(field) if selection else None


def month_filter(flt: KpiFilter, month: str) -> KpiFilter:
    """The filter narrowed to one "YYYY-MM" month (and still inside its own period)."""
    whole = reports.month_filter(month)
    return replace(flt, start=max(whole.start, flt.start), end=min(whole.end, flt.end))


def delta(current, previous, decimals: int = 0) -> str | None:
    if current is None or previous is None:
        return None
    return f"{current - previous:+,.{decimals}f}"


def delta_rate(current, previous) -> str | None:
    if current is None or previous is None:
        return None
    return f"{(current - previous) * 100:+.1f} pt"


@st.cache_data(ttl=300, show_spinner=False)
def _org_options(data: tuple, scope_text: str) -> dict:
    with session_scope(get_engine(), readonly=True) as session:
        return org.options(session=session, reach=scope.reach(scope.parse(scope_text), session=session))


def org_options() -> dict:
    """Filter choices: the companies, cities and projects inside the signed-in user's scope."""
    return _org_options(data_key(), current_scope().as_text())


def import_file(kind: str, data: bytes, filename: str, actor: str, progress, reach: scope.Reach | None = None,
                dry_run: bool = False):
    """An import as the signed-in user: a file with a row outside `reach` is refused whole (SPEC §11)."""
    with session_scope(get_engine()) as session:
        result = registry.import_file(kind, data, filename, session=session, actor=actor, progress=progress,
                                      reach=reach, dry_run=dry_run)
    if dry_run:
        return result
    analytics.refresh_in_background(get_engine())  # past 50,000 changes: a new snapshot, off the request
    clear_caches()
    return result


def complaint_filters(prefix: str) -> KpiFilter:
    """Period plus the eight complaint filters of issue #3, laid out in four columns."""
    start, end = period_picker(prefix)
    opts = org_options()

    def many(col, name: str, options, vocabulary: str | None = None):
        return multi(col, prefix, name, options, vocabulary)

    c1, c2, c3, c4 = st.columns(4)
    responsible = c4.selectbox(tr("responsible"), ["all", "yes", "no"], format_func=tr, key=f"{prefix}_responsible")
    return scoped(KpiFilter(
        start=start, end=end,
        companies=many(c1, "company", opts["company"]), cities=many(c2, "city", opts["city"]),
        projects=many(c3, "project", opts["project"]),
        business_lines=many(c4, "business_line", list(BUSINESS_LINES), "business_line"),
        channels=many(c1, "channel", list(CHANNELS), "channel"),
        categories=many(c2, "category", list(CATEGORIES), "category"),
        severities=many(c3, "severity", list(SEVERITIES), "severity"),
        responsible={"all": None, "yes": True, "no": False}[responsible],
    ))


def multi(col, prefix: str, name: str, options, vocabulary: str | None = None) -> tuple:
    """A multiselect whose empty choice means "all", with vocabulary codes shown as labels."""
    language = lang()
    fmt = (lambda c: label(vocabulary, c, language)) if vocabulary else str
    # No Streamlit "Select all" (English, and the same as choosing nothing here: empty means all)
    return tuple(col.multiselect(tr(name), options, format_func=fmt, key=f"{prefix}_{name}", placeholder=tr("all"),
                                 select_all=False))


def org_filters(prefix: str, **extra: tuple[str, list, str | None]) -> KpiFilter:
    """Period, company, city and project, plus extra lists given as field=(label key, options, vocabulary)."""
    start, end = period_picker(prefix)
    opts = org_options()
    cols = st.columns(3 + len(extra))
    values = {"companies": multi(cols[0], prefix, "company", opts["company"]),
              "cities": multi(cols[1], prefix, "city", opts["city"]),
              "projects": multi(cols[2], prefix, "project", opts["project"])}
    for col, (field, (name, options, vocabulary)) in zip(cols[3:], extra.items(), strict=True):
        values[field] = multi(col, prefix, name, options, vocabulary)
    return scoped(KpiFilter(start=start, end=end, **values))


def _field_label(name: str) -> str:
    for prefix in ("col_", "iss_col_", "sup_col_", "act_col_"):
        if f"{prefix}{name}" in STRINGS:
            return tr(f"{prefix}{name}")
    return name


def error_text(exc: DomainError) -> str:
    """A domain error in the user's language, with status codes shown as their labels."""
    params = dict(exc.params)
    if params.get("kind") in ("company", "city", "project"):  # err_out_of_scope: the kind in the user's language
        params["kind"] = tr(params["kind"])
    if isinstance(params.get("fields"), str):
        params["fields"] = "、".join(_field_label(f) for f in params["fields"].split(", "))
    for name in ("current", "target"):
        code = params.get(name)
        if isinstance(code, str):
            for vocabulary in ("complaint_status", "issue_status"):
                if code in VOCABULARIES[vocabulary]:
                    params[name] = label(vocabulary, code, lang())
                    break
            else:
                params[name] = tr(f"action_{code}") if f"action_{code}" in STRINGS else code
    return tr(exc.key, **params)


def flash(kind: str, message: str) -> None:
    """A message to show on the next run (set from callbacks, which run before the script)."""
    st.session_state["crhq_flash"] = (kind, message)


def show_flash() -> None:
    kind, message = st.session_state.pop("crhq_flash", (None, None))
    if kind == "success":
        st.success(message)
    elif kind == "error":
        st.error(message)
    elif kind == "info":
        st.info(message)


@st.cache_data(ttl=300, show_spinner=False)
def _project_choices(data: tuple, scope_text: str) -> dict[int, str]:
    with session_scope(get_engine(), readonly=True) as session:
        choices = org.project_choices(session=session)
        r = scope.reach(scope.parse(scope_text), session=session)
    return choices if r.is_group else {pid: name for pid, name in choices.items() if pid in r.projects}


def project_choices() -> dict[int, str]:
    """Projects a form may write to: those inside the signed-in user's scope (SPEC §11)."""
    return _project_choices(data_key(), current_scope().as_text())


@st.cache_data(ttl=60, show_spinner=False)
def _complaint_list(data: tuple, flt: KpiFilter, search: str, statuses: tuple[str, ...], overdue: bool,
                    include_void: bool, search_names: bool, queue: int | None = None,
                    limit: int = complaint_service.LIST_LIMIT, refs: tuple[str, ...] = ()):
    extra = [] if queue is None else complaint_service.queue_conditions(queue)
    if refs:  # a risk signal's complaints (issue #26), still within the filter and the scope
        extra.append(complaint_service.Complaint.ref.in_(refs))
    with session_scope(get_engine(), readonly=True) as session:
        return complaint_service.list_frame(flt, session=session, search=search, statuses=statuses,
                                            overdue_only=overdue, include_void=include_void,
                                            search_names=search_names, limit=limit, extra=extra or None)


def complaint_list(flt: KpiFilter, search: str = "", statuses: tuple[str, ...] = (), overdue: bool = False,
                   include_void: bool = False, *, role: str | None = None, queue: int | None = None):
    """The register's rows (of one escalation queue if `queue`); only a role that may see personal
    data searches names and phones. The filter is scoped here too (a no-op on a scoped one)."""
    return _complaint_list(data_key(), scoped(flt), search, statuses, overdue, include_void,
                           role in privacy.SEES_PERSONAL_DATA, queue)


PAGE_ROWS = complaint_service.LIST_LIMIT  # rows per page of a list


def complaint_page(flt: KpiFilter, search: str, statuses: tuple[str, ...], overdue: bool, include_void: bool,
                   *, role: str | None, queue: int | None, page: int,
                   refs: tuple[str, ...] = ()) -> tuple[pd.DataFrame, bool]:
    """One page (PAGE_ROWS rows, newest first) of the register's rows, and whether a next page exists:
    the rows up to the end of the page and one more are read, so the lists go past 500 rows. `refs`:
    only those complaints (a risk signal's drill-down)."""
    page = max(1, int(page))
    rows = _complaint_list(data_key(), scoped(flt), search, statuses, overdue, include_void,
                           role in privacy.SEES_PERSONAL_DATA, queue, page * PAGE_ROWS + 1, tuple(refs))
    start = (page - 1) * PAGE_ROWS
    return rows.iloc[start:start + PAGE_ROWS].reset_index(drop=True), len(rows) > page * PAGE_ROWS


def _require_valid_session() -> None:
    """Writes come from callbacks, which run before page_setup: a session revoked since the form was
    drawn (disabled, role changed, logged out elsewhere) writes nothing."""
    if auth.signed_in_still(get_engine()) is None:
        raise DomainError("err_session_ended")


def write(fn, *args, **kwargs):
    """Run a service call in its own transaction, then drop cached reads so pages show the change. A
    database that stays busy (another long write) is a message in the user's language, not a traceback."""
    _require_valid_session()
    with auth.database_errors_as_messages():
        with session_scope(get_engine()) as session:
            result = fn(*args, session=session, **kwargs)
    clear_caches()
    return result


COMPLAINT_VOCAB = {"status": "complaint_status", "channel": "channel", "business_line": "business_line",
                   "category": "category", "severity": "severity", "escalation_level": "escalation_level"}


def present_complaints(frame, role: str | None):
    """Rows for a list: personal data masked for every role (staff reveal one record at a time, audited,
    in the register's detail view), vocabularies labelled, headers in the user's language. Values stay
    plain text (st.dataframe never renders HTML)."""
    shown = privacy.masked(frame).copy()
    language = lang()
    for column, vocabulary in COMPLAINT_VOCAB.items():
        if column in shown:
            shown[column] = [label(vocabulary, None if v is None or pd.isna(v) else str(v), language)
                             for v in shown[column]]
    if "responsible" in shown:
        shown["responsible"] = [tr("yes") if v else tr("no") for v in shown["responsible"]]
    if {"received_at", "channel", "severity", "responsible", "first_response_due_at",
        "resolution_due_at"} <= set(frame.columns) and len(frame):
        # SPEC §13: a due time counted over a year nobody confirmed says so
        flags = [any(sla.estimated(_moment(r.received_at), r.channel, r.severity, bool(r.responsible),
                                   _moment(r.first_response_due_at), _moment(r.resolution_due_at)))
                 for r in frame.itertuples()]
        shown["due_estimated"] = [tr("estimated_suffix").strip(" （）()") if f else "" for f in flags]
    return shown.rename(columns={c: tr(f"col_{c}") for c in shown.columns})


def _moment(value):
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def reveal(actor: str, role: str, entity: str, ref: str, state_key: str) -> None:
    """on_click of "show contact details": staff and admin only (the page drew the button from the role
    it read from the database; callback arguments never come from the browser), audited, one record."""
    if role not in privacy.SEES_PERSONAL_DATA or auth.signed_in_still(get_engine()) != actor:
        return
    with session_scope(get_engine()) as session:
        audit_service.record(session=session, actor=actor, action="reveal_personal_data", entity=entity,
                             entity_id=ref)
    st.session_state[state_key] = ref


def reveal_toggled(actor: str, role: str, entity: str, what: str, state_key: str) -> None:
    """on_change of a "show phones" toggle: turning it on is audited; off needs nothing."""
    if role not in privacy.SEES_PERSONAL_DATA or auth.signed_in_still(get_engine()) != actor:
        st.session_state[state_key] = False
        return
    if st.session_state.get(state_key):
        with session_scope(get_engine()) as session:
            audit_service.record(session=session, actor=actor, action="reveal_personal_data", entity=entity,
                                 entity_id=what)


DOWNLOAD_LIFETIME_S = 3.0


def _expire_taken_downloads() -> None:
    """Streamlit's media endpoint serves a file to anyone with its URL, session or not, and keeps a
    taken download until two more script runs. Files no session shows any more are dropped now."""
    from streamlit import runtime

    if runtime.exists():
        manager = runtime.get_instance().media_file_mgr
        manager.remove_orphaned_files()  # the first pass only marks a download, the second deletes it
        manager.remove_orphaned_files()


def row_export(frame: pd.DataFrame, *, fmt: str, kind: str, user: auth.CurrentUser):
    """The data of a row download, made when the browser asks for the file. Streamlit serves that
    request without the session and without running the page, so the callable itself re-checks the
    account in the database (still active, still a row exporter, session not revoked) and writes the
    audit entry: a client that fetches the file and skips the click's rerun is audited all the same."""
    engine, auth_at, language = get_engine(), st.session_state.get(auth.AUTH_AT), lang()

    def make() -> bytes:
        with session_scope(engine) as session:
            info = users.get_user(session=session, username=user.username)
            if auth_at is None or not users.session_is_valid(info, auth_at) or info.role not in exports.ROW_EXPORTERS:
                raise DomainError("err_forbidden_action")
            data = exports.rows_for_download(frame, fmt=fmt, role=info.role, lang=language, kind=kind)
            exports.record_export(session=session, actor=user.username, kind=kind, fmt=fmt, rows=len(frame))
        _expire_soon()
        return data

    return make


def _expire_soon() -> None:
    timer = threading.Timer(DOWNLOAD_LIFETIME_S, _expire_taken_downloads)
    timer.daemon = True
    timer.start()


def audit_export(actor: str, kind: str, fmt: str, rows: int) -> None:
    """on_click of a download button: the export is audited when the user actually takes it, and its
    file stops being served a few seconds later (time for the browser to fetch it)."""
    with session_scope(get_engine()) as session:
        exports.record_export(session=session, actor=actor, kind=kind, fmt=fmt, rows=rows)
    _expire_soon()


def import_panel(kind: str, user: auth.CurrentUser, title_key: str = "import_file") -> None:
    """Upload, a dry run (what would be added, updated field by field, unchanged, refused), then on
    confirmation the import all-or-nothing with a progress bar; the row-level error report on refusal.
    Refusals are audited too. After the write the page is drawn again from fresh caches."""
    if user.role not in WRITERS:  # checked here too: the panel is never a way in for executives
        return
    anchor = f"import-{kind.replace('_', '-')}"
    st.sidebar.markdown(f"[⤓ {tr(title_key)}](#{anchor})")  # reachable from the top of the page
    st.subheader(tr(title_key), anchor=anchor)
    done = st.session_state.pop(f"{kind}_import_done", None)
    if done:
        st.success(tr("imp_done", **done))
    upload = st.file_uploader(tr(title_key), type=["csv", "xlsx"], key=f"{kind}_upload",
                              label_visibility="collapsed")
    st.caption(import_columns_text(kind))
    preview_key = f"{kind}_import_preview"
    if upload is None:
        st.session_state.pop(preview_key, None)
        return
    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    preview = st.session_state.get(preview_key)
    if preview is not None and preview[0] != (digest, upload.name):
        st.session_state.pop(preview_key, None)
        preview = None
    if preview is None:
        if not st.button(tr("import_check_button"), key=f"{kind}_import_btn"):
            return
        result = _run_import_panel(kind, user, data, upload.name, dry_run=True)
        if result is None:
            return
        st.session_state[preview_key] = preview = ((digest, upload.name), result)
    _show_preview(kind, preview[1])
    cols = st.columns([1, 1, 4])
    if cols[1].button(tr("import_cancel"), key=f"{kind}_import_cancel"):
        st.session_state.pop(preview_key, None)
        st.rerun()
    if not cols[0].button(tr("import_confirm"), key=f"{kind}_import_confirm", type="primary"):
        return
    result = _run_import_panel(kind, user, data, upload.name, dry_run=False)
    st.session_state.pop(preview_key, None)
    if result is None:
        return
    st.session_state[f"{kind}_import_done"] = {k: getattr(result, k) for k in
                                               ("rows", "inserted", "updated", "unchanged", "created_projects")}
    st.rerun()  # the page above the panel was drawn before the write: draw it again, from fresh caches


def _run_import_panel(kind: str, user: auth.CurrentUser, data: bytes, filename: str, *, dry_run: bool):
    """One import (or dry run) from the panel; a refusal is shown with its report, audited, and None."""
    bar = st.progress(0.0)
    try:
        with auth.database_errors_as_messages():  # e.g. the final commit on a database that stays busy
            return import_file(kind, data, filename, user.username, bar.progress, reach=current_reach(),
                               dry_run=dry_run)
    except ImportRejected as exc:
        with auth.database_errors_as_messages():
            record_refusal(get_engine(), actor=user.username, kind=kind, filename=filename, exc=exc,
                           dry_run=dry_run)
        st.error(tr(exc.key, **exc.params))
        if exc.errors:
            st.dataframe(error_report(exc.errors), hide_index=True, key=f"{kind}_import_errors")
            # The report repeats the file's values (names, phones): made on click, audited, then expired.
            st.download_button(tr("download_errors"), partial(error_report_csv, exc.errors),
                               file_name=f"{kind}_errors.csv", mime="text/csv", key=f"{kind}_errors_dl",
                               on_click=audit_export, args=(user.username, f"{kind}_import_errors", "csv",
                                                            len(exc.errors)))
    except DomainError as exc:
        st.error(tr(exc.key, **exc.params))
    return None


def _import_field(kind: str, name: str) -> str:
    """A field an import changes, named as the import's columns name it in the user's language."""
    specs = {c.name: c for c in registry.IMPORTERS[kind].columns}
    column = name[:-3] if name.endswith("_id") and name[:-3] in specs else name
    if column in specs:
        return specs[column].zh if lang() == "zh" else column.replace("_", " ")
    shown = _field_label(column)
    return shown if shown != column else column.replace("_", " ")


def _show_preview(kind: str, result) -> None:
    """The dry run's outcome: counts, each changed field with how many records it changes, and the
    first changes old → new."""
    st.info(tr("imp_preview", rows=result.rows, inserted=result.inserted, updated=result.updated,
               unchanged=result.unchanged, created_projects=result.created_projects))
    if result.changed_fields:
        st.markdown(tr("imp_preview_fields", fields="、".join(
            f"{_import_field(kind, name)} ({n})" for name, n in result.changed_fields.items())))
    if result.changes:
        frame = pd.DataFrame(result.changes, columns=["key", "field", "old", "new"])
        projects = {str(k): v for k, v in project_choices().items()}
        for side in ("old", "new"):  # a project moved: its names, not its ids
            moved = frame["field"] == "project_id"
            frame.loc[moved, side] = frame.loc[moved, side].map(lambda v: projects.get(v, v))
        frame["field"] = frame["field"].map(partial(_import_field, kind))
        frame = frame.fillna("—").rename(columns={"key": tr("imp_col_key"), "field": tr("imp_col_field"),
                                                  "old": tr("imp_col_old"), "new": tr("imp_col_new")})
        st.dataframe(frame, hide_index=True, key=f"{kind}_import_changes")


def read(fn, *args, **kwargs):
    """An uncached read in its own session (detail views must show the record as it is now)."""
    with session_scope(get_engine(), readonly=True) as session:
        return fn(*args, session=session, **kwargs)


@st.cache_data(ttl=300, show_spinner=False)
def _settings_value(data: tuple, key: str):
    with session_scope(get_engine(), readonly=True) as session:
        return app_settings.get(key, session=session)


def complaint_categories() -> list[str]:
    return _settings_value(data_key(), "complaint_categories")


def present_events(events, vocabulary: str = "complaint", *, revealed: bool = False):
    """Event history: who, when, what — changes as "field: old → new" lines, plain text. Names and
    phones in the changes are masked unless this record's personal data is revealed to the viewer."""
    language = lang()

    def value(field: str, shown) -> str:
        if shown in (None, ""):
            return "—"
        return audit_service.change_value(field, shown if revealed else privacy.mask_field(field, shown), language,
                                          vocabulary)

    def describe(changes: str | None) -> str:
        return audit_service.changes_text(json.loads(changes), language, vocabulary, value) if changes else ""

    local = audit_service.to_business_time(events["at"])
    prefix = "event" if vocabulary == "complaint" else "iev"
    shown = events.assign(at=local, action=[tr(f"{prefix}_{a}") for a in events["action"]],
                          changes=[describe(c) for c in events["changes"]])
    return shown.rename(columns={"at": tr("at_business"), "actor": tr("actor"), "action": tr("action"),
                                 "changes": tr("changes"), "note": tr("note"), "told": tr("iss_what_told")})


def import_columns_text(kind: str) -> str:
    """Required and optional columns of an import kind, in the user's language (from the importer itself)."""
    columns = registry.IMPORTERS[kind].columns
    def names(required: bool) -> str:
        return "、".join(f"{c.zh} {c.name}" if lang() == "zh" else f"{c.name} ({c.zh})"
                         for c in columns if c.required == required)
    return tr("import_columns", required=names(True), optional=names(False) or "—")


@st.cache_data(ttl=2 * warm.STEP, max_entries=2000, show_spinner=False)
def _cached(data: tuple, target: str, generation: int, *args, **kwargs):
    module, name = target.split(":")
    fn = getattr(importlib.import_module(module), name)
    with session_scope(engine_for(data[0], get_settings().demo_mode), readonly=True) as session:
        return fn(*args, session=session, **kwargs)


def cached(fn, *args, **kwargs):
    """A cached read-only service call, keyed by database URL, data version, the clock's generation and
    arguments; cleared after every write here, and read afresh after a write anywhere (`data_key`, issue
    #27). The read is remembered and computed again on a background thread before the next generation
    starts (lib.warm, issue #23), so a page's reads stay warm while it is used."""
    data, target = data_key(), f"{fn.__module__}:{fn.__qualname__}"
    _warmer(data[0]).used(repr((target, args, sorted(kwargs.items()))), target, args, kwargs)
    return _cached(data, target, warm.generation(), *args, **kwargs)


def _version_key(url: str) -> tuple:
    """`data_key` off any request (the warming thread): the URL and the data version as it is now."""
    from lib.freshness import data_version

    with session_scope(engine_for(url, get_settings().demo_mode), readonly=True) as session:
        return url, data_version(session)


_WARMERS: dict[str, warm.Warmer] = {}
_WARMERS_LOCK = threading.Lock()


def _warmer(url: str) -> warm.Warmer:
    with _WARMERS_LOCK:
        if url not in _WARMERS:
            _WARMERS[url] = warm.Warmer(
                lambda gen, target, args, kwargs: _cached(_version_key(url), target, gen, *args, **kwargs))
        return _WARMERS[url]


def _warm_overviews(url: str, engine: Engine) -> None:
    """At server start: the overview as each active user's scope first sees it (the default period, the
    same arguments app.py passes), into the current generation's cache and the warmer's list."""
    from lib.services import overview  # the overview's own module (heavy imports, needed only here)

    with session_scope(engine, readonly=True) as session:
        scopes = users.active_scopes(session=session)
    start, end = period_bounds("period_ytd", local_now().date())
    target = f"{overview.board.__module__}:{overview.board.__qualname__}"
    data = _version_key(url)
    for text in scopes[:warm.START_SCOPES]:
        reach = _reach(url, text)
        flt = scope.limited(KpiFilter(start=start, end=end), reach)
        _warmer(url).used(repr((target, (flt,), [("reach", reach)])), target, (flt,), {"reach": reach})
        _cached(data, target, warm.generation(), flt, reach=reach)


@st.cache_data(max_entries=500, show_spinner=False)
def _chart_spec(builder: str, digest: str, options: tuple, _data: pd.DataFrame) -> dict:
    out = charts.spec(getattr(charts, builder)(_data, **dict(options)))
    # Streamlit sends each named dataset as Arrow IPC bytes and takes bytes found here as they are.
    out["datasets"] = {name: _arrow_bytes(values) for name, values in out.get("datasets", {}).items()}
    return out


def _arrow_bytes(records: list[dict]) -> bytes:
    table = pa.Table.from_pandas(pd.DataFrame.from_records(records), preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def chart(builder, data: pd.DataFrame, *, where=st, key: str | None = None, on_select: str = "ignore",
          **options):
    """Draw `builder(data, **options)` (a `lib.charts` builder) at `where`, full width. The spec is built
    once per data and labels and kept in the data cache, its data already in Arrow: on a rerun the page
    sends it as it is. (Building and validating the Altair objects was most of a warm page's run.)
    The cache is keyed by a digest of the frame's JSON, 0.1 ms where Streamlit's own hashing of a small
    frame took 2.4 ms (the pickled frame was no key: a frame read back from the data cache pickles
    differently from the one first computed, so every first rerun missed). With on_select="rerun" it
    returns the selection, as `st.altair_chart` does."""
    digest = hashlib.blake2b(data.to_json(orient="split", date_format="iso", double_precision=15).encode(),
                             digest_size=16).hexdigest()
    spec = _chart_spec(builder.__name__, digest, tuple(sorted(options.items())), data)
    return where.vega_lite_chart(spec, width="stretch", key=key, on_select=on_select)


# ---- risk signals (issue #26) --------------------------------------------------------------
def _signal_link(where, query: str, label_key: str) -> None:
    from urllib.parse import parse_qsl
    where.page_link(page_path("register"), label=tr(label_key), icon=":material/arrow_forward:",
                    query_params=dict(parse_qsl(query)))


def _escalate_signal(ref: str, version: int, words: str, actor: str) -> None:
    try:
        write(complaint_service.escalate, ref, 1, actor=actor, version=version,
              note=tr("sig_escalate_note", words=words), reach=current_reach())
    except DomainError as exc:
        flash("error", error_text(exc))
        return
    flash("success", tr("sig_escalated", ref=ref))


def signals_panel(flt: KpiFilter, user: auth.CurrentUser, prefix: str) -> None:
    """The risk signals of a (scoped) filter: three counts and their lists; a picked row opens its
    complaints in the register (`refs=`). Refs, projects, counts and masked excerpts only: no name, phone
    or hash reaches the page, whatever the role. Writers get the suggested escalation to HQ."""
    from lib.services import signals as sig

    found = cached(sig.compute, scoped(flt))
    r = found.rules
    st.subheader(tr("sig_title"))
    st.caption(tr("sig_caption", n=r.group_min, hours=f"{r.window_hours:g}", days=r.repeat_days))
    # The counts head each list (not st.metric: the pages' own cards keep their number and layout).
    language = lang()

    def when(value) -> str:
        return value.strftime("%Y-%m-%d %H:%M")

    def table(rows: list[dict], key: str):
        if not rows:
            st.caption(tr("sig_none"))
            return None
        picked = st.dataframe(pd.DataFrame(rows), hide_index=True, key=key, on_select="rerun",
                              selection_mode="single-row")
        chosen = picked.selection.rows if picked and picked.selection else []
        if not chosen:
            st.caption(tr("sig_pick_hint"))
        return chosen[0] if chosen else None

    with st.expander(f"{tr('sig_group')} · {len(found.group_complaints)}"):
        groups = found.group_complaints
        i = table([{tr("sig_col_company"): g.company, tr("sig_col_project"): g.project,
                    tr("sig_col_category"): label("category", g.category, language) if g.category else g.term,
                    tr("sig_col_count"): g.count, tr("sig_col_first"): when(g.first_at),
                    tr("sig_col_last"): when(g.last_at), tr("sig_col_refs"): "、".join(g.refs)} for g in groups],
                  f"{prefix}_sig_group")
        if i is not None:
            _signal_link(st, sig.refs_query(groups[i].refs, groups[i].first_at, groups[i].last_at), "sig_open_register")
    with st.expander(f"{tr('sig_repeat')} · {len(found.repeat_complainants)}"):
        homes = found.repeat_complainants
        i = table([{tr("sig_col_household"): tr("sig_household_n", n=h.household),
                    tr("sig_col_project"): "、".join(h.projects), tr("sig_col_count"): h.count,
                    tr("sig_col_repeats"): h.repeats, tr("sig_col_first"): when(h.first_at),
                    tr("sig_col_last"): when(h.last_at), tr("sig_col_refs"): "、".join(h.refs)} for h in homes],
                  f"{prefix}_sig_repeat")
        if i is not None:
            _signal_link(st, sig.refs_query(homes[i].refs, homes[i].first_at, homes[i].last_at), "sig_open_register")
    with st.expander(f"{tr('sig_exposure')} · {len(found.exposure)}"):
        hits = found.exposure
        i = table([{tr("sig_col_refs"): e.ref, tr("sig_col_company"): e.company, tr("sig_col_project"): e.project,
                    tr("sig_col_received"): when(e.received_at), tr("sig_col_words"): "、".join(e.words),
                    tr("sig_col_quote"): e.quote,
                    tr("sig_col_level"): label("escalation_level", str(e.escalation_level), language)} for e in hits],
                  f"{prefix}_sig_exposure")
        if i is not None:
            e = hits[i]
            _signal_link(st, sig.refs_query((e.ref,), e.received_at, e.received_at), "sig_open_complaint")
            if user.role in WRITERS and e.escalation_suggested:
                st.button(tr("sig_escalate"), key=f"{prefix}_sig_escalate_{e.ref}", icon=":material/upload:",
                          on_click=_escalate_signal, args=(e.ref, e.version, "、".join(e.words), user.username))
            elif user.role in WRITERS:
                st.caption(tr("sig_already_escalated"))
