"""Follow-up KPIs of SPEC §14 (`kpi followups`), dated by the answer's surveyed_on, in SQL.

Read literally, with "due" as SPEC §7 uses it for every other on-time rate (a due date that has passed):
- `followups_due` = answers surveyed in the period that opened a task (= tasks: one per answer);
- `followup_on_time_rate` = tasks closed by their due date (closed on or before `due_on`, business
  day) / tasks that are closed or whose due date is before today (a task due today is not late yet);
- `recovery_rate` = tasks closed "recovered" / tasks closed.
Also `followups_closed` and `followups_overdue` (open, due date before today): the page's queue counts.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from lib.db import local_now
from lib.kpis import surveys
from lib.kpis.common import FilterError, KpiFilter, KpiResult, count_if, month_key, ratio
from lib.models import Company, FollowupTask, Project, SurveyResponse, SurveyWave

T, R = FollowupTask, SurveyResponse
GROUPS = ("month", "company", "city", "project", "business_line", "touchpoint", "method")


def _group(session: Session, by: str | None):
    columns = {"month": lambda: month_key(session, R.surveyed_on), "company": lambda: Company.name,
               "city": lambda: Project.city, "project": lambda: Project.name,
               "business_line": lambda: Project.business_line, "touchpoint": lambda: R.touchpoint,
               "method": lambda: SurveyWave.method}
    if by is None:
        return None
    if by not in columns:
        raise FilterError(f"follow-ups cannot be grouped by {by!r}; choose one of {', '.join(GROUPS)}")
    return columns[by]()


def kpis_from(row: dict[str, Any]) -> dict[str, Any]:
    closed = int(row.get("closed") or 0)
    return {"followups_due": int(row.get("tasks") or 0), "followups_closed": closed,
            "followups_overdue": int(row.get("overdue") or 0),
            "followup_on_time_rate": ratio(row.get("on_time"), row.get("on_time_den")),
            "recovery_rate": ratio(row.get("recovered"), closed)}


def compute(flt: KpiFilter, *, session: Session, by: str | None = None, today: date | None = None) -> KpiResult:
    today = today or local_now().date()
    closed = T.closed_at.is_not(None)
    # date(closed_at): the business day it was closed, on both databases (SQLite keeps ISO text)
    parts = [func.count().label("tasks"), count_if(closed).label("closed"),
             count_if(and_(closed, func.date(T.closed_at) <= T.due_on)).label("on_time"),
             count_if(or_(closed, T.due_on < today)).label("on_time_den"),
             count_if(and_(~closed, T.due_on < today)).label("overdue"),
             count_if(T.outcome == "recovered").label("recovered")]
    froms = T.__table__.join(surveys.joined(), R.id == T.response_id)
    where = surveys.conditions(flt)
    total = dict(session.execute(select(*parts).select_from(froms).where(*where)).mappings().one())
    groups: list[dict[str, Any]] = []
    group = _group(session, by)
    if group is not None:
        stmt = select(group.label("g"), *parts).select_from(froms).where(*where).group_by(group)
        rows = sorted((dict(r) for r in session.execute(stmt).mappings()),
                      key=lambda r: (r["g"] is None, str(r["g"])))
        groups = [{"key": r["g"], "kpis": kpis_from(r)} for r in rows]
    return KpiResult("followups", flt.as_json(), kpis_from(total), groups)
