"""Records as a user reads them: the complaint register's rows and pages, event histories, the complaint categories."""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from lib import privacy, sla
from lib.db import session_scope
from lib.kpis.common import KpiFilter
from lib.services import audit as audit_service
from lib.services import complaints as complaint_service
from lib.services import settings as app_settings
from lib.ui.cache import data_key, get_engine
from lib.ui.language import lang, tr
from lib.ui.org_scope import scoped
from lib.vocab import label


@st.cache_data(ttl=300, show_spinner=False)
def _settings_value(data: tuple, key: str):
    with session_scope(get_engine(), readonly=True) as session:
        return app_settings.get(key, session=session)


def complaint_categories() -> list[str]:
    return _settings_value(data_key(), "complaint_categories")


@st.cache_data(ttl=60, show_spinner=False)
def _complaint_list(data: tuple, flt: KpiFilter, search: str, statuses: tuple[str, ...], overdue: bool,
                    include_void: bool, search_names: bool, queue: int | None = None,
                    limit: int = complaint_service.LIST_LIMIT, refs: tuple[str, ...] = ()):
    extra = [] if queue is None else complaint_service.queue_conditions(queue)
    if refs:  # a risk signal's complaints (issue #26), still within the filter and the scope
        extra.append(complaint_service.Complaint.ref.in_(refs))
    with session_scope(get_engine(), readonly=True) as session:
        return complaint_service.list_frame(flt, session=session, search=search, statuses=statuses,
                                            overdue_only=overdue, include_void=include_void,
                                            search_names=search_names, limit=limit, extra=extra or None)


def complaint_list(flt: KpiFilter, search: str = "", statuses: tuple[str, ...] = (), overdue: bool = False,
                   include_void: bool = False, *, role: str | None = None, queue: int | None = None):
    """The register's rows (of one escalation queue if `queue`); only a role that may see personal
    data searches names and phones. The filter is scoped here too (a no-op on a scoped one)."""
    return _complaint_list(data_key(), scoped(flt), search, statuses, overdue, include_void,
                           role in privacy.SEES_PERSONAL_DATA, queue)


PAGE_ROWS = complaint_service.LIST_LIMIT  # rows per page of a list


def complaint_page(flt: KpiFilter, search: str, statuses: tuple[str, ...], overdue: bool, include_void: bool,
                   *, role: str | None, queue: int | None, page: int,
                   refs: tuple[str, ...] = ()) -> tuple[pd.DataFrame, bool]:
    """One page (PAGE_ROWS rows, newest first) of the register's rows, and whether a next page exists:
    the rows up to the end of the page and one more are read, so the lists go past 500 rows. `refs`:
    only those complaints (a risk signal's drill-down)."""
    page = max(1, int(page))
    rows = _complaint_list(data_key(), scoped(flt), search, statuses, overdue, include_void,
                           role in privacy.SEES_PERSONAL_DATA, queue, page * PAGE_ROWS + 1, tuple(refs))
    start = (page - 1) * PAGE_ROWS
    return rows.iloc[start:start + PAGE_ROWS].reset_index(drop=True), len(rows) > page * PAGE_ROWS


COMPLAINT_VOCAB = {"status": "complaint_status", "channel": "channel", "business_line": "business_line",
                   "category": "category", "severity": "severity", "escalation_level": "escalation_level"}


def present_complaints(frame, role: str | None):
    """Rows for a list: personal data masked for every role (staff reveal one record at a time, audited,
    in the register's detail view), vocabularies labelled, headers in the user's language. Values stay
    plain text (st.dataframe never renders HTML)."""
    shown = privacy.masked(frame).copy()
    language = lang()
    for column, vocabulary in COMPLAINT_VOCAB.items():
        if column in shown:
            shown[column] = [label(vocabulary, None if v is None or pd.isna(v) else str(v), language)
                             for v in shown[column]]
    if "responsible" in shown:
        shown["responsible"] = [tr("yes") if v else tr("no") for v in shown["responsible"]]
    if {"received_at", "channel", "severity", "responsible", "first_response_due_at",
        "resolution_due_at"} <= set(frame.columns) and len(frame):
        # SPEC §13: a due time counted over a year nobody confirmed says so
        flags = [any(sla.estimated(_moment(r.received_at), r.channel, r.severity, bool(r.responsible),
                                   _moment(r.first_response_due_at), _moment(r.resolution_due_at)))
                 for r in frame.itertuples()]
        shown["due_estimated"] = [tr("estimated_suffix").strip(" （）()") if f else "" for f in flags]
    return shown.rename(columns={c: tr(f"col_{c}") for c in shown.columns})


def _moment(value):
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def present_events(events, vocabulary: str = "complaint", *, revealed: bool = False):
    """Event history: who, when, what — changes as "field: old → new" lines, plain text. Names and
    phones in the changes are masked unless this record's personal data is revealed to the viewer."""
    language = lang()

    def value(field: str, shown) -> str:
        if shown in (None, ""):
            return "—"
        return audit_service.change_value(field, shown if revealed else privacy.mask_field(field, shown), language,
                                          vocabulary)

    def describe(changes: str | None) -> str:
        return audit_service.changes_text(json.loads(changes), language, vocabulary, value) if changes else ""

    local = audit_service.to_business_time(events["at"])
    prefix = "event" if vocabulary == "complaint" else "iev"
    shown = events.assign(at=local, action=[tr(f"{prefix}_{a}") for a in events["action"]],
                          changes=[describe(c) for c in events["changes"]])
    return shown.rename(columns={"at": tr("at_business"), "actor": tr("actor"), "action": tr("action"),
                                 "changes": tr("changes"), "note": tr("note"), "told": tr("iss_what_told")})
