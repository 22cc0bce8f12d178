"""Issue #27: one script run per navigation. The authenticator's cookie manager is a component that, once
drawn on a page, sends the browser's cookies back and so reruns the script: drawn on every run, every
sidebar click ran the page twice. It is drawn only where a cookie is set, read back or deleted."""
import time
from datetime import UTC, datetime

from lib.config import get_settings
from tests.pages.conftest import app
from tests.pages.test_login_security import _cookie, _new_user, browser_cookie  # noqa: F401 - fixture


def _components(at) -> int:
    return len(at.get("component_instance"))


def test_a_signed_in_run_draws_no_cookie_component():
    at = app("pages/1_Complaints.py", "staff1").run()
    assert not at.exception, at.exception
    assert at.metric and _components(at) == 0
    at.switch_page("pages/6_Surveys.py").run()  # a navigation: still none, so nothing reruns it
    assert not at.exception and at.metric and _components(at) == 0


def test_the_plain_login_form_draws_none_either():
    at = app("app.py").run()
    assert at.text_input(key="crhq_login_user") is not None and _components(at) == 0
    assert at.session_state["authentication_status"] is None  # the library's keys are there all the same


def test_a_session_restored_from_its_cookie_draws_it_once(browser_cookie):  # noqa: F811
    _new_user("onerun1")
    time.sleep(1.1)  # the cookie's issue time is in whole seconds, and must follow the account's creation
    browser_cookie[get_settings().cookie_name] = _cookie("onerun1", datetime.now(UTC), days=7)
    at = app("app.py").run()
    assert at.session_state["username"] == "onerun1" and _components(at) == 1  # restoring: the library's
    at.run()
    assert at.metric and _components(at) == 0  # signed in from then on: none
