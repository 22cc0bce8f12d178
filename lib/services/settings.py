"""Admin settings stored as JSON, with the SPEC defaults on a fresh install."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib import statutory_calendar
from lib.models import Setting
from lib.services import audit
from lib.sla import DEFAULT_SLA
from lib.vocab import CATEGORIES, LISTENING_ACTIVITY_TYPES

DEFAULTS: dict[str, Any] = {
    "sla": DEFAULT_SLA,
    "issue_due_days": 15,
    "complaint_categories": list(CATEGORIES),
    "listening_activity_types": list(LISTENING_ACTIVITY_TYPES),
    "activity_type_labels": {},  # admin-added activity types: code → [zh, en]
    # SPEC §13: years entered from the State Council notice, "2027" → {"holidays": [ISO…], "workdays": [ISO…]}
    "statutory_calendar": {},
    # SPEC §15: the admin's user dictionary / stop words (lists of entries); None = the shipped files
    "text_userdict": None,
    "text_stopwords": None,
    # Issue #23: below this many cases (the KPI's sample, `overview.SAMPLE_OF`) a company's or a cell's
    # value is shown greyed as "too few" and is neither ranked nor tested for change. Display only: the
    # KPIs themselves (SPEC §7, the CLI) are unchanged.
    "min_sample": {
        "resolution_rate": 10, "resolution_on_time_rate": 10, "followup_satisfaction": 10,
        "satisfaction_score": 10, "satisfaction_rate": 10,
        "participation_rate_staff": 5, "participation_rate_management": 5,
        "issue_closure_rate": 5, "on_time_closure_rate": 5,
    },
}


def min_sample(*, session: Session) -> dict[str, int]:
    """The minimum sample per KPI (SPEC §7 names), as the admin set it (whole numbers ≥ 1)."""
    stored = get("min_sample", session=session) or {}
    return {k: max(1, int(v)) for k, v in stored.items() if isinstance(v, (int, float))}


def get(key: str, *, session: Session) -> Any:
    if key == "sla":
        sync_calendar(session=session)
    row = session.get(Setting, key)
    default = DEFAULTS.get(key)
    if row is None:
        return default
    value = json.loads(row.value)
    if isinstance(default, dict):
        return {**default, **value}
    return value


def sync_calendar(*, session: Session) -> None:
    """Due times follow the SLA targets and the statutory calendar together: whoever reads the targets
    (create, update, import, recompute) first brings this process's calendar up to the stored entries,
    which another process (the CLI, another app worker) may have changed."""
    statutory_calendar.install(get("statutory_calendar", session=session))


def put(key: str, value: Any, *, session: Session, actor: str) -> None:
    if key not in DEFAULTS:
        raise KeyError(key)
    old = get(key, session=session)
    row = session.get(Setting, key)
    if row is None:
        row = Setting(key=key, value="null")
        session.add(row)
    row.value = json.dumps(value, ensure_ascii=False)
    row.updated_by = actor
    audit.record(session=session, actor=actor, action="setting_change", entity="setting",
                 entity_id=key, detail={"from": old, "to": value})


def all_settings(*, session: Session) -> dict[str, Any]:
    stored = {r.key for r in session.scalars(select(Setting))}
    return {k: get(k, session=session) for k in DEFAULTS} | {"_stored": sorted(stored)}
