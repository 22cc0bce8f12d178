"""What the browser journeys share: Debian's chromium, `streamlit run app.py` on a free port, signing in."""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from lib.local_server import CHROMIUM, FLAGS, ROOT, free_port, streamlit_app  # noqa: F401  (re-exported)

ARTIFACTS = ROOT / "test-artifacts"
COOKIE = "crhq_auth"


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: run the suite through scripts/test.sh")


@contextmanager
def streamlit_server(url: str, *, cookie_key: str, drop_env: tuple[str, ...] = ()) -> Iterator[tuple[str, dict]]:
    """`streamlit run app.py` on `url`'s database (lib.local_server): (its address, its environment) once
    the port answers; stopped afterwards."""
    env = {**os.environ, "DATABASE_URL": url, "CRHQ_COOKIE_KEY": cookie_key * 48}
    for name in drop_env:
        env.pop(name, None)
    with streamlit_app(env) as (base, _):
        yield base, env


def login(page, username: str, password: str, *, form_ms: int = 90_000, settle_ms: int = 500) -> None:
    """Sign in once the login form is there (`form_ms` at most). The plain login form draws no cookie
    component any more (issue #27), so nothing reruns the script under a login being typed; a short pause
    (`settle_ms`) still lets the first run's last deltas arrive."""
    # Playwright's 30 s default for every later click and wait was too short for the first server of a clean
    # clone on a loaded machine (every module compiled, jieba's dictionary loaded): a minute, the journeys' own
    page.set_default_timeout(60_000)
    page.get_by_label("用户名").wait_for(state="visible", timeout=form_ms)
    page.wait_for_timeout(settle_ms)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def wait_for_login_cookie(page, timeout: float = 60.0) -> None:
    """The sign-in cookie is written by the authenticator's cookie component, an iframe that sets it from
    the browser once it has loaded. A navigation before that removes the component unmounted, the cookie
    is never written, and a reload lands on the login form (the earlier flake: "stuck at the cookie
    iframe" after reload, under CI load). Wait for the cookie itself, not for the network to go idle."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if any(c["name"] == COOKIE for c in page.context.cookies()):
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"the sign-in cookie {COOKIE!r} was never written by the cookie component")
