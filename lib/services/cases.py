"""Typical-case reviews (典型案例复盘, SPEC §14): a complaint marked typical, its review and a searchable library.

Design (the least invasive one): a preventive action is not a table with a lifecycle of its own but an
issue of the existing improvement-item tracker (lib.services.issues, pages/4_Issues.py) with
`source = 'typical_case'` and a `DX…` ref, on the complaint's project (so the tracker's scope rules
apply unchanged). `typical_case_action` links it to its case and holds the owner department; the due
date, first responder (who chases it to closure), status, update log and audit are the tracker's own.
An action counts as closed when its issue is `closed`; a case is closed when all its actions are.
The supervisor-group KPIs count `source = 'supervisor'` only, so these actions do not change them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from lib import privacy, scope
from lib.db import contains, local_now
from lib.errors import Conflict, NotFound, ValidationFailed
from lib.models import Company, Complaint, Project, SupervisorIssue, TypicalCase, TypicalCaseAction, TypicalCaseTag
from lib.services import audit, issues
from lib.vocab import CATEGORIES

SOURCE = "typical_case"
MAX_TAGS, TAG_LENGTH, TEXT_LENGTH = 10, 40, 4000
LIST_LIMIT = 500
TC, TA, TT, I = TypicalCase, TypicalCaseAction, TypicalCaseTag, SupervisorIssue  # noqa: E741 - SQL-like aliases


@dataclass
class Action:
    description: str
    owner_department: str
    due_on: date | None
    first_responder: str | None = None  # default: the reviewer (首问责任制: who raises it chases it)


@dataclass
class Review:
    what_happened: str
    root_cause: str
    lessons: str
    tags: list[str] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)


def parse_tags(text: str | list[str] | None) -> list[str]:
    """Tags as typed: separated by commas (, ，、) or new lines; trimmed, duplicates dropped, order kept."""
    if text is None:
        return []
    if isinstance(text, str):
        for sep in ("，", "、", "\n", ";", "；"):
            text = text.replace(sep, ",")
        text = text.split(",")
    return list(dict.fromkeys(t.strip() for t in text if t and t.strip()))


def _check_review(review: Review, *, need_actions: bool) -> list[str]:
    problems = [f"case_{name}" for name in ("what_happened", "root_cause", "lessons")
                if not (getattr(review, name) or "").strip() or len(getattr(review, name)) > TEXT_LENGTH]
    tags = parse_tags(review.tags)
    if len(tags) > MAX_TAGS or any(len(t) > TAG_LENGTH for t in tags):
        problems.append("case_tags")
    if need_actions and not review.actions:
        problems.append("case_actions")
    return problems


def _check_actions(actions: list[Action], today: date) -> list[str]:
    problems = []
    for a in actions:
        if not (a.description or "").strip() or len(a.description) > TEXT_LENGTH:
            problems.append("case_action_description")
        if not (a.owner_department or "").strip() or len(a.owner_department.strip()) > 100:
            problems.append("case_owner_department")
        if a.due_on is None or a.due_on < today:
            problems.append("case_action_due_on")
    return list(dict.fromkeys(problems))


def _complaint(session: Session, ref: str, reach: scope.Reach | None) -> Complaint:
    found = session.scalar(select(Complaint).where(Complaint.ref == (ref or "").strip()))
    if found is None:
        raise NotFound("err_not_found", what=ref)
    if reach is not None and not reach.is_group and found.project_id not in reach.projects:
        raise scope.OutOfScope("err_record_out_of_scope", ref=found.ref)
    return found


def _party(business_line: str) -> str:
    """The tracker's responsible party for an action on a complaint of this business line."""
    return "property" if business_line == "property_management" else "development"


def _raise_actions(session: Session, case_row: TypicalCase, complaint: Complaint, actions: list[Action], *,
                   actor: str, on: date, reach: scope.Reach | None) -> list[str]:
    refs = []
    for a in actions:
        issue = issues.create(issues.NewIssue(
            raised_on=on, supervisor_ids=[], category=complaint.category if complaint.category in CATEGORIES else "other",
            description=a.description.strip(), responsible_party=_party(complaint.business_line),
            first_responder=(a.first_responder or "").strip() or actor, due_on=a.due_on, source=SOURCE,
            extra={"project_id": complaint.project_id}), session=session, actor=actor, reach=reach)
        session.add(TypicalCaseAction(case_id=case_row.id, issue_id=issue.id,
                                      owner_department=a.owner_department.strip()))
        refs.append(issue.ref)
    session.flush()
    return refs


