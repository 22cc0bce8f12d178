"""lib.auth's cookie and session checks called directly (no page run), pinned after the mutation run
(scripts/mutate.py) found them unheld: a forged or claim-less cookie counts as revoked, a callback of a
revoked session is refused, logout revokes server-side and forgets the session, revocation times are
UTC whatever the server's zone, a deactivated user's session is over."""
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import streamlit as st
import streamlit.runtime.context as st_context

from lib import auth, config
from lib.config import get_settings
from lib.db import session_scope
from lib.services import users


@pytest.fixture
def browser_cookie(monkeypatch):
    jar: dict[str, str] = {}
    monkeypatch.setattr(st_context.ContextProxy, "cookies", property(lambda self: dict(jar)))
    return jar


@pytest.fixture(autouse=True)
def fresh_session_state():
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    yield
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def _add(engine, username: str) -> users.UserInfo:
    with session_scope(engine) as session:
        users.add_user(session=session, username=username, role="staff", name=username, password="right-pass-1")
        return users.get_user(session=session, username=username)


def _info(engine, username: str) -> users.UserInfo:
    with session_scope(engine, readonly=True) as session:
        return users.get_user(session=session, username=username)


def _cookie(username: str, *, key: str | None = None, iat: float | None = None) -> str:
    claims = {"username": username, "exp_date": (datetime.now(UTC) + timedelta(days=7)).timestamp()}
    if iat is not None:
        claims["iat"] = int(iat)
    return jwt.encode(claims, key or config.cookie_key(None), algorithm="HS256")


def test_a_forged_or_claimless_cookie_counts_as_revoked_and_a_fresh_one_does_not(engine, browser_cookie):
    _add(engine, "ck1")
    name = get_settings().cookie_name
    time.sleep(1.1)  # the issue time is in whole seconds and must follow the account's creation (PyJWT
    later = time.time()  # refuses one in the future)
    browser_cookie[name] = _cookie("ck1", iat=later)
    assert auth._cookie_issued_at() == int(later)
    assert not auth._cookie_is_revoked(engine)
    browser_cookie[name] = _cookie("ck1", key="someone-elses-key-0123456789abcdef", iat=later)  # forged
    assert auth._cookie_issued_at() is None
    assert auth._cookie_is_revoked(engine)
    browser_cookie[name] = _cookie("ck1")  # the library's own cookie: no issue time of ours
    assert auth._cookie_is_revoked(engine)
    browser_cookie[name] = _cookie("ck1", iat=later)
    with session_scope(engine) as session:
        users.logout(session=session, username="ck1")  # revokes every cookie issued before now
    assert auth._cookie_is_revoked(engine)
    del browser_cookie[name]
    assert not auth._cookie_is_revoked(engine)  # no cookie: nothing to revoke


def test_a_callback_of_a_session_revoked_since_it_began_is_refused(engine):
    info = _add(engine, "ck2")
    began = info.sessions_valid_after.replace(tzinfo=UTC).timestamp() + 1
    st.session_state.update({"username": "ck2", "authentication_status": True, auth.AUTH_AT: began})
    assert auth.signed_in_still(engine) == "ck2"
    time.sleep(0.01)
    with session_scope(engine) as session:
        users.logout(session=session, username="ck2")  # e.g. in another browser
    st.session_state[auth.AUTH_AT] = _info(engine, "ck2").sessions_valid_after.replace(tzinfo=UTC).timestamp() - 1
    assert auth.signed_in_still(engine) is None


def test_logout_revokes_server_side_and_forgets_the_session(engine):
    before = _add(engine, "ck3").sessions_valid_after
    time.sleep(0.01)
    st.session_state.update({"username": "ck3", "name": "ck3", "roles": ["staff"], "authentication_status": False,
                             auth.AUTH_AT: time.time(), "crhq_authenticator": object()})
    auth.logout(engine)
    assert _info(engine, "ck3").sessions_valid_after > before  # every cookie issued before now is revoked
    assert all(st.session_state[k] is None for k in ("username", "name", "roles", auth.AUTH_AT))


def test_revocation_times_are_utc_whatever_the_servers_zone(engine, monkeypatch):
    # sessions_valid_after is stored as naive UTC; a cookie issued one second before it is revoked,
    # at it or after it is not — also on a server set to China Standard Time (UTC+8).
    info = _add(engine, "ck4")
    revoked_at = info.sessions_valid_after.replace(tzinfo=UTC).timestamp()
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        assert users.session_is_valid(info, revoked_at)
        assert not users.session_is_valid(info, revoked_at - 1)
        assert users.session_is_valid(info, revoked_at + 3600)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_deactivated_users_session_is_over_even_if_issued_later(engine):
    _add(engine, "ck5")
    with session_scope(engine) as session:
        users.set_active(session=session, username="ck5", active=False, actor="admin1")
    assert not users.session_is_valid(_info(engine, "ck5"), time.time() + 3600)
    assert not users.session_is_valid(None, time.time())


def test_the_cookie_the_app_issues_carries_its_real_issue_time(engine):
    # The revocation check compares this claim with sessions_valid_after: it must be now (whole seconds),
    # not later, or PyJWT refuses the cookie as "not yet valid" and a revocation in between is missed.
    _add(engine, "ck6")
    st.session_state["username"] = "ck6"
    model = auth._authenticator(engine).cookie_controller.cookie_model
    before = time.time()
    claims = jwt.decode(model._token_encode(), config.cookie_key(None), algorithms=["HS256"])
    assert claims["username"] == "ck6"
    assert int(before) <= claims["iat"] <= time.time()
