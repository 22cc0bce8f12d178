"""The import panel: upload, dry run with its preview, then the import all-or-nothing."""
from __future__ import annotations

import hashlib
from functools import partial

import pandas as pd
import streamlit as st

from lib import analytics, auth, scope
from lib.db import session_scope
from lib.errors import DomainError
from lib.imports import registry
from lib.imports.base import record_refusal
from lib.imports.core import error_report, error_report_csv
from lib.imports.reader import ImportRejected
from lib.pages import WRITERS
from lib.ui.cache import clear_caches, get_engine
from lib.ui.downloads import audit_export
from lib.ui.language import _field_label, lang, tr
from lib.ui.org_scope import current_reach, project_choices


def import_file(kind: str, data: bytes, filename: str, actor: str, progress, reach: scope.Reach | None = None,
                dry_run: bool = False):
    """An import as the signed-in user: a file with a row outside `reach` is refused whole (SPEC §11)."""
    with session_scope(get_engine()) as session:
        result = registry.import_file(kind, data, filename, session=session, actor=actor, progress=progress,
                                      reach=reach, dry_run=dry_run)
    if dry_run:
        return result
    analytics.refresh_in_background(get_engine())  # past 50,000 changes: a new snapshot, off the request
    clear_caches()
    return result


def import_panel(kind: str, user: auth.CurrentUser, title_key: str = "import_file") -> None:
    """Upload, a dry run (what would be added, updated field by field, unchanged, refused), then on
    confirmation the import all-or-nothing with a progress bar; the row-level error report on refusal.
    Refusals are audited too. After the write the page is drawn again from fresh caches."""
    if user.role not in WRITERS:  # checked here too: the panel is never a way in for executives
        return
    anchor = f"import-{kind.replace('_', '-')}"
    st.sidebar.markdown(f"[⤓ {tr(title_key)}](#{anchor})")  # reachable from the top of the page
    st.subheader(tr(title_key), anchor=anchor)
    done = st.session_state.pop(f"{kind}_import_done", None)
    if done:
        st.success(tr("imp_done", **done))
    upload = st.file_uploader(tr(title_key), type=["csv", "xlsx"], key=f"{kind}_upload",
                              label_visibility="collapsed")
    st.caption(import_columns_text(kind))
    preview_key = f"{kind}_import_preview"
    if upload is None:
        st.session_state.pop(preview_key, None)
        return
    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    preview = st.session_state.get(preview_key)
    if preview is not None and preview[0] != (digest, upload.name):
        st.session_state.pop(preview_key, None)
        preview = None
    if preview is None:
        if not st.button(tr("import_check_button"), key=f"{kind}_import_btn"):
            return
        result = _run_import_panel(kind, user, data, upload.name, dry_run=True)
        if result is None:
            return
        st.session_state[preview_key] = preview = ((digest, upload.name), result)
    _show_preview(kind, preview[1])
    cols = st.columns([1, 1, 4])
    if cols[1].button(tr("import_cancel"), key=f"{kind}_import_cancel"):
        st.session_state.pop(preview_key, None)
        st.rerun()
    if not cols[0].button(tr("import_confirm"), key=f"{kind}_import_confirm", type="primary"):
        return
    result = _run_import_panel(kind, user, data, upload.name, dry_run=False)
    st.session_state.pop(preview_key, None)
    if result is None:
        return
    st.session_state[f"{kind}_import_done"] = {k: getattr(result, k) for k in
                                               ("rows", "inserted", "updated", "unchanged", "created_projects")}
    st.rerun()  # the page above the panel was drawn before the write: draw it again, from fresh caches


def _run_import_panel(kind: str, user: auth.CurrentUser, data: bytes, filename: str, *, dry_run: bool):
    """One import (or dry run) from the panel; a refusal is shown with its report, audited, and None."""
    bar = st.progress(0.0)
    try:
        with auth.database_errors_as_messages():  # e.g. the final commit on a database that stays busy
            return import_file(kind, data, filename, user.username, bar.progress, reach=current_reach(),
                               dry_run=dry_run)
    except ImportRejected as exc:
        with auth.database_errors_as_messages():
            record_refusal(get_engine(), actor=user.username, kind=kind, filename=filename, exc=exc,
                           dry_run=dry_run)
        st.error(tr(exc.key, **exc.params))
        if exc.errors:
            st.dataframe(error_report(exc.errors), hide_index=True, key=f"{kind}_import_errors")
            # The report repeats the file's values (names, phones): made on click, audited, then expired.
            st.download_button(tr("download_errors"), partial(error_report_csv, exc.errors),
                               file_name=f"{kind}_errors.csv", mime="text/csv", key=f"{kind}_errors_dl",
                               on_click=audit_export, args=(user.username, f"{kind}_import_errors", "csv",
                                                            len(exc.errors)))
    except DomainError as exc:
        st.error(tr(exc.key, **exc.params))
    return None


def _import_field(kind: str, name: str) -> str:
    """A field an import changes, named as the import's columns name it in the user's language."""
    specs = {c.name: c for c in registry.IMPORTERS[kind].columns}
    column = name[:-3] if name.endswith("_id") and name[:-3] in specs else name
    if column in specs:
        return specs[column].zh if lang() == "zh" else column.replace("_", " ")
    shown = _field_label(column)
    return shown if shown != column else column.replace("_", " ")


def _show_preview(kind: str, result) -> None:
    """The dry run's outcome: counts, each changed field with how many records it changes, and the
    first changes old → new."""
    st.info(tr("imp_preview", rows=result.rows, inserted=result.inserted, updated=result.updated,
               unchanged=result.unchanged, created_projects=result.created_projects))
    if result.changed_fields:
        st.markdown(tr("imp_preview_fields", fields="、".join(
            f"{_import_field(kind, name)} ({n})" for name, n in result.changed_fields.items())))
    if result.changes:
        frame = pd.DataFrame(result.changes, columns=["key", "field", "old", "new"])
        projects = {str(k): v for k, v in project_choices().items()}
        for side in ("old", "new"):  # a project moved: its names, not its ids
            moved = frame["field"] == "project_id"
            frame.loc[moved, side] = frame.loc[moved, side].map(lambda v: projects.get(v, v))
        frame["field"] = frame["field"].map(partial(_import_field, kind))
        frame = frame.fillna("—").rename(columns={"key": tr("imp_col_key"), "field": tr("imp_col_field"),
                                                  "old": tr("imp_col_old"), "new": tr("imp_col_new")})
        st.dataframe(frame, hide_index=True, key=f"{kind}_import_changes")


def import_columns_text(kind: str) -> str:
    """Required and optional columns of an import kind, in the user's language (from the importer itself)."""
    columns = registry.IMPORTERS[kind].columns
    def names(required: bool) -> str:
        return "、".join(f"{c.zh} {c.name}" if lang() == "zh" else f"{c.name} ({c.zh})"
                         for c in columns if c.required == required)
    return tr("import_columns", required=names(True), optional=names(False) or "—")
