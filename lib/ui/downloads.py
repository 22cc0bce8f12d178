"""Row downloads and exports: made on request, checked and audited, and no longer served once taken."""
from __future__ import annotations

import threading

import pandas as pd
import streamlit as st

from lib import auth, exports
from lib.db import session_scope
from lib.errors import DomainError
from lib.services import users
from lib.ui.cache import get_engine
from lib.ui.language import lang

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
