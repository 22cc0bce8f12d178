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
    # SPEC §14 dissatisfied-respondent follow-up: an answer opens a task when its overall score is at
    # most the value for its scale (the two lowest categories: 1–2 on 1–5 and 1–10, 0–1 on 0–10) or
    # its recommend is at most `followup_recommend_max`; the task is due this many days after it opens.
    "followup_overall_max": {"5": 2, "10": 2, "11": 1},
    "followup_recommend_max": 6,
    "followup_due_days": 7,
    "unit_report_due_day": 28,  # SPEC §14: a company's monthly report is due by this day of the next month
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
    # SPEC §14 call-back checks: each company's sample of a period's resolved complaints is
    # max(minimum, ceil(share × resolved)), at most the company's resolved count.
    "check_sample": {"share": 0.05, "minimum": 3},
    "min_sample": {
        "resolution_rate": 10, "resolution_on_time_rate": 10, "followup_satisfaction": 10,
        "satisfaction_score": 10, "satisfaction_rate": 10,
        "participation_rate_staff": 5, "participation_rate_management": 5,
        "issue_closure_rate": 5, "on_time_closure_rate": 5,
    },
    # Issue #26 risk signals (SPEC §15), lib.services.signals: a group complaint is ≥ N complaints of one
    # project and category within the window; a repeat complainant the same phone again within the days.
    "signal_group_min": 5,
    "signal_group_window_hours": 72,
    "signal_repeat_days": 90,
    "signal_exposure_words": ["媒体", "曝光", "维权", "12345", "起诉", "律师", "投诉到政府", "记者", "网上", "微博",
                              "抖音", "报警", "法院", "消协", "住建局", "拉横幅"],
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
