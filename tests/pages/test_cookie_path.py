"""Issue #28, security: a login cookie revoked by logout or by a password reset is refused at the
cookie check itself (lib.auth._cookie_is_revoked, through users.session_is_valid), under AppTest with
the cookie a browser would send. The check shows: the library never restores the session from the
stale cookie, so the page is the plain login form — not a session restored, then thrown out with
"your session has ended" (which is what the later per-run check alone would give)."""
import time
from datetime import UTC, datetime

from lib.config import get_settings
from lib.db import session_scope
from lib.i18n import t
from lib.services import users
from tests.pages.conftest import app
from tests.pages.test_login_security import _cookie, _engine, _new_user, browser_cookie  # noqa: F401 - fixture

ENDED = t("err_session_ended", "zh")


def _signed_in_by_cookie(browser_cookie, username: str) -> None:  # noqa: F811 - the fixture's value
    _new_user(username)
    time.sleep(1.1)  # the cookie's issue time is in whole seconds, and must follow the account's creation
    browser_cookie[get_settings().cookie_name] = _cookie(username, datetime.now(UTC), days=7)
    at = app("app.py").run()
    assert not at.exception, at.exception
    assert at.metric and at.session_state["username"] == username  # control: the cookie signs the user in
    assert ENDED not in [w.value for w in at.warning]
    time.sleep(1.1)  # the revocation follows the issue time by more than its whole-second rounding


def _refused_at_the_cookie_check() -> None:
    at = app("app.py").run()
    assert not at.exception, at.exception
    assert not at.metric and not at.session_state["authentication_status"]
    assert not at.session_state["username"]  # never restored from the cookie ...
    assert ENDED not in [w.value for w in at.warning]  # ... so never thrown out of a restored session
    assert at.text_input(key="crhq_login_user").value == ""  # the login form, empty


def test_a_cookie_revoked_by_logout_is_refused_at_the_cookie_check(browser_cookie):  # noqa: F811
    _signed_in_by_cookie(browser_cookie, "cpath_logout")
    with session_scope(_engine()) as session:
        users.logout(session=session, username="cpath_logout")
    _refused_at_the_cookie_check()


def test_a_cookie_revoked_by_a_password_reset_is_refused_at_the_cookie_check(browser_cookie):  # noqa: F811
    _signed_in_by_cookie(browser_cookie, "cpath_reset")
    with session_scope(_engine()) as session:
        users.reset_password(session=session, username="cpath_reset", password="new-pass-123", actor="admin1")
    _refused_at_the_cookie_check()


def test_a_cookie_issued_after_the_revocation_still_signs_in(browser_cookie):  # noqa: F811
    # The other side of the boundary: a fresh login's cookie (issued after the reset) is accepted.
    _signed_in_by_cookie(browser_cookie, "cpath_fresh")
    with session_scope(_engine()) as session:
        users.reset_password(session=session, username="cpath_fresh", password="new-pass-123", actor="admin1")
    time.sleep(1.1)
    browser_cookie[get_settings().cookie_name] = _cookie("cpath_fresh", datetime.now(UTC), days=7)
    at = app("app.py").run()
    assert at.metric and at.session_state["username"] == "cpath_fresh"
