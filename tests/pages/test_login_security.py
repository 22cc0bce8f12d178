"""The login form as an attacker meets it, under AppTest: counting, lockout, audit, one answer for
every refusal, and login cookies that stay revoked whatever the settings become."""
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import streamlit.runtime.context as st_context
from sqlalchemy import select

from lib import config
from lib.config import get_settings
from lib.db import make_engine, session_scope
from lib.models import AuditLog, User
from lib.services import users
from tests.pages.conftest import app

REFUSED = "登录未成功：用户名或密码错误，或账号已停用或已锁定（连续失败 5 次锁定 15 分钟）。"


def _engine():
    return make_engine(get_settings().database_url)


def _new_user(username: str, *, active: bool = True) -> None:
    with session_scope(_engine()) as session:
        users.add_user(session=session, username=username, role="staff", name=username, password="right-pass-1")
        if not active:
            users.set_active(session=session, username=username, active=False, actor="admin1")


def _submit(username: str, password: str):
    at = app("app.py").run()
    at.text_input(key="crhq_login_user").input(username)
    at.text_input(key="crhq_login_password").input(password)
    started = time.perf_counter()
    at.button[0].click().run()
    return at, time.perf_counter() - started


def _reasons(username: str) -> list[str]:
    with session_scope(_engine()) as session:
        return [d for d in session.scalars(select(AuditLog.detail).where(
            AuditLog.action == "login_failed", AuditLog.entity_id == username).order_by(AuditLog.id))]


def test_five_wrong_passwords_on_the_form_lock_the_account_and_are_audited():
    _new_user("victim1")
    waits = []
    for _ in range(5):
        at, took = _submit("victim1", "guess")
        assert [e.value for e in at.error] == [REFUSED]
        assert not at.session_state["authentication_status"]
        waits.append(took)
    assert len(_reasons("victim1")) == 5  # each refusal outlived the form's failed login
    assert waits[3] >= 1.0 and waits[4] >= 2.0  # from the fourth try on, each answer waits longer
    with session_scope(_engine()) as session:
        locked_until = session.scalar(select(User.locked_until).where(User.username == "victim1"))
    assert locked_until is not None and locked_until > datetime.now(UTC).replace(tzinfo=None)
    at, _ = _submit("victim1", "right-pass-1")  # the right password is refused while locked
    assert [e.value for e in at.error] == [REFUSED] and not at.metric
    assert _reasons("victim1")[-1] == '{"reason": "locked"}'


def test_unknown_disabled_and_wrong_password_look_alike_on_the_form():
    _new_user("known1")
    _new_user("gone1", active=False)
    answers, times = {}, {}
    for username, password in (("known1", "nope-1"), ("nobody1", "nope-1"), ("gone1", "right-pass-1")):
        at, took = _submit(username, password)
        answers[username] = [e.value for e in at.error]
        times[username] = took
    assert answers == {"known1": [REFUSED], "nobody1": [REFUSED], "gone1": [REFUSED]}
    # bcrypt runs for unknown names too: the refusal costs at least most of one check at our cost
    import bcrypt
    hashed = bcrypt.hashpw(b"x", bcrypt.gensalt(rounds=12))
    started = time.perf_counter()
    bcrypt.checkpw(b"y", hashed)
    one_check = time.perf_counter() - started
    assert times["nobody1"] > 0.6 * one_check, (times, one_check)


def _cookie(username: str, issued: datetime, days: float) -> str:
    """A login cookie as the app issues it: username, expiry and its own issue time, signed."""
    return jwt.encode({"username": username, "exp_date": (issued + timedelta(days=days)).timestamp(),
                       "iat": int(issued.timestamp())}, config.cookie_key(None), algorithm="HS256")


@pytest.fixture
def browser_cookie(monkeypatch):
    """AppTest cannot send cookies: give the script run the cookie a browser would send."""
    jar: dict[str, str] = {}
    monkeypatch.setattr(st_context.ContextProxy, "cookies", property(lambda self: dict(jar)))
    return jar


def test_a_cookie_revoked_by_logout_stays_revoked_when_the_expiry_setting_is_lowered(browser_cookie, monkeypatch):
    _new_user("cookie1")
    time.sleep(1.1)  # the cookie's issue time is in whole seconds, and must follow the account's creation
    issued = datetime.now(UTC)
    browser_cookie[get_settings().cookie_name] = _cookie("cookie1", issued, days=7)
    at = app("app.py").run()
    assert at.metric and at.session_state["username"] == "cookie1"  # the cookie signs the user in
    with session_scope(_engine()) as session:
        users.logout(session=session, username="cookie1")
    monkeypatch.setenv("CRHQ_COOKIE_EXPIRY_DAYS", "1")
    get_settings.cache_clear()
    try:
        at = app("app.py").run()
        assert not at.metric and not at.session_state["authentication_status"]
    finally:
        monkeypatch.delenv("CRHQ_COOKIE_EXPIRY_DAYS")
        get_settings.cache_clear()


def test_a_cookie_without_its_issue_time_is_refused(browser_cookie):
    _new_user("cookie2")
    exp = (datetime.now(UTC) + timedelta(days=7)).timestamp()
    browser_cookie[get_settings().cookie_name] = jwt.encode({"username": "cookie2", "exp_date": exp},
                                                            config.cookie_key(None), algorithm="HS256")
    at = app("app.py").run()
    assert not at.metric and not at.session_state["authentication_status"]


def test_a_login_while_a_long_write_holds_the_database_gets_a_message_not_a_traceback():
    """A 1M-row import held SQLite's write lock; the login's attempt counter waited 10 s and failed
    with an unhandled 'database is locked' traceback naming files and SQL."""
    _new_user("busy1")
    with _engine().connect() as writer:
        writer.exec_driver_sql("DELETE FROM saved_view WHERE 0")  # BEGIN IMMEDIATE: the write lock is ours
        at, _ = _submit("busy1", "right-pass-1")
        writer.rollback()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["数据库正忙（可能有大批量导入正在进行），请稍后重试。您的操作未保存。"]
    at, _ = _submit("busy1", "right-pass-1")  # the lock gone, the same login works
    assert at.session_state["authentication_status"] is True


def test_tracebacks_are_not_shown_to_users():
    import tomllib

    from tests.pages.conftest import ROOT

    options = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert options["client"]["showErrorDetails"] == "none"
