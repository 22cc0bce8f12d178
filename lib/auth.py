"""streamlit-authenticator wiring (the only place it is imported), login form, revocation, roles."""
from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
import streamlit as st
import streamlit_authenticator as stauth
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from streamlit_authenticator.utilities.exceptions import LoginError

from lib import config
from lib.db import session_scope
from lib.errors import DomainError
from lib.i18n import t
from lib.scope import GROUP_SCOPE, Scope
from lib.services import users

log = logging.getLogger(__name__)
AUTH_AT = "crhq_auth_at"  # when this browser session authenticated (epoch seconds)
LANG = "crhq_lang"
LANG_CHOSEN = "crhq_lang_chosen"  # the user picked a language on the login page (before signing in)


@dataclass(frozen=True)
class CurrentUser:
    username: str
    name: str
    role: str
    # The organisation scope, read from the database on every run like the role (lib.scope).
    scope: Scope = GROUP_SCOPE


def _secret_cookie_key() -> str | None:
    try:
        return st.secrets.get("CRHQ_COOKIE_KEY")
    except Exception:  # no secrets.toml at all
        return None


def _credentials(engine: Engine) -> dict:
    with session_scope(engine, readonly=True) as session:
        return {"usernames": users.active_credentials(session=session)}


def _authenticator(engine: Engine) -> stauth.Authenticate:
    settings = config.get_settings()
    authenticator = stauth.Authenticate(
        _credentials(engine), settings.cookie_name, config.cookie_key(_secret_cookie_key()),
        settings.cookie_expiry_days, auto_hash=False, login_sleep_time=0,
    )
    model = authenticator.cookie_controller.cookie_model
    # The library's JWT holds only username and expiry; ours also says when it was issued, so a
    # revocation holds whatever the expiry setting becomes later.
    model._token_encode = lambda: jwt.encode(
        {"username": st.session_state["username"], "exp_date": model.exp_date, "iat": int(time.time())},
        model.cookie_key, algorithm="HS256")
    return authenticator


def _raw_cookie() -> str | None:
    cookies = st.context.cookies
    return cookies.get(config.get_settings().cookie_name) if cookies else None


def _cookie_issued_at() -> float | None:
    """When the browser's login cookie was issued, from its own claim; None if it has none, or is
    absent, forged or damaged."""
    raw = _raw_cookie()
    if not raw:
        return None
    try:
        token = jwt.decode(raw, config.cookie_key(_secret_cookie_key()), algorithms=["HS256"])
        return float(token["iat"])
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        return None


def _cookie_is_revoked(engine: Engine) -> bool:
    if not _raw_cookie():
        return False
    issued_at = _cookie_issued_at()
    if issued_at is None:
        return True
    token = jwt.decode(_raw_cookie(), options={"verify_signature": False})
    with session_scope(engine, readonly=True) as session:
        info = users.get_user(session=session, username=str(token.get("username", "")))
    return not users.session_is_valid(info, issued_at)


def signed_in_still(engine: Engine) -> str | None:
    """The username if this browser session is still valid in the database now, else None. For
    callbacks: Streamlit runs them before the page script, so before current_user re-checks."""
    username, auth_at = st.session_state.get("username"), st.session_state.get(AUTH_AT)
    if not st.session_state.get("authentication_status") or not username or auth_at is None:
        return None
    with session_scope(engine, readonly=True) as session:
        info = users.get_user(session=session, username=username)
    return username if users.session_is_valid(info, auth_at) else None


def _clear_session() -> None:
    for key in ("name", "username", "authentication_status", "email", "roles", AUTH_AT):
        st.session_state[key] = None


RUN_COUNTER = "crhq_script_runs"  # script runs of this browser session (issue #27: one per navigation)
LIBRARY_KEYS = ("name", "username", "authentication_status", "email", "roles", "logout")


def _signed_in_from_cookie(engine: Engine) -> None:
    """A browser session not signed in yet: restore it from the login cookie, if it has one that is
    neither revoked nor forged. The library is constructed only here (and at login and logout): its
    cookie manager is a component that, once drawn on a page, sends the browser's cookies back and so
    reruns the script. Drawn on every run, every navigation ran the page twice (issue #27). Reading
    the cookie needs no component: the library reads it from the request (st.context.cookies)."""
    for key in LIBRARY_KEYS:  # what the library would set up, also when it is not constructed
        st.session_state.setdefault(key, None)
    if not _raw_cookie():
        return  # nothing to restore: the login form, without the component
    authenticator = _authenticator(engine)
    st.session_state["crhq_authenticator"] = authenticator  # this run's: login_form/logout reuse it
    if _cookie_is_revoked(engine):
        st.session_state["logout"] = True  # makes the library ignore the stale cookie
    try:
        authenticator.login(location="unrendered")
    except LoginError:
        _clear_session()