def mark_typical(complaint_ref: str, review: Review, *, session: Session, actor: str,
                 reach: scope.Reach | None = None, on: date | None = None) -> int:
    """Mark a complaint typical with its review; each preventive action opens a tracker issue. All or
    nothing: a bad field refuses the whole review (err_fields), a complaint outside `reach` too."""
    on = on or local_now().date()
    complaint = _complaint(session, complaint_ref, reach)
    problems = _check_review(review, need_actions=True) + _check_actions(review.actions, on)
    if problems:
        raise ValidationFailed("err_fields", fields=", ".join(problems))
    if complaint.status == "void":
        raise ValidationFailed("case_err_void", ref=complaint.ref)
    if session.scalar(select(TC.id).where(TC.complaint_id == complaint.id)) is not None:
        raise ValidationFailed("case_err_already", ref=complaint.ref)
    row = TypicalCase(complaint_id=complaint.id, marked_on=on, marked_by=actor,
                      what_happened=review.what_happened.strip(), root_cause=review.root_cause.strip(),
                      lessons=review.lessons.strip())
    session.add(row)
    session.flush()
    tags = parse_tags(review.tags)
    session.add_all(TypicalCaseTag(case_id=row.id, tag=t) for t in tags)
    refs = _raise_actions(session, row, complaint, review.actions, actor=actor, on=on, reach=reach)
    audit.record(session=session, actor=actor, action="case_mark", entity="typical_case", entity_id=complaint.ref,
                 detail={"tags": tags, "actions": refs})
    return row.id


def _load(session: Session, complaint_ref: str, reach: scope.Reach | None,
          version: int | None) -> tuple[TypicalCase, Complaint]:
    complaint = _complaint(session, complaint_ref, reach)
    row = session.scalar(select(TC).where(TC.complaint_id == complaint.id))
    if row is None:
        raise NotFound("err_not_found", what=complaint_ref)
    if version is not None and row.version != version:
        raise Conflict("err_conflict", what=complaint_ref)
    return row, complaint


def update_review(complaint_ref: str, review: Review, *, session: Session, actor: str, version: int | None,
                  reach: scope.Reach | None = None) -> None:
    """Edit the review's texts and tags (its actions live in the tracker); optimistic lock on `version`."""
    row, complaint = _load(session, complaint_ref, reach, version)
    problems = _check_review(review, need_actions=False)
    if problems:
        raise ValidationFailed("err_fields", fields=", ".join(problems))
    before = {"what_happened": row.what_happened, "root_cause": row.root_cause, "lessons": row.lessons,
              "tags": sorted(session.scalars(select(TT.tag).where(TT.case_id == row.id)))}
    row.what_happened, row.root_cause, row.lessons = (review.what_happened.strip(), review.root_cause.strip(),
                                                      review.lessons.strip())
    tags = parse_tags(review.tags)
    for old in session.scalars(select(TT).where(TT.case_id == row.id)).all():
        session.delete(old)
    session.flush()
    session.add_all(TypicalCaseTag(case_id=row.id, tag=t) for t in tags)
    row.updated_at = local_now()  # the tag change alone must bump the version too
    after = {"what_happened": row.what_happened, "root_cause": row.root_cause, "lessons": row.lessons,
             "tags": sorted(tags)}
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    try:
        audit.record(session=session, actor=actor, action="case_update", entity="typical_case",
                     entity_id=complaint.ref, detail={"changes": changes})
    except StaleDataError as exc:
        raise Conflict("err_conflict", what=complaint_ref) from exc


def add_actions(complaint_ref: str, actions: list[Action], *, session: Session, actor: str,
                reach: scope.Reach | None = None, on: date | None = None) -> list[str]:
    """More preventive actions on an existing case; returns their tracker refs."""
    on = on or local_now().date()
    row, complaint = _load(session, complaint_ref, reach, None)
    problems = (["case_actions"] if not actions else []) + _check_actions(actions, on)
    if problems:
        raise ValidationFailed("err_fields", fields=", ".join(problems))
    refs = _raise_actions(session, row, complaint, actions, actor=actor, on=on, reach=reach)
    audit.record(session=session, actor=actor, action="case_add_actions", entity="typical_case",
                 entity_id=complaint.ref, detail={"actions": refs})
    return refs


# ---- read side -----------------------------------------------------------------------------

LIBRARY_COLUMNS = ["complaint_ref", "marked_on", "company", "project", "business_line", "category", "tags",
                   "root_cause", "lessons", "actions", "actions_closed"]


@dataclass(frozen=True)
class LibraryQuery:
    categories: tuple[str, ...] = ()
    business_lines: tuple[str, ...] = ()
    companies: tuple[str, ...] = ()
    tag: str = ""
    search: str = ""
    start: date | None = None  # by marked_on
    end: date | None = None


def _conditions(q: LibraryQuery, reach: scope.Reach | None) -> list:
    where = []
    if reach is not None and not reach.is_group:
        where.append(Complaint.project_id.in_(sorted(reach.projects)))
    if q.categories:
        where.append(Complaint.category.in_(q.categories))
    if q.business_lines:
        where.append(Complaint.business_line.in_(q.business_lines))
    if q.companies:
        where.append(Company.name.in_(q.companies))
    if q.tag.strip():
        where.append(exists().where(TT.case_id == TC.id, TT.tag == q.tag.strip()))
    if q.start:
        where.append(TC.marked_on >= q.start)
    if q.end:
        where.append(TC.marked_on <= q.end)
    if q.search.strip():
        # the review's own texts, tags and the complaint's ref: not the complaint's description, which
        # may hold the complainant's name or phone (a search by them would reveal them to executives)
        tagged = exists().where(TT.case_id == TC.id, contains(TT.tag, q.search))
        where.append(or_(*(contains(col, q.search) for col in (Complaint.ref, TC.what_happened, TC.root_cause,
                                                               TC.lessons, Project.name)), tagged))
    return where


