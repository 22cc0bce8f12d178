"""An import limited to the importer's scope (SPEC §11): any row outside it refuses the whole file.

Checked after the cells are parsed and before anything is written, in the read session of the
database rules. A row is outside the scope when it names a project the scope does not cover, a new
project of a company the scope does not cover whole (a company-scoped user may open new projects of
its own company; a project-scoped one may not), a new company, or when its key names a stored record
of another part of the group (an update would move that record into the file's project).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.db import among
from lib.imports.core import Batch, RowError
from lib.models import (
    Company,
    Complaint,
    Employee,
    ListeningActivity,
    Project,
    Supervisor,
    SupervisorIssue,
    SurveyResponse,
)
from lib.scope import Reach
from lib.vocab import normalise_text

CHUNK = 5000

_OUT = ("不在您的数据范围内", "is outside your data scope")


def errors(kind: str, session: Session, batch: Batch, reach: Reach) -> list[RowError]:
    """Every row of `batch` outside `reach`, named (row, column, value, reason in both languages)."""
    if reach.is_group or not batch.columns:
        return []
    found: list[RowError] = []
    if kind in ("complaints", "survey", "supervisors", "supervision_activities"):
        found += _places(session, batch, reach)
    if kind == "complaints":
        found += _stored(session, batch, reach, "ref", Complaint.ref, Complaint.project_id, "投诉", "complaint")
    elif kind == "supervisors":
        found += _stored(session, batch, reach, "supervisor_no", Supervisor.supervisor_no, Supervisor.project_id,
                         "监督员", "supervisor")
    elif kind == "survey":
        found += _stored_answers(session, batch, reach)
    elif kind == "employees":
        found += _employee_companies(session, batch, reach)
    elif kind == "listening":
        found += _stored(session, batch, reach, "employee_no", Employee.employee_no, Employee.company_id,
                         "员工", "employee", whole_company=True)
    elif kind == "supervisor_issues":
        found += _raisers(session, batch, reach)
        found += _stored_issues(session, batch, reach)
    found.sort(key=lambda e: e.row)
    return found


def _places(session: Session, batch: Batch, reach: Reach) -> list[RowError]:
    """The company and project each row names, as the import would resolve them (normalised names)."""
    companies = {normalise_text(name): cid for cid, name in session.execute(select(Company.id, Company.name))}
    projects = {(cid, norm): pid for pid, cid, norm in session.execute(
        select(Project.id, Project.company_id, Project.name_norm))}
    verdicts: dict[tuple[Any, Any], RowError | None] = {}
    out = []
    for line, company, project in zip(batch.lines, batch["company"], batch["project"], strict=True):
        if company is None or project is None:  # a blank required cell: already a row error
            continue
        key = (company, project)
        if key not in verdicts:
            verdicts[key] = _place(0, company, project, companies, projects, reach)
        error = verdicts[key]
        if error is not None:
            out.append(RowError(line, error.column, error.value, error.reason_zh, error.reason_en))
    return out


def _place(line: int, company: str, project: str, companies: dict[str, int],
           projects: dict[tuple[int, str], int], reach: Reach) -> RowError | None:
    cid = companies.get(normalise_text(company))
    if cid is None:
        return RowError(line, "company", company, f"公司“{company}”是新公司，{_OUT[0]}（只有集团范围的用户可以新建公司）",
                        f"company “{company}” is new and {_OUT[1]} (only a group-scoped user may add a company)")
    pid = projects.get((cid, normalise_text(project)))
    if pid is None:
        if cid in reach.companies:
            return None  # a new project of a company wholly in scope
        return RowError(line, "company", company, f"公司“{company}”{_OUT[0]}，不能新建其项目“{project}”",
                        f"company “{company}” {_OUT[1]}: you cannot add its project “{project}”")
    if pid in reach.projects:
        return None
    return RowError(line, "project", project, f"项目“{company} / {project}”{_OUT[0]}",
                    f"project “{company} / {project}” {_OUT[1]}")


def _in_chunks(session: Session, column, values: list[Any], columns: tuple) -> Iterable[tuple]:
    distinct = sorted({v for v in values if v is not None}, key=str)
    for start in range(0, len(distinct), CHUNK):
        yield from session.execute(select(*columns).where(among(session, column, distinct[start:start + CHUNK])))


def _stored(session: Session, batch: Batch, reach: Reach, name: str, key_column, owner_column, zh: str, en: str,
            *, whole_company: bool = False) -> list[RowError]:
    """Rows whose key names a stored record of a project (or, `whole_company`, a company) out of reach."""
    allowed = reach.companies if whole_company else reach.projects
    owner = dict(_in_chunks(session, key_column, batch[name], (key_column, owner_column)))
    return [RowError(line, name, str(value), f"{zh} {value} 属于您数据范围以外的" + ("公司" if whole_company else "项目"),
                     f"{en} {value} belongs to a {'company' if whole_company else 'project'} outside your data scope")
            for line, value in zip(batch.lines, batch[name], strict=True)
            if value in owner and owner[value] not in allowed]


def _employee_companies(session: Session, batch: Batch, reach: Reach) -> list[RowError]:
    """A roster row names a company the scope covers whole; an employee already stored stays in it."""
    companies = {normalise_text(name): cid for cid, name in session.execute(select(Company.id, Company.name))}
    out = []
    for line, company in zip(batch.lines, batch["company"], strict=True):
        if company is not None and companies.get(normalise_text(company)) not in reach.companies:
            out.append(RowError(line, "company", company, f"公司“{company}”{_OUT[0]}（员工名单需要整个公司在范围内）",
                                f"company “{company}” {_OUT[1]} (a roster needs the whole company in scope)"))
    return out + _stored(session, batch, reach, "employee_no", Employee.employee_no, Employee.company_id,
                         "员工", "employee", whole_company=True)


def _stored_answers(session: Session, batch: Batch, reach: Reach) -> list[RowError]:
    """A survey answer already stored (same respondent, touchpoint and day) of another project."""
    keys = list(zip(batch["respondent_key"], batch["touchpoint"], batch["surveyed_on"], strict=True))
    owner = {(k, t, d): pid for k, t, d, pid in _in_chunks(
        session, SurveyResponse.respondent_key, batch["respondent_key"],
        (SurveyResponse.respondent_key, SurveyResponse.touchpoint, SurveyResponse.surveyed_on,
         SurveyResponse.project_id))}
    return [RowError(line, "respondent_key", str(key[0]), "该受访者的答卷属于您数据范围以外的项目",
                     "this respondent's stored answer belongs to a project outside your data scope")
            for line, key in zip(batch.lines, keys, strict=True) if key in owner and owner[key] not in reach.projects]


def _raisers(session: Session, batch: Batch, reach: Reach) -> list[RowError]:
    numbers = [n for group in batch["supervisor_no"] if group for n in group]
    project_of = dict(_in_chunks(session, Supervisor.supervisor_no, numbers,
                                 (Supervisor.supervisor_no, Supervisor.project_id)))
    return [RowError(line, "supervisor_no", n, f"监督员 {n} 所在项目{_OUT[0]}",
                     f"supervisor {n}'s project {_OUT[1]}")
            for line, group in zip(batch.lines, batch["supervisor_no"], strict=True) for n in (group or ())
            if n in project_of and project_of[n] not in reach.projects]


def _stored_issues(session: Session, batch: Batch, reach: Reach) -> list[RowError]:
    """An issue already stored of another project (a listening item: of a company not wholly in scope)."""
    stored = _issue_owners(session, batch["ref"])

    def covered(owner: tuple[int | None, int | None]) -> bool:
        return owner[0] in reach.projects if owner[0] is not None else owner[1] in reach.companies

    return [RowError(line, "ref", ref, f"问题 {ref} 属于您数据范围以外的项目",
                     f"issue {ref} belongs to a project outside your data scope")
            for line, ref in zip(batch.lines, batch["ref"], strict=True) if ref in stored and not covered(stored[ref])]


def _issue_owners(session: Session, refs: list[Any]) -> dict[str, tuple[int | None, int | None]]:
    distinct = sorted({r for r in refs if r is not None})
    owners: dict[str, tuple[int | None, int | None]] = {}
    for start in range(0, len(distinct), CHUNK):
        rows = session.execute(
            select(SupervisorIssue.ref, SupervisorIssue.project_id, Employee.company_id)
            .outerjoin(ListeningActivity, ListeningActivity.issue_id == SupervisorIssue.id)
            .outerjoin(Employee, Employee.id == ListeningActivity.employee_id)
            .where(among(session, SupervisorIssue.ref, distinct[start:start + CHUNK])))
        owners |= {ref: (pid, cid) for ref, pid, cid in rows}
    return owners
