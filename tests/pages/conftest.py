"""AppTest setup: one small seeded SQLite database for the whole page-test session."""
from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib import config
from lib.db import make_engine, session_scope
from lib.schema import init_db
from lib.services import seed, users

ROOT = Path(__file__).resolve().parents[2]
PASSWORDS = {"exec1": "exec-pass-1", "staff1": "staff-pass-1", "admin1": "admin-pass-1"}
ROLES = {"exec1": "executive", "staff1": "staff", "admin1": "admin"}


@pytest.fixture(scope="session", autouse=True)
def app_database(tmp_path_factory):
    path = tmp_path_factory.mktemp("apptest") / "pages.db"
    url = f"sqlite:///{path}"
    old = {k: os.environ.get(k) for k in ("DATABASE_URL", "CRHQ_COOKIE_KEY")}
    os.environ["DATABASE_URL"] = url
    os.environ["CRHQ_COOKIE_KEY"] = "k" * 48
    os.environ.setdefault("CRHQ_WARM_CACHES", "0")  # no background warming thread in the test process (lib.warm)
    config.get_settings.cache_clear()
    engine = make_engine(url)
    init_db(engine)
    with session_scope(engine) as session:
        seed.seed_demo(session=session, complaints=1500, seed=5, today=date.today(), employees=200,
                       survey_per_month=60)
        for username, password in PASSWORDS.items():
            users.add_user(session=session, username=username, role=ROLES[username], name=username,
                           password=password)
    yield url
    for key, value in old.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    config.get_settings.cache_clear()


def page_engine():
    """An engine on the database the pages use."""
    return make_engine(config.get_settings().database_url)


@contextmanager
def stored_language(username: str, language: str):
    """The user's stored language for the duration (a page follows it at sign-in), back to Chinese afterwards."""
    engine = page_engine()
    with session_scope(engine) as session:
        users.set_language(session=session, username=username, language=language)
    try:
        yield
    finally:
        with session_scope(engine) as session:
            users.set_language(session=session, username=username, language="zh")
        engine.dispose()


def app(script: str, username: str | None = None, lang: str | None = None, *, role: str | None = None,
        timeout: float = 30) -> AppTest:
    """`script` opened from the entry point, signed in as `username` (the role the session claims: `role`,
    else the page tests' own users'; the page reads role and scope from the database)."""
    # Always start from the entry point, as the browser does, so page links resolve; then open the page.
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    if script != "app.py":
        at.switch_page(script)
    if username:
        at.session_state["authentication_status"] = True
        at.session_state["username"] = username
        at.session_state["name"] = username
        at.session_state["roles"] = [role or ROLES[username]]
    if lang:
        at.session_state["crhq_lang"] = lang
    return at
