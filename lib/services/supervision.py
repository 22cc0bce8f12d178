"""The supervisor registry and supervision activities: forms write here (imports go through lib.imports)."""
from __future__ import annotations

import re
from datetime import date

import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lib import scope
from lib.errors import NotFound, ValidationFailed
from lib.kpis.common import KpiFilter
from lib.models import Company, Project, SupervisionActivity, Supervisor
from lib.services import audit
from lib.vocab import SUPERVISION_ACTIVITY_TYPES

_PHONE = re.compile(r"[0-9+\-\s()]{5,20}")


def save_supervisor(*, session: Session, actor: str, supervisor_no: str, name: str, project_id: int, term: int,
                    joined_on: date, left_on: date | None = None, phone: str | None = None,
                    reach: scope.Reach | None = None) -> Supervisor:
    """Add a supervisor, or update the one with this number (a new term, a leaving date, a new phone).
    A scoped writer needs the project in scope, and, for an update, the supervisor's current project."""
    problems = [f for f, bad in (("supervisor_no", not supervisor_no.strip()), ("name", not name.strip()),
                                 ("term", term < 1), ("left_on", left_on is not None and left_on < joined_on),
                                 ("phone", bool(phone) and not _PHONE.fullmatch(phone.strip()))) if bad]
    if problems:
        raise ValidationFailed("err_fields", fields=", ".join(problems))
    if session.get(Project, project_id) is None:
        raise NotFound("err_not_found", what=str(project_id))
    values = {"name": name.strip(), "project_id": project_id, "term": term, "joined_on": joined_on,
              "left_on": left_on, "phone": (phone or "").strip() or None}
    current = session.scalar(select(Supervisor).where(Supervisor.supervisor_no == supervisor_no.strip()))
    if reach is not None:
        scope.require_project(reach, project_id)
        if current is not None and not reach.is_group and current.project_id not in reach.projects:
            raise scope.OutOfScope("err_record_out_of_scope", ref=current.supervisor_no)
    if current is None:
        current = Supervisor(supervisor_no=supervisor_no.strip(), **values)
        session.add(current)
        action = "supervisor_add"
    else:
        for key, value in values.items():
            setattr(current, key, value)
        action = "supervisor_update"
    session.flush()
    audit.record(session=session, actor=actor, action=action, entity="supervisor", entity_id=current.supervisor_no,
                 detail={k: v for k, v in values.items() if k != "phone"})
    return current


def add_activity(*, session: Session, actor: str, activity_date: date, project_id: int, activity_type: str,
                 participants: int, note: str | None = None, reach: scope.Reach | None = None) -> SupervisionActivity:
    if activity_type not in SUPERVISION_ACTIVITY_TYPES or participants < 0:
        raise ValidationFailed("err_fields", fields="activity_type, participants")
    if session.get(Project, project_id) is None:
        raise NotFound("err_not_found", what=str(project_id))
    if reach is not None:
        scope.require_project(reach, project_id)
    activity = SupervisionActivity(activity_date=activity_date, project_id=project_id, activity_type=activity_type,
                                   participants=participants, note=(note or "").strip() or None)
    session.add(activity)
    session.flush()
    audit.record(session=session, actor=actor, action="supervision_activity_add", entity="supervision_activity",
                 entity_id=activity.id, detail={"date": activity_date, "type": activity_type,
                                                "participants": participants})
    return activity


def supervisors_frame(flt: KpiFilter, *, session: Session, serving_only: bool = True) -> pd.DataFrame:
    """Registry rows (serving in the period, or all), with project and company; phones for masking later."""
    stmt = (select(Supervisor.supervisor_no, Supervisor.name, Company.name, Project.name, Supervisor.term,
                   Supervisor.joined_on, Supervisor.left_on, Supervisor.phone)
            .join(Project, Project.id == Supervisor.project_id).join(Company, Company.id == Project.company_id)
            .order_by(Supervisor.supervisor_no))
    if serving_only:
        stmt = stmt.where(Supervisor.joined_on <= flt.end,
                          or_(Supervisor.left_on.is_(None), Supervisor.left_on >= flt.start))
    stmt = stmt.where(*scope.where_project(flt, Project.id))
    if flt.companies:
        stmt = stmt.where(Company.name.in_(flt.companies))
    if flt.projects:
        stmt = stmt.where(Project.name.in_(flt.projects))
    return pd.DataFrame(session.execute(stmt).all(), columns=["supervisor_no", "name", "company", "project", "term",
                                                              "joined_on", "left_on", "phone"])


def activities_frame(flt: KpiFilter, *, session: Session, limit: int = 500) -> pd.DataFrame:
    stmt = (select(SupervisionActivity.id, SupervisionActivity.activity_date, Company.name, Project.name,
                   SupervisionActivity.activity_type, SupervisionActivity.participants, SupervisionActivity.note)
            .join(Project, Project.id == SupervisionActivity.project_id)
            .join(Company, Company.id == Project.company_id)
            .where(SupervisionActivity.activity_date >= flt.start, SupervisionActivity.activity_date <= flt.end)
            .order_by(SupervisionActivity.activity_date.desc()).limit(limit))
    stmt = stmt.where(*scope.where_project(flt, Project.id))
    if flt.companies:
        stmt = stmt.where(Company.name.in_(flt.companies))
    if flt.projects:
        stmt = stmt.where(Project.name.in_(flt.projects))
    return pd.DataFrame(session.execute(stmt).all(), columns=["id", "activity_date", "company", "project",
                                                              "activity_type", "participants", "note"])
