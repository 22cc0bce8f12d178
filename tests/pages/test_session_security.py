"""Issue #28, security on the per-run path of lib.auth.current_user (mutants auth-06, auth-07):
- a session that is signed in keeps being checked on every run: a password reset ends it at the next run;
- a session the library restored from a cookie is as old as the cookie (its `iat`), not "now", so a
  revocation after the cookie was issued ends it too."""
import time
from datetime import UTC, datetime

from lib.config import get_settings
from lib.db import session_scope
from lib.services import users
from tests.pages.conftest import app
from tests.pages.test_cookie_path import ENDED, _signed_in_by_cookie
from tests.pages.test_login_security import _cookie, _engine, _new_user, browser_cookie  # noqa: F401 - fixture


def test_a_signed_in_session_ends_at_the_next_run_after_a_password_reset(browser_cookie):  # noqa: F811
    _signed_in_by_cookie(browser_cookie, "sess_rerun")
    at = app("app.py").run()
    assert at.metric and at.session_state["username"] == "sess_rerun"  # signed in, this browser session
    with session_scope(_engine()) as session:
        users.reset_password(session=session, username="sess_rerun", password="new-pass-123", actor="admin1")
    at.run()  # the same browser session, its next run
    assert not at.exception, at.exception
    assert not at.metric and not at.session_state["authentication_status"]
    assert ENDED in [w.value for w in at.warning]


def test_a_session_restored_from_an_old_cookie_is_as_old_as_the_cookie(browser_cookie):  # noqa: F811
    _new_user("sess_old_cookie")
    time.sleep(1.1)
    issued = datetime.now(UTC)
    browser_cookie[get_settings().cookie_name] = _cookie("sess_old_cookie", issued, days=7)
    time.sleep(1.1)
    with session_scope(_engine()) as session:  # revoked after the cookie was issued
        users.logout(session=session, username="sess_old_cookie")
    # as the library leaves it after restoring from the cookie: signed in, no time of our own yet
    at = app("app.py", "staff1")
    at.session_state["username"] = at.session_state["name"] = "sess_old_cookie"
    at.run()
    assert not at.exception, at.exception
    assert not at.metric and not at.session_state["authentication_status"]
    assert ENDED in [w.value for w in at.warning]
