"""Helpers of the issue #23 usability page tests: a page opened in a language (the user's stored one,
which a sign-in applies), put back to Chinese afterwards."""
from __future__ import annotations

from contextlib import contextmanager

from lib.config import get_settings
from lib.db import make_engine, session_scope
from lib.services import users


@contextmanager
def stored_language(username: str, language: str):
    with session_scope(make_engine(get_settings().database_url)) as session:
        users.set_language(session=session, username=username, language=language)
    try:
        yield
    finally:
        with session_scope(make_engine(get_settings().database_url)) as session:
            users.set_language(session=session, username=username, language="zh")