def library(q: LibraryQuery, *, session: Session, reach: scope.Reach | None = None,
            limit: int = LIST_LIMIT) -> pd.DataFrame:
    """The case library: cases in `reach` matching `q`, newest first, with their actions counted in SQL."""
    if reach is not None and not reach.is_group:
        scope.check_names(reach, companies=q.companies)
    counts = (select(TA.case_id, func.count().label("n"),
                     func.sum(case((I.status == "closed", 1), else_=0)).label("closed"))
              .join(I, I.id == TA.issue_id).group_by(TA.case_id).subquery())
    stmt = (select(TC.id, Complaint.ref, TC.marked_on, Company.name, Project.name, Complaint.business_line,
                   Complaint.category, TC.root_cause, TC.lessons, func.coalesce(counts.c.n, 0),
                   func.coalesce(counts.c.closed, 0))
            .join(Complaint, Complaint.id == TC.complaint_id).join(Project, Project.id == Complaint.project_id)
            .join(Company, Company.id == Project.company_id).outerjoin(counts, counts.c.case_id == TC.id)
            .where(*_conditions(q, reach)).order_by(TC.marked_on.desc(), TC.id.desc()).limit(limit))
    rows = session.execute(stmt).all()
    tags = _tags(session, [r[0] for r in rows])
    return pd.DataFrame([(r[1], r[2], r[3], r[4], r[5], r[6], "、".join(tags.get(r[0], [])), r[7], r[8], int(r[9]),
                          int(r[10])) for r in rows], columns=LIBRARY_COLUMNS)


def _tags(session: Session, case_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for i in range(0, len(case_ids), 500):
        for cid, tag in session.execute(select(TT.case_id, TT.tag).where(TT.case_id.in_(case_ids[i:i + 500]))
                                        .order_by(TT.case_id, TT.tag)):
            out.setdefault(cid, []).append(tag)
    return out


def tag_choices(*, session: Session, reach: scope.Reach | None = None) -> list[str]:
    """Tags in use on cases in `reach`, most used first."""
    where = [] if reach is None or reach.is_group else [Complaint.project_id.in_(sorted(reach.projects))]
    stmt = (select(TT.tag).join(TC, TC.id == TT.case_id).join(Complaint, Complaint.id == TC.complaint_id)
            .where(*where).group_by(TT.tag).order_by(func.count().desc(), TT.tag))
    return list(session.scalars(stmt))


ACTION_COLUMNS = ["ref", "description", "owner_department", "first_responder", "due_on", "status", "closed_on"]


def detail(complaint_ref: str, *, session: Session, reach: scope.Reach | None = None,
           role: str | None = None) -> tuple[dict, pd.DataFrame]:
    """One case: the complaint's facts (complainant masked unless `role` may see personal data), the review,
    its tags, and its actions as the tracker holds them."""
    row, complaint = _load(session, complaint_ref, reach, None)
    project = session.get(Project, complaint.project_id)
    record = {"complaint_ref": complaint.ref, "received_at": complaint.received_at, "channel": complaint.channel,
              "company": session.get(Company, project.company_id).name, "project": project.name,
              "business_line": complaint.business_line, "category": complaint.category,
              "severity": complaint.severity, "status": complaint.status,
              "complainant_name": complaint.complainant_name, "complainant_phone": complaint.complainant_phone,
              "marked_on": row.marked_on, "marked_by": row.marked_by, "what_happened": row.what_happened,
              "root_cause": row.root_cause, "lessons": row.lessons, "version": row.version,
              "tags": _tags(session, [row.id]).get(row.id, [])}
    record = privacy.record_for_role(record, role)
    actions = pd.DataFrame(session.execute(
        select(I.ref, I.description, TA.owner_department, I.first_responder, I.due_on, I.status, I.closed_on)
        .join(TA, TA.issue_id == I.id).where(TA.case_id == row.id).order_by(TA.id)).all(), columns=ACTION_COLUMNS)
    record["closed"] = bool(len(actions)) and bool((actions["status"] == "closed").all())
    return record, actions


def case_of_issue(issue_ref: str, *, session: Session) -> str | None:
    """The complaint ref of the case a tracker issue is a preventive action of (None: not one)."""
    return session.scalar(select(Complaint.ref).join(TC, TC.complaint_id == Complaint.id)
                          .join(TA, TA.case_id == TC.id).join(I, I.id == TA.issue_id).where(I.ref == issue_ref))


def month_cases(start: date, end: date, *, session: Session, reach: scope.Reach | None = None) -> pd.DataFrame:
    """Cases marked between start and end (the monthly report's new cases)."""
    return library(LibraryQuery(start=start, end=end), session=session, reach=reach, limit=10_000)
