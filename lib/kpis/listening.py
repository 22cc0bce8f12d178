"""Listening ("Six Ones") KPIs of SPEC §7: headcount, participants and rates by tier, in SQL."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, false, func, or_, select
from sqlalchemy.orm import Session

from lib import scope
from lib.kpis.common import FilterError, KpiFilter, KpiResult, ratio
from lib.models import Company, Employee, ListeningActivity

E, A = Employee, ListeningActivity
GROUPS = ("month", "company", "city", "department")


def _employee_conditions(flt: KpiFilter) -> list:
    where = [E.joined_on <= flt.end, or_(E.left_on.is_(None), E.left_on >= flt.start),
             *scope.where_company(flt, E.company_id)]
    if flt.companies:
        where.append(Company.name.in_(flt.companies))
    if flt.cities:
        where.append(Company.city.in_(flt.cities))
    if flt.departments:
        where.append(E.department.in_(flt.departments))
    if flt.projects or flt.business_lines or flt.channels or flt.touchpoints or flt.categories:
        raise FilterError("listening is filtered by company, city and department only")
    return where


def _stats(flt: KpiFilter, session: Session, group_col, activity_types: list[str]) -> list[dict]:
    # Each employee's activities in the period, aggregated once and joined (a correlated subquery per
    # employee cost PostgreSQL a scan of the activities for each of them when it planned without statistics).
    listed = A.activity_type.in_(activity_types) if activity_types else false()
    acts = (select(A.employee_id.label("employee_id"),
                   func.count(func.distinct(case((listed, A.activity_type)))).label("types"),
                   func.sum(case((and_(A.finding.is_not(None), A.finding != ""), 1), else_=0)).label("findings"))
            .where(A.activity_date >= flt.start, A.activity_date <= flt.end)
            .group_by(A.employee_id).subquery())
    took_part = acts.c.employee_id.is_not(None)
    completed = acts.c.types >= len(activity_types) if activity_types else false()

    def n(cond):
        return func.sum(case((cond, 1), else_=0))

    parts = [
        func.count().label("headcount"),
        n(E.is_management.is_(True)).label("headcount_management"),
        n(took_part).label("participants"),
        n(and_(took_part, E.is_management.is_(True))).label("participants_management"),
        n(completed).label("completed"),
        func.coalesce(func.sum(acts.c.findings), 0).label("findings"),
    ]
    stmt = (select(*([group_col.label("g")] if group_col is not None else []), *parts)
            .select_from(E.__table__.join(Company, Company.id == E.company_id)
                         .outerjoin(acts, acts.c.employee_id == E.id))
            .where(*_employee_conditions(flt)))
    if group_col is not None:
        stmt = stmt.group_by(group_col).order_by(group_col)
    return [dict(r) for r in session.execute(stmt).mappings().all()]


def kpis_from_stats(r: dict) -> dict[str, Any]:
    head = int(r.get("headcount") or 0)
    head_m = int(r.get("headcount_management") or 0)
    part = int(r.get("participants") or 0)
    part_m = int(r.get("participants_management") or 0)
    return {
        "headcount": head, "headcount_management": head_m, "headcount_staff": head - head_m,
        "participants": part, "participants_management": part_m, "participants_staff": part - part_m,
        "participation_rate": ratio(part, head),
        "participation_rate_management": ratio(part_m, head_m),
        "participation_rate_staff": ratio(part - part_m, head - head_m),
        "six_ones_completion_rate": ratio(r.get("completed"), head),
        "findings": int(r.get("findings") or 0),
    }


def months(start: date, end: date) -> list[tuple[str, date, date]]:
    out, cursor = [], date(start.year, start.month, 1)
    while cursor <= end:
        nxt = date(cursor.year + (cursor.month == 12), cursor.month % 12 + 1, 1)
        out.append((cursor.strftime("%Y-%m"), max(cursor, start), min(nxt - timedelta(days=1), end)))
        cursor = nxt
    return out


def compute(flt: KpiFilter, *, session: Session, activity_types: list[str],
            by: str | None = None) -> KpiResult:
    total = _stats(flt, session, None, activity_types)
    kpis = kpis_from_stats(total[0] if total else {})
    groups: list[dict[str, Any]] = []
    if by == "month":
        # Headcount is "employed on at least one day of the month", so each month is its own query.
        for key, m_start, m_end in months(flt.start, flt.end):
            sub = replace(flt, start=m_start, end=m_end)
            rows = _stats(sub, session, None, activity_types)
            groups.append({"key": key, "kpis": kpis_from_stats(rows[0] if rows else {})})
    elif by is not None:
        cols = {"company": Company.name, "city": Company.city, "department": E.department}
        if by not in cols:
            raise FilterError(f"listening cannot be grouped by {by!r}; choose one of {', '.join(GROUPS)}")
        groups = [{"key": r["g"], "kpis": kpis_from_stats(r)}
                  for r in _stats(flt, session, cols[by], activity_types)]
    return KpiResult("listening", flt.as_json(), kpis, groups)
