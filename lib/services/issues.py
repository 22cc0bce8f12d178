"""The issue tracker: supervisor feedback (监督员反馈问题) and listening improvement items, carried to closure.

One mechanism for both sources (SPEC §6, issue #5): the SPEC §6 lifecycle, first-responder ownership
(首问责任制: whoever first takes an issue owns it to closure, even when another party must act), an
update log of what was done and what the supervisor was told, and an optimistic lock on `version`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from lib import scope
from lib.db import contains, flush_with_ref, local_now
from lib.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from lib.kpis.common import KpiFilter, days_between
from lib.models import (
    Company,
    Employee,
    ListeningActivity,
    Project,
    SupervisionActivity,
    Supervisor,
    SupervisorIssue,
    SupervisorIssueRaiser,
    SupervisorIssueUpdate,
)
from lib.services import audit, settings, users
from lib.text import index as text_index
from lib.vocab import CATEGORIES, ISSUE_DONE, ISSUE_TRANSITIONS, RESPONSIBLE_PARTIES

I = SupervisorIssue  # noqa: E741 - the table alias reads like the SQL it builds
OWNER_OVERRIDE = frozenset({"admin"})
# JD… supervisor feedback, GS… listening improvement items, DX… typical-case preventive actions (lib.services.cases)
REF_PREFIX = {"supervisor": "JD", "listening": "GS", "typical_case": "DX"}
LIST_LIMIT = 500


@dataclass
class NewIssue:
    raised_on: date
    supervisor_ids: list[int]
    category: str
    description: str
    responsible_party: str
    first_responder: str | None = None
    due_on: date | None = None
    activity_id: int | None = None
    ref: str | None = None
    source: str = "supervisor"
    extra: dict[str, Any] = field(default_factory=dict)


def next_ref(session: Session, raised_on: date, prefix: str = "JD", attempt: int = 0) -> str:
    """JD + year + a 5-digit running number, e.g. JD202500042 (GS… for listening improvement items)."""
    stem = f"{prefix}{raised_on.year}"
    taken = session.scalars(select(I.ref).where(I.ref.like(f"{stem}%"))).all()
    numbers = [int(r[len(stem):]) for r in taken if r[len(stem):].isdigit()]
    return f"{stem}{max(numbers, default=0) + 1 + attempt:05d}"  # + attempt: a retry jumps past the winner


def _validate(data: NewIssue) -> None:
    problems = []
    if data.source == "supervisor" and not data.supervisor_ids:
        problems.append("supervisor_no")
    if data.category not in CATEGORIES:
        problems.append("category")
    if data.responsible_party not in RESPONSIBLE_PARTIES:
        problems.append("responsible_party")
    if not (data.description or "").strip():
        problems.append("description")
    if data.raised_on > local_now().date():
        problems.append("raised_on")
    if data.due_on and data.due_on < data.raised_on:
        problems.append("due_on")
    if problems:
        raise ValidationFailed("err_fields", fields=", ".join(problems))


def create(data: NewIssue, *, session: Session, actor: str, reach: scope.Reach | None = None) -> SupervisorIssue:
    """`reach` (the writer's scope): every raiser's project, the activity's and the first responder's
    scope must cover the issue; None (the command line, imports) checks nothing."""
    _validate(data)
    raisers = [session.get(Supervisor, sid) for sid in data.supervisor_ids]
    if any(r is None for r in raisers):
        raise NotFound("err_not_found", what="supervisor")
    activity = session.get(SupervisionActivity, data.activity_id) if data.activity_id is not None else None
    if data.activity_id is not None and activity is None:
        raise NotFound("err_not_found", what=f"activity {data.activity_id}")
    project_id = raisers[0].project_id if raisers else data.extra.get("project_id")
    if reach is not None:
        for project in [r.project_id for r in raisers] + ([activity.project_id] if activity else []) + [project_id]:
            scope.require_project(reach, project)
        if data.first_responder:
            _check_responder(session, data.first_responder, project_id, data.extra.get("company_id"))
    prefix = REF_PREFIX.get(data.source, "GS")
    ref = (data.ref or "").strip()
    if ref and session.scalar(select(I.id).where(I.ref == ref)):
        raise ValidationFailed("err_ref_taken", ref=ref)
    due_days = settings.get("issue_due_days", session=session)
    issue = SupervisorIssue(
        ref=ref or None, source=data.source, raised_on=data.raised_on, activity_id=data.activity_id,
        project_id=project_id,
        category=data.category, description=data.description.strip(), responsible_party=data.responsible_party,
        first_responder=data.first_responder or None, due_on=data.due_on or data.raised_on + timedelta(days=due_days),
        status="open",
    )
    flush_with_ref(session, issue, lambda attempt: next_ref(session, data.raised_on, prefix, attempt),
                   explicit=bool(ref))
    session.add_all(SupervisorIssueRaiser(issue_id=issue.id, supervisor_id=s.id, position=i)
                    for i, s in enumerate(raisers))
    _log(session, issue, actor, "create", {"status": [None, "open"], "first_responder": [None, issue.first_responder]})
    if issue.source == "supervisor":
        text_index.index("supervisor_issue", [issue.id], session=session)  # SPEC §15: terms at write time
    return issue


def raise_from_finding(activity_id: int, *, session: Session, actor: str, first_responder: str, category: str,
                       responsible_party: str, due_on: date | None = None,
                       reach: scope.Reach | None = None) -> SupervisorIssue:
    """A listening finding becomes a tracked improvement item (source=listening) — the same tracker.
    It belongs to the finder's company: a scoped writer needs that whole company in scope."""
    activity = session.get(ListeningActivity, activity_id)
    if activity is None or not activity.finding:
        raise NotFound("err_not_found", what=f"finding {activity_id}")
    company_id = session.get(Employee, activity.employee_id).company_id
    if reach is not None and not _covers(reach, None, company_id):
        raise scope.OutOfScope("err_write_out_of_scope")
    if activity.issue_id is not None:
        raise ValidationFailed("err_already_raised", ref=session.get(I, activity.issue_id).ref)
    issue = create(NewIssue(raised_on=local_now().date(),
                            supervisor_ids=[], category=category, description=activity.finding,
                            responsible_party=responsible_party, first_responder=first_responder, due_on=due_on,
                            source="listening", extra={"company_id": company_id}),
                   session=session, actor=actor, reach=reach)
    activity.issue_id = issue.id
    session.flush()
    return issue


def _covers(reach: scope.Reach, project_id: int | None, company_id: int | None) -> bool:
    """An issue of a project is in reach with its project; one without (a listening item) with the
    whole company of the employee who found it."""
    if reach.is_group:
        return True
    if project_id is not None:
        return project_id in reach.projects
    return company_id is not None and company_id in reach.companies


def _company_of(session: Session, issue: SupervisorIssue) -> int | None:
    """The company of a listening item (no project): its finder's."""
    return session.scalar(select(Employee.company_id).join(ListeningActivity, ListeningActivity.employee_id == Employee.id)
                          .where(ListeningActivity.issue_id == issue.id).limit(1))


def _check_responder(session: Session, username: str, project_id: int | None, company_id: int | None) -> None:
    """首问责任人 is an active writer account whose own scope covers the issue (SPEC §11)."""
    info = users.get_user(session=session, username=username.strip())
    if (info is None or not info.active or info.role not in ("staff", "admin")
            or not _covers(scope.reach(info.scope, session=session), project_id, company_id)):
        raise scope.OutOfScope("err_responder_scope", user=username.strip())


def _load(session: Session, ref: str, version: int | None, reach: scope.Reach | None = None) -> SupervisorIssue:
    issue = session.scalar(select(I).where(I.ref == ref))
    if issue is None:
        raise NotFound("err_not_found", what=ref)
    if reach is not None and not reach.is_group and not _covers(
            reach, issue.project_id, None if issue.project_id is not None else _company_of(session, issue)):
        raise scope.OutOfScope("err_record_out_of_scope", ref=ref)
    if version is not None and issue.version != version:
        raise Conflict("err_conflict", what=ref)
    return issue


def _log(session: Session, issue: SupervisorIssue, actor: str, action: str, changes: dict,
         note: str | None = None, told: str | None = None) -> None:
    shown = {k: [None if a is None else str(a), None if b is None else str(b)] for k, (a, b) in changes.items()}
    session.add(SupervisorIssueUpdate(issue_id=issue.id, actor=actor, action=action, note=note, told_supervisor=told,
                                      changes=json.dumps(shown, ensure_ascii=False)))
    audit.record(session=session, actor=actor, action=f"issue_{action}", entity="supervisor_issue",
                 entity_id=issue.ref, detail={"changes": shown})
    try:
        session.flush()
    except StaleDataError as exc:
        raise Conflict("err_conflict", what=issue.ref) from exc


def _apply(issue: SupervisorIssue, values: dict[str, Any]) -> dict[str, list]:
    changes = {}
    for name, value in values.items():
        if getattr(issue, name) != value:
            changes[name] = [getattr(issue, name), value]
            setattr(issue, name, value)
    return changes


def _check_owner(issue: SupervisorIssue, actor: str, role: str) -> dict[str, Any]:
    """首问责任制: the first responder (or an admin) moves the issue; an unowned issue goes to whoever takes it."""
    if issue.first_responder is None:
        return {"first_responder": actor}
    if issue.first_responder != actor and role not in OWNER_OVERRIDE:
        raise ValidationFailed("err_not_owner", owner=issue.first_responder)
    return {}


def transition(ref: str, to_status: str, *, session: Session, actor: str, role: str, version: int | None,
               on: date | None = None, note: str | None = None, told: str | None = None,
               feedback_score: int | None = None, reach: scope.Reach | None = None) -> SupervisorIssue:
    issue = _load(session, ref, version, reach)
    current = issue.status
    if to_status not in ISSUE_TRANSITIONS.get(current, ()):
        raise InvalidTransition("err_transition", current=current, target=to_status)
    values = _check_owner(issue, actor, role) | {"status": to_status}
    on = on or local_now().date()
    if on < issue.raised_on:
        raise ValidationFailed("err_before_raised")
    action = to_status
    if to_status == "resolved":
        values["resolved_on"] = on
    elif to_status == "in_progress" and current in ("resolved", "feedback_given"):
        action = "reopen"
        values |= {"resolved_on": None, "closed_on": None}
    elif to_status == "feedback_given" and not (told or "").strip():
        raise ValidationFailed("err_told_needed")
    elif to_status == "closed":
        if feedback_score is not None and feedback_score not in (1, 2, 3, 4, 5):
            raise ValidationFailed("err_fields", fields="feedback_score")
        values |= {"closed_on": on, "feedback_score": feedback_score}
    changes = _apply(issue, values)
    _log(session, issue, actor, action, changes, (note or "").strip() or None, (told or "").strip() or None)
    return issue


def add_update(ref: str, *, session: Session, actor: str, version: int | None, note: str,
               told: str | None = None, reach: scope.Reach | None = None) -> SupervisorIssue:
    """A progress note (what was done, what the supervisor was told) without a status change."""
    issue = _load(session, ref, version, reach)
    if not (note or "").strip() and not (told or "").strip():
        raise ValidationFailed("err_fields", fields="note")
    issue.updated_at = local_now()  # bumps the version so a concurrent editor sees the change
    _log(session, issue, actor, "note", {}, (note or "").strip() or None, (told or "").strip() or None)
    return issue


def reassign(ref: str, first_responder: str, *, session: Session, actor: str, role: str,
             version: int | None, reach: scope.Reach | None = None) -> SupervisorIssue:
    issue = _load(session, ref, version, reach)
    if issue.status == "closed":
        raise InvalidTransition("err_transition", current="closed", target="reassign")
    _check_owner(issue, actor, role)
    if not first_responder.strip():
        raise ValidationFailed("err_fields", fields="first_responder")
    if reach is not None:
        _check_responder(session, first_responder, issue.project_id,
                         None if issue.project_id is not None else _company_of(session, issue))
    _log(session, issue, actor, "reassign", _apply(issue, {"first_responder": first_responder.strip()}))
    return issue


# ---- read side -----------------------------------------------------------------------------

def _org():
    return (I.__table__.outerjoin(Project, Project.id == I.project_id)
            .outerjoin(Company, Company.id == Project.company_id))


def _scope_conditions(flt: KpiFilter) -> list:
    """As `in_reach`, in SQL: by the issue's project, or for one raised from a listening finding (no
    project) by the company of the employee who found it."""
    if flt.scope_projects is None:
        return []
    found_by = (select(Employee.company_id).join(ListeningActivity, ListeningActivity.employee_id == Employee.id)
                .where(ListeningActivity.issue_id == I.id).scalar_subquery())
    return [or_(I.project_id.in_(flt.scope_projects),
                and_(I.project_id.is_(None), found_by.in_(flt.scope_companies or ())))]


def conditions(flt: KpiFilter, *, source: str | None = None, statuses: tuple[str, ...] = (),
               responsible_parties: tuple[str, ...] = (), owner: str | None = None, search: str = "",
               overdue_only: bool = False, today: date | None = None) -> list:
    where = [I.raised_on >= flt.start, I.raised_on <= flt.end, *_scope_conditions(flt)]
    if source:
        where.append(I.source == source)
    where.extend(scope.where_names(flt))
    if flt.categories:
        where.append(I.category.in_(flt.categories))
    if statuses:
        where.append(I.status.in_(statuses))
    if responsible_parties:
        where.append(I.responsible_party.in_(responsible_parties))
    if owner:
        where.append(I.first_responder == owner)
    if overdue_only:
        where += [I.status.not_in(ISSUE_DONE), I.due_on < (today or local_now().date())]
    if search.strip():
        where.append(or_(*(contains(field, search) for field in (I.ref, I.description, Project.name))))
    return where


LIST_COLUMNS = ["ref", "raised_on", "status", "source", "company", "project", "category", "responsible_party",
                "first_responder", "due_on", "resolved_on", "closed_on", "feedback_score", "description", "version"]


def list_frame(flt: KpiFilter, *, session: Session, order: str = "raised", limit: int = LIST_LIMIT,
               **criteria) -> pd.DataFrame:
    stmt = (select(I.ref, I.raised_on, I.status, I.source, Company.name, Project.name, I.category,
                   I.responsible_party, I.first_responder, I.due_on, I.resolved_on, I.closed_on, I.feedback_score,
                   I.description, I.version)
            .select_from(_org()).where(*conditions(flt, **criteria)).limit(limit))
    if order == "closed":
        stmt = stmt.order_by(I.closed_on.desc().nulls_last(), I.resolved_on.desc())
    elif order == "due":
        stmt = stmt.order_by(I.due_on, I.raised_on)
    else:
        stmt = stmt.order_by(I.raised_on.desc(), I.id.desc())
    return pd.DataFrame(session.execute(stmt).all(), columns=LIST_COLUMNS)


def board(flt: KpiFilter, *, session: Session, **criteria) -> dict[str, int]:
    """Open issues by status (the board's column counts), counted in SQL."""
    stmt = (select(I.status, func.count()).select_from(_org())
            .where(*conditions(flt, **criteria), I.status != "closed").group_by(I.status))
    return dict(session.execute(stmt).all())


def breakdown(flt: KpiFilter, by: str, *, session: Session, source: str = "supervisor") -> pd.DataFrame:
    """Issues raised and still open per category / responsible party / company / project."""
    column = {"category": I.category, "responsible_party": I.responsible_party, "company": Company.name,
              "project": Project.name}[by]
    is_open = case((I.status.not_in(ISSUE_DONE), 1), else_=0)
    stmt = (select(column.label("key"), func.count().label("raised"), func.sum(is_open).label("open"))
            .select_from(_org()).where(*conditions(flt, source=source)).group_by(column)
            .order_by(func.count().desc()))
    return pd.DataFrame(session.execute(stmt).all(), columns=["key", "raised", "open"])


def ageing(flt: KpiFilter, *, session: Session, today: date | None = None, source: str = "supervisor") -> pd.DataFrame:
    """Open issues by days since raised: ≤7, 8–15, 16–30, 31–60, >60."""
    today = today or local_now().date()
    age = days_between(session, I.raised_on, today)
    bucket = case((age <= 7, "0-7"), (age <= 15, "8-15"), (age <= 30, "16-30"), (age <= 60, "31-60"), else_="60+")
    stmt = (select(bucket, func.count()).select_from(_org())
            .where(*conditions(flt, source=source), I.status.not_in(ISSUE_DONE)).group_by(bucket))
    counts = dict(session.execute(stmt).all())
    order = ["0-7", "8-15", "16-30", "31-60", "60+"]
    return pd.DataFrame({"bucket": order, "count": [counts.get(b, 0) for b in order]})


def in_reach(issue: SupervisorIssue, reach: scope.Reach | None, *, session: Session) -> bool:
    """An issue is in a reader's scope by its project; one raised from a listening finding (no project)
    by the company of the employee who found it (a whole company in scope, as listening is)."""
    if reach is None or reach.is_group:
        return True
    return _covers(reach, issue.project_id, None if issue.project_id is not None else _company_of(session, issue))


def detail(ref: str, *, session: Session, reach: scope.Reach | None = None
           ) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """One issue, who raised it and its updates; an issue outside `reach` is refused (err_record_out_of_scope)."""
    issue = session.scalar(select(I).where(I.ref == ref))
    if issue is None:
        raise NotFound("err_not_found", what=ref)
    if not in_reach(issue, reach, session=session):
        raise scope.OutOfScope("err_record_out_of_scope", ref=ref)
    record = {c.name: getattr(issue, c.name) for c in I.__table__.columns}
    project = session.get(Project, issue.project_id) if issue.project_id else None
    record["project"] = project.name if project else None
    record["company"] = session.get(Company, project.company_id).name if project else None
    if issue.source == "listening":
        finder = session.execute(select(Employee.name, Company.name).join(
            ListeningActivity, ListeningActivity.employee_id == Employee.id).join(
            Company, Company.id == Employee.company_id).where(ListeningActivity.issue_id == issue.id)).first()
        if finder:
            record["found_by"], record["company"] = finder
    raisers = pd.DataFrame(session.execute(
        select(Supervisor.supervisor_no, Supervisor.name, Supervisor.phone)
        .join(SupervisorIssueRaiser, SupervisorIssueRaiser.supervisor_id == Supervisor.id)
        .where(SupervisorIssueRaiser.issue_id == issue.id).order_by(SupervisorIssueRaiser.position)).all(),
        columns=["supervisor_no", "name", "phone"])
    updates = pd.DataFrame(session.execute(
        select(SupervisorIssueUpdate.at, SupervisorIssueUpdate.actor, SupervisorIssueUpdate.action,
               SupervisorIssueUpdate.changes, SupervisorIssueUpdate.note, SupervisorIssueUpdate.told_supervisor)
        .where(SupervisorIssueUpdate.issue_id == issue.id).order_by(SupervisorIssueUpdate.id)).all(),
        columns=["at", "actor", "action", "changes", "note", "told_supervisor"])
    return record, raisers, updates


def supervisor_choices(*, session: Session, reach: scope.Reach | None = None) -> dict[int, str]:
    """Serving supervisors for the quick form: id → "S00012 王英 · 项目"; of projects in `reach` only."""
    today = local_now().date()
    where = [] if reach is None or reach.is_group else [Supervisor.project_id.in_(sorted(reach.projects))]
    rows = session.execute(select(Supervisor.id, Supervisor.supervisor_no, Supervisor.name, Project.name)
                           .join(Project, Project.id == Supervisor.project_id)
                           .where(or_(Supervisor.left_on.is_(None), Supervisor.left_on >= today), *where)
                           .order_by(Supervisor.supervisor_no)).all()
    return {sid: f"{no} {name} · {project}" for sid, no, name, project in rows}
