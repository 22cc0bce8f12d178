"""Supervisor-group KPIs of SPEC §7: people, activities and issue closure, in SQL."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from lib import scope
from lib.db import local_now
from lib.kpis.common import (
    FilterError,
    KpiFilter,
    KpiResult,
    count_if,
    days_between,
    month_key,
    percentiles,
    ratio,
)
from lib.models import Company, Project, SupervisionActivity, Supervisor, SupervisorIssue
from lib.vocab import ISSUE_DONE

S, SA, SI = Supervisor, SupervisionActivity, SupervisorIssue
GROUPS = ("month", "company", "city", "project", "business_line", "category")


def _org_conditions(flt: KpiFilter) -> list:
    where = [*scope.where_project(flt, Project.id), *scope.where_names(flt, business_line=Project.business_line)]
    if flt.channels or flt.touchpoints:
        raise FilterError("the supervisor group has no channel or touchpoint filter")
    return where


def _org_join(table, project_col):
    return table.join(Project, Project.id == project_col).join(Company, Company.id == Project.company_id)


def _group(session: Session, by: str | None, date_col, category_col=None):
    columns = {"company": Company.name, "city": Project.city, "project": Project.name,
               "business_line": Project.business_line}
    if by is None:
        return None
    if by == "month":
        return month_key(session, date_col)
    if by == "category":
        if category_col is None:
            return None  # counts of people and activities have no category
        return category_col
    if by not in columns:
        raise FilterError(f"the supervisor group cannot be grouped by {by!r}; choose one of {', '.join(GROUPS)}")
    return columns[by]


def _grouped(session: Session, stmt, group):
    if group is not None:
        stmt = stmt.add_columns(group.label("g")).group_by(group)
        return {r["g"]: dict(r) for r in session.execute(stmt).mappings().all()}
    return {"_all": dict(session.execute(stmt).mappings().one())}


def _people(flt, session, by):
    group = _group(session, by, S.joined_on)
    if by == "month":
        group = None  # serving supervisors are counted per period, not by the month they joined
    where = [S.joined_on <= flt.end, or_(S.left_on.is_(None), S.left_on >= flt.start), *_org_conditions(flt)]
    stmt = select(func.count().label("active_supervisors"),
                  func.count(func.distinct(S.project_id)).label("projects_covered")).select_from(
        _org_join(S.__table__, S.project_id)).where(*where)
    return _grouped(session, stmt, group) if group is not None or by is None else {}


def _activities(flt, session, by):
    group = _group(session, by, SA.activity_date)
    where = [SA.activity_date >= flt.start, SA.activity_date <= flt.end, *_org_conditions(flt)]
    stmt = select(func.count().label("activities"),
                  func.coalesce(func.sum(SA.participants), 0).label("participant_count")).select_from(
        _org_join(SA.__table__, SA.project_id)).where(*where)
    if by == "category":
        return {}
    return _grouped(session, stmt, group)


def _issues(flt, session, by, today):
    group = _group(session, by, SI.raised_on, SI.category)
    if flt.categories:
        cat = [SI.category.in_(flt.categories)]
    else:
        cat = []
    where = [SI.source == "supervisor", SI.raised_on >= flt.start, SI.raised_on <= flt.end,
             *_org_conditions(flt), *cat]
    done = SI.status.in_(ISSUE_DONE)
    stmt = select(
        func.count().label("issues_raised"),
        count_if(done).label("done"),
        count_if(and_(SI.resolved_on.is_not(None), SI.resolved_on <= SI.due_on)).label("on_time"),
        count_if(or_(SI.resolved_on.is_not(None), SI.due_on < today)).label("on_time_den"),
        count_if(and_(~done, SI.due_on < today)).label("open_overdue"),
        count_if(SI.feedback_score.in_((4, 5))).label("feedback_good"),
        count_if(SI.feedback_score.is_not(None)).label("feedback_n"),
    ).select_from(_org_join(SI.__table__, SI.project_id)).where(*where)
    rows = _grouped(session, stmt, group)
    pct = percentiles(session, days_between(session, SI.raised_on, SI.resolved_on),
                      [*where, SI.resolved_on.is_not(None)], _org_join(SI.__table__, SI.project_id),
                      group, {"median_days_to_resolve": (1, 2)})
    for key, row in rows.items():
        row["median_days_to_resolve"] = pct.get(key, {}).get("median_days_to_resolve")
    return rows


def kpis_from_parts(people: dict, acts: dict, issues: dict) -> dict[str, Any]:
    raised = int(issues.get("issues_raised") or 0)
    return {
        "active_supervisors": int(people.get("active_supervisors") or 0),
        "projects_covered": int(people.get("projects_covered") or 0),
        "activities": int(acts.get("activities") or 0),
        "participant_count": int(acts.get("participant_count") or 0),
        "issues_raised": raised,
        "issue_closure_rate": ratio(issues.get("done"), raised),
        "on_time_closure_rate": ratio(issues.get("on_time"), issues.get("on_time_den")),
        "median_days_to_resolve": issues.get("median_days_to_resolve"),
        "open_overdue": int(issues.get("open_overdue") or 0),
        "feedback_satisfaction": ratio(issues.get("feedback_good"), issues.get("feedback_n")),
    }


def compute(flt: KpiFilter, *, session: Session, by: str | None = None,
            today: date | None = None) -> KpiResult:
    today = today or local_now().date()
    total = kpis_from_parts(_people(flt, session, None)["_all"], _activities(flt, session, None)["_all"],
                            _issues(flt, session, None, today)["_all"])
    groups: list[dict[str, Any]] = []
    if by is not None:
        issues = _issues(flt, session, by, today)
        acts = _activities(flt, session, by)
        if by == "month":
            from lib.kpis.listening import months
            people = {}
            for key, m_start, m_end in months(flt.start, flt.end):
                sub = replace(flt, start=m_start, end=m_end)
                people[key] = _people(sub, session, None)["_all"]
        else:
            people = _people(flt, session, by)
        keys = sorted({*issues, *acts, *people}, key=lambda k: (k is None, str(k)))
        groups = [{"key": k, "kpis": kpis_from_parts(people.get(k, {}), acts.get(k, {}), issues.get(k, {}))}
                  for k in keys]
    return KpiResult("supervisors", flt.as_json(), total, groups)
