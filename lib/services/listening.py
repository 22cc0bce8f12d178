"""Six Ones listening: recording an activity, the findings list, type coverage and the activity-type list."""
from __future__ import annotations

import re
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from lib import scope
from lib.db import contains
from lib.errors import NotFound, ValidationFailed
from lib.kpis.common import KpiFilter
from lib.models import Company, Employee, ListeningActivity, SupervisorIssue
from lib.services import audit, settings
from lib.vocab import LISTENING_ACTIVITY_TYPES, lookup, normalise_text

E, A = Employee, ListeningActivity


def activity_types(*, session: Session) -> list[str]:
    """The configured activity types (admin setting; defaults to the six of SPEC §5)."""
    return list(settings.get("listening_activity_types", session=session))


def type_labels(*, session: Session) -> dict[str, tuple[str, str]]:
    """code → (zh, en) for built-in and admin-added types."""
    labels = {code: (t.zh, t.en) for code, t in LISTENING_ACTIVITY_TYPES.items()}
    labels |= {code: tuple(pair) for code, pair in settings.get("activity_type_labels", session=session).items()}
    return labels


def type_code(value: str, labels: dict[str, tuple[str, str]]) -> str | None:
    """A code, Chinese or English name of a built-in or admin-added type → its code."""
    code = lookup("listening_activity_type", value)
    if code:
        return code
    key = normalise_text(value)
    for code, (zh, en) in labels.items():
        if key in {normalise_text(code), normalise_text(zh), normalise_text(en)}:
            return code
    return None


def save_activity_types(rows: list[dict[str, Any]], *, session: Session, actor: str) -> None:
    """rows: {code, zh, en, active}. Built-in labels stay as they are; new codes need both names."""
    active, custom, problems = [], {}, []
    for row in rows:
        code = (row.get("code") or "").strip()
        if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", code):
            problems.append(code or "code")
            continue
        if code not in LISTENING_ACTIVITY_TYPES:
            if not (row.get("zh") or "").strip() or not (row.get("en") or "").strip():
                problems.append(code)
                continue
            custom[code] = [row["zh"].strip(), row["en"].strip()]
        if row.get("active", True):
            active.append(code)
    if problems or not active:
        raise ValidationFailed("err_fields", fields=", ".join(problems) or "active")
    settings.put("activity_type_labels", custom, session=session, actor=actor)
    settings.put("listening_activity_types", list(dict.fromkeys(active)), session=session, actor=actor)


def find_employees(query: str, *, session: Session, limit: int = 50,
                   reach: scope.Reach | None = None) -> dict[int, str]:
    """Employees whose 工号 or name contains the query: id → "E000123 张三 · 公司 · 部门"; of the
    companies wholly in `reach` only (the form's picker: where the user may record an activity)."""
    where = [] if reach is None or reach.is_group else [E.company_id.in_(sorted(reach.companies))]
    rows = session.execute(select(E.id, E.employee_no, E.name, Company.name, E.department)
                           .join(Company, Company.id == E.company_id)
                           .where(or_(contains(E.employee_no, query), contains(E.name, query)), *where)
                           .order_by(E.employee_no).limit(limit)).all()
    return {eid: f"{no} {name} · {company} · {dept}" for eid, no, name, company, dept in rows}


def add_activity(*, session: Session, actor: str, employee_id: int, activity_date: date, activity_type: str,
                 finding: str | None = None, reach: scope.Reach | None = None) -> ListeningActivity:
    """`reach`: employees belong to companies, so a scoped writer needs the employee's whole company."""
    employee = session.get(E, employee_id)
    if employee is None:
        raise NotFound("err_not_found", what=str(employee_id))
    if reach is not None and not reach.is_group and employee.company_id not in reach.companies:
        raise scope.OutOfScope("err_write_out_of_scope")
    problems = []
    if activity_type not in type_labels(session=session):
        problems.append("activity_type")
    if activity_date < employee.joined_on or (employee.left_on and activity_date > employee.left_on):
        problems.append("activity_date")
    if problems:
        raise ValidationFailed("err_fields", fields=", ".join(problems))
    activity = A(employee_id=employee.id, activity_date=activity_date, activity_type=activity_type,
                 finding=(finding or "").strip() or None)
    session.add(activity)
    session.flush()
    audit.record(session=session, actor=actor, action="listening_activity_add", entity="listening_activity",
                 entity_id=activity.id, detail={"employee_no": employee.employee_no, "type": activity_type})
    return activity


def _conditions(flt: KpiFilter) -> list:
    where = [A.activity_date >= flt.start, A.activity_date <= flt.end, *scope.where_company(flt, E.company_id)]
    if flt.companies:
        where.append(Company.name.in_(flt.companies))
    if flt.departments:
        where.append(E.department.in_(flt.departments))
    return where


def findings_frame(flt: KpiFilter, *, session: Session, limit: int = 500) -> pd.DataFrame:
    stmt = (select(A.id, A.activity_date, E.employee_no, E.name, Company.name, E.department, A.activity_type,
                   A.finding, SupervisorIssue.ref, SupervisorIssue.status)
            .join(E, E.id == A.employee_id).join(Company, Company.id == E.company_id)
            .outerjoin(SupervisorIssue, SupervisorIssue.id == A.issue_id)
            .where(*_conditions(flt), A.finding.is_not(None), A.finding != "")
            .order_by(A.activity_date.desc(), A.id.desc()).limit(limit))
    return pd.DataFrame(session.execute(stmt).all(), columns=[
        "id", "activity_date", "employee_no", "name", "company", "department", "activity_type", "finding",
        "issue_ref", "issue_status"])


def type_coverage(flt: KpiFilter, *, session: Session) -> pd.DataFrame:
    """Per activity type: activities and distinct employees who did it in the period (counted in SQL)."""
    stmt = (select(A.activity_type, func.count(), func.count(func.distinct(A.employee_id)))
            .join(E, E.id == A.employee_id).join(Company, Company.id == E.company_id)
            .where(*_conditions(flt)).group_by(A.activity_type))
    return pd.DataFrame(session.execute(stmt).all(), columns=["activity_type", "activities", "employees"])


def departments(*, session: Session, reach: scope.Reach | None = None) -> list[str]:
    """Department names for the filter: of the companies wholly in the reader's scope (SPEC §11)."""
    stmt = select(E.department).distinct().order_by(E.department)
    if reach is not None and not reach.is_group:
        stmt = stmt.where(E.company_id.in_(reach.companies or ()))
    return list(session.scalars(stmt))