def current_user(engine: Engine) -> CurrentUser | None:
    """The signed-in user, re-checked against the database on every run (server-side)."""
    st.session_state[RUN_COUNTER] = st.session_state.get(RUN_COUNTER, 0) + 1
    st.session_state["crhq_authenticator"] = None  # constructed in this run only when needed
    if not st.session_state.get("authentication_status"):
        _signed_in_from_cookie(engine)
    if not st.session_state.get("authentication_status"):
        return None
    with session_scope(engine, readonly=True) as session:
        info = users.get_user(session=session, username=st.session_state.get("username") or "")
    if st.session_state.get(AUTH_AT) is None:  # restored from the cookie: as old as the cookie
        st.session_state[AUTH_AT] = _cookie_issued_at() or time.time()
        if info is not None:
            _settle_language(engine, info.username, info.language)
    if not users.session_is_valid(info, st.session_state[AUTH_AT]):
        _clear_session()
        st.session_state["crhq_session_ended"] = True
        return None
    st.session_state["roles"] = [info.role]  # the role always comes from the database
    return CurrentUser(info.username, info.name, info.role, info.scope)


@contextmanager
def database_errors_as_messages() -> Iterator[None]:
    """Turns a database failure into a DomainError the page shows in the user's language; the details
    go to the server log, never to the browser (they name files and SQL)."""
    try:
        yield
    except OperationalError as exc:
        log.warning("database busy or unavailable: %s", exc)
        raise DomainError("err_db_busy") from None
    except DBAPIError as exc:
        log.exception("database error: %s", exc)
        raise DomainError("err_db_failed") from None


def login_form(engine: Engine, lang: str) -> CurrentUser | None:
    """Our own form (for i18n, lockout and audit); the library's cookie marks the session."""
    if st.session_state.pop("crhq_session_ended", False):
        st.warning(t("err_session_ended", lang))
    holder = st.empty()
    with holder.form("crhq_login_form"):
        st.subheader(t("login_title", lang))
        username = st.text_input(t("username", lang), key="crhq_login_user")
        password = st.text_input(t("password", lang), type="password", key="crhq_login_password")
        submitted = st.form_submit_button(t("login_button", lang))
    if not submitted:
        return None
    with session_scope(engine, readonly=True) as session:
        delay = users.failure_delay_seconds(users.recent_failures(session=session, username=username))
    time.sleep(delay)  # slows guessing; the counter and the lock are kept by users.login
    try:
        with database_errors_as_messages():
            info = users.login(engine=engine, username=username, password=password)
    except DomainError as exc:  # LoginRefused, or a database that stayed busy
        st.error(t(exc.key, lang, **exc.params))
        return None
    holder.empty()
    st.session_state.update({"name": info.name, "username": info.username, "roles": [info.role],
                             "authentication_status": True, "logout": False, AUTH_AT: time.time()})
    _settle_language(engine, info.username, info.language)
    authenticator = st.session_state.get("crhq_authenticator") or _authenticator(engine)
    model = authenticator.cookie_controller.cookie_model
    if model.cookie_expiry_days != 0:
        model.exp_date = model._set_exp_date()
        expires = datetime.now() + timedelta(days=model.cookie_expiry_days)
        st.session_state[PENDING_COOKIE] = {"token": model._token_encode(), "expires": expires.isoformat(),
                                            "runs": PENDING_COOKIE_RUNS}
    return CurrentUser(info.username, info.name, info.role, info.scope)


PENDING_COOKIE = "crhq_cookie_pending"
PENDING_COOKIE_RUNS = 6


def write_pending_cookie(slot) -> None:
    """The sign-in cookie, drawn in the same place on every run after the sign-in until the browser
    says it is set (the component returns True), at most PENDING_COOKIE_RUNS runs. Drawn once only, it
    was lost whenever another rerun (the cookie manager's own reply, a widget) came before its iframe
    had loaded: the session then ended at the next reload. The component is the one the
    authenticator's CookieManager.set draws (extra-streamlit-components), with the same arguments."""
    pending = st.session_state.get(PENDING_COOKIE)
    if not pending:
        return
    from extra_streamlit_components.CookieManager import _component_func

    with slot:
        done = _component_func(method="set", cookie=config.get_settings().cookie_name, value=pending["token"],
                               options={"path": "/", "expires": pending["expires"], "sameSite": "strict"},
                               key="crhq_cookie_set", default=False)
    pending["runs"] -= 1
    if done or pending["runs"] <= 0:
        st.session_state.pop(PENDING_COOKIE, None)


def _settle_language(engine: Engine, username: str, stored: str) -> None:
    """At sign-in: a language the user chose on the login page stands and becomes their stored
    preference; otherwise their stored preference applies."""
    chosen = st.session_state.pop(LANG_CHOSEN, False) and st.session_state.get(LANG)
    if chosen in ("zh", "en"):
        if chosen != stored:
            with session_scope(engine) as session:
                users.set_language(session=session, username=username, language=chosen)
        return
    st.session_state[LANG] = stored


def logout(engine: Engine) -> None:
    username = st.session_state.get("username")
    if username:
        with session_scope(engine) as session:
            users.logout(session=session, username=username)
    authenticator = st.session_state.get("crhq_authenticator") or _authenticator(engine)
    if st.session_state.get("authentication_status"):
        authenticator.logout(location="unrendered")
    _clear_session()
