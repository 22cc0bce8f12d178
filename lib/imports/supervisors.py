"""Owner supervisor group files (SPEC §6, §9): supervisors, supervision activities and their issues."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select

from lib.imports.base import Importer, WriteContext, WriteRefused, changed
from lib.imports.core import (
    Batch,
    CellError,
    Column,
    RowError,
    each_row,
    not_before,
    parse_date,
    parse_int,
    parse_vocab,
    sized,
    text,
)
from lib.models import (
    Company,
    Project,
    SupervisionActivity,
    Supervisor,
    SupervisorIssue,
    SupervisorIssueRaiser,
    SupervisorIssueUpdate,
)
from lib.services import settings
from lib.text import index as text_index
from lib.text.segment import lexicon
from lib.vocab import ISSUE_TRANSITIONS, label


def parse_term(value: Any) -> int | None:
    """届次 as 3, "3" or "第3届"; at most nine digits (a longer number is a row error, not a ValueError
    from int() past Python's 4,300-digit limit, nor an integer the database column cannot hold)."""
    raw = text(value)
    if raw is None:
        return None
    match = re.fullmatch(r"第?\s*(\d{1,9})\s*届?", raw)
    if not match or int(match.group(1)) < 1:
        raise CellError("届次应为正整数（如 3 或 第3届）", "term must be a positive whole number (3 or 第3届)")
    return int(match.group(1))


SUPERVISOR_COLUMNS = [
    Column("supervisor_no", "监督员编号", True, text),
    Column("name", "姓名", True, text),
    Column("company", "公司", True, text),
    Column("city", "城市", True, text),
    Column("project", "项目", True, text),
    Column("term", "届次", True, parse_term),
    Column("joined_on", "加入日期", True, parse_date),
    Column("left_on", "退出日期", False, parse_date),
    Column("phone", "联系电话", False, text),
]
SUPERVISOR_COLUMNS = sized(SUPERVISOR_COLUMNS, Supervisor, company=Company.name, city=Project.city, project=Project.name)
OPTIONAL = frozenset(c.name for c in SUPERVISOR_COLUMNS if not c.required)


def write_supervisors(batch: Batch, ctx: WriteContext) -> None:
    session, rows = ctx.session, batch.rows()
    existing = {s.supervisor_no: s for s in session.scalars(
        select(Supervisor).where(Supervisor.supervisor_no.in_([r["supervisor_no"] for _, r in rows])))}
    for _, r in rows:
        project = ctx.resolver.project(r["company"], r["city"], r["project"], None)
        values = {"name": r["name"], "project_id": project.id, "term": r["term"], "joined_on": r["joined_on"],
                  "left_on": r.get("left_on"), "phone": r.get("phone")}
        current = existing.get(r["supervisor_no"])
        if current is None:
            session.add(Supervisor(supervisor_no=r["supervisor_no"], **values))
            ctx.result.inserted += 1
            continue
        values = {k: v for k, v in values.items() if k not in OPTIONAL or k in ctx.present}  # absent: kept
        if changed(current, values):
            for name, value in values.items():
                setattr(current, name, value)
            ctx.result.updated += 1
        else:
            ctx.result.unchanged += 1


SUPERVISORS = Importer("supervisors", "supervisor", SUPERVISOR_COLUMNS, write_supervisors,
                       key=("supervisor_no",), check=each_row(lambda line, r: not_before(line, r, "joined_on", "left_on")))

ACTIVITY_COLUMNS = [
    Column("activity_date", "活动日期", True, parse_date),
    Column("company", "公司", True, text),
    Column("city", "城市", True, text),
    Column("project", "项目", True, text),
    Column("activity_type", "活动类型", True, parse_vocab("supervision_activity_type")),
    Column("participants", "参与人数", True, parse_int(0, None)),
    Column("note", "备注", False, text),
]
ACTIVITY_COLUMNS = sized(ACTIVITY_COLUMNS, SupervisionActivity, company=Company.name, city=Project.city,
                         project=Project.name)


def write_activities(batch: Batch, ctx: WriteContext) -> None:
    """The whole row is the natural key: a row already stored (or repeated in the file) is skipped."""
    session, rows = ctx.session, batch.rows()
    resolved = [(ctx.resolver.project(r["company"], r["city"], r["project"], None).id, r) for _, r in rows]
    seen = {tuple(r) for r in session.execute(
        select(SupervisionActivity.project_id, SupervisionActivity.activity_date,
               SupervisionActivity.activity_type, SupervisionActivity.participants, SupervisionActivity.note)
        .where(SupervisionActivity.project_id.in_({p for p, _ in resolved})))}
    for project_id, r in resolved:
        key = (project_id, r["activity_date"], r["activity_type"], r["participants"], r.get("note"))
        if key in seen:
            ctx.result.unchanged += 1
            continue
        seen.add(key)
        session.add(SupervisionActivity(project_id=key[0], activity_date=key[1], activity_type=key[2],
                                        participants=key[3], note=key[4]))
        ctx.result.inserted += 1


ACTIVITIES = Importer("supervision_activities", "supervision_activity", ACTIVITY_COLUMNS, write_activities)


def parse_supervisor_nos(value: Any) -> tuple[str, ...] | None:
    """One or more supervisor numbers: "S001" or "S001、S002" (also , ; / and spaces)."""
    raw = text(value)
    if raw is None:
        return None
    return tuple(dict.fromkeys(n for n in re.split(r"[,，;；、/\s]+", raw) if n))


ISSUE_COLUMNS = [
    Column("ref", "问题编号", True, text),
    Column("raised_on", "提出日期", True, parse_date),
    Column("supervisor_no", "监督员编号", True, parse_supervisor_nos),
    Column("category", "类别", True, parse_vocab("category")),
    Column("description", "问题描述", True, text),
    Column("responsible_party", "责任主体", True, parse_vocab("responsible_party")),
    Column("status", "状态", False, parse_vocab("issue_status")),
    Column("first_responder", "首问责任人", False, text),
    Column("due_on", "计划完成日期", False, parse_date),
    Column("resolved_on", "解决日期", False, parse_date),
    Column("closed_on", "关闭日期", False, parse_date),
    Column("feedback_score", "监督员评分", False, parse_int(1, 5)),
]
ISSUE_COLUMNS = sized(ISSUE_COLUMNS, SupervisorIssue)
ISSUE_OPTIONAL = frozenset(c.name for c in ISSUE_COLUMNS if not c.required)
REOPENABLE = ("resolved", "feedback_given")


def _forward(status: str) -> set[str]:
    """The statuses reachable from `status` by moving on along the flow (SPEC §6), reopens left out."""
    seen, todo = set(), [status]
    while todo:
        for target in ISSUE_TRANSITIONS.get(todo.pop(), ()):
            if target not in seen and not (target == "in_progress" and status in REOPENABLE):
                seen.add(target)
                todo.append(target)
    return seen - {status} if status in REOPENABLE else seen


FORWARD = {status: _forward(status) for status in ISSUE_TRANSITIONS}


def status_move(current: str, target: str) -> str | None:
    """"same", "forward" (several allowed steps at once: the file is a newer version) or "reopen";
    None when SPEC §6 refuses the move."""
    if target == current:
        return "same"
    if target == "in_progress" and current in REOPENABLE:
        return "reopen"
    return "forward" if target in FORWARD[current] else None


def _move_error(line: int, current: str, target: str | None) -> list[RowError]:
    if current is None or target is None or status_move(current, target) is not None:
        return []
    return [RowError(line, "status", target,
                     f"状态不能从“{label('issue_status', current, 'zh')}”改为“{label('issue_status', target, 'zh')}”",
                     f"status cannot move from {current} to {target}")]


def check_issue(line: int, row: dict[str, Any]) -> list[RowError]:
    return not_before(line, row, "raised_on", "due_on", "resolved_on", "closed_on")


def resolve_issues(session, batch: Batch) -> list[RowError]:
    """Every raiser must already be in the supervisor registry (import supervisors first)."""
    rows = batch.rows()
    numbers = sorted({n for _, r in rows for n in r["supervisor_no"]})
    known = set()
    for start in range(0, len(numbers), 5000):
        known |= set(session.scalars(select(Supervisor.supervisor_no).where(
            Supervisor.supervisor_no.in_(numbers[start:start + 5000]))))
    errors = [RowError(line, "supervisor_no", n, "监督员编号不在监督员名册中（请先导入监督员）",
                       "supervisor_no is not in the supervisor registry (import supervisors first)")
              for line, r in rows for n in r["supervisor_no"] if n not in known]
    if "status" in batch.columns:
        refs = [r["ref"] for _, r in rows]
        stored = {}
        for start in range(0, len(refs), 5000):
            stored |= dict(session.execute(select(SupervisorIssue.ref, SupervisorIssue.status).where(
                SupervisorIssue.ref.in_(refs[start:start + 5000]))).all())
        errors += [e for line, r in rows for e in _move_error(line, stored.get(r["ref"]), r["status"])]
    return errors


def write_issues(batch: Batch, ctx: WriteContext) -> None:
    session, rows = ctx.session, batch.rows()
    due_days = ctx.cache.setdefault("due_days", settings.get("issue_due_days", session=session))
    supervisors = {s.supervisor_no: s for s in session.scalars(select(Supervisor).where(
        Supervisor.supervisor_no.in_({n for _, r in rows for n in r["supervisor_no"]})))}
    existing = {i.ref: i for i in session.scalars(
        select(SupervisorIssue).where(SupervisorIssue.ref.in_([r["ref"] for _, r in rows])))}
    refused, retext = [], []
    for line, r in rows:
        raisers = [supervisors[n] for n in r["supervisor_no"]]
        values = {
            "raised_on": r["raised_on"], "project_id": raisers[0].project_id, "category": r["category"],
            "description": r["description"], "responsible_party": r["responsible_party"],
            "first_responder": r.get("first_responder"),
            "due_on": r.get("due_on") or r["raised_on"] + timedelta(days=due_days),
            "status": r.get("status") or "open", "resolved_on": r.get("resolved_on"),
            "closed_on": r.get("closed_on"), "feedback_score": r.get("feedback_score"),
        }
        current = existing.get(r["ref"])
        if current is None:
            current = SupervisorIssue(ref=r["ref"], source="supervisor", **values)
            session.add(current)
            session.flush()
            _set_raisers(ctx, current.id, raisers, new=True)
            session.add(SupervisorIssueUpdate(issue_id=current.id, actor=ctx.actor, action="import",
                                              changes=json.dumps({"status": [None, values["status"]]})))
            ctx.result.inserted += 1
            retext.append(current.id)
            continue
        refused += _move_error(line, current.status, r.get("status"))
        # a column the file leaves out, or a blank status or due date, keeps the stored value
        values = {k: v for k, v in values.items() if k not in ISSUE_OPTIONAL or (
            k in ctx.present and not (k in ("status", "due_on") and r.get(k) is None))}
        move = status_move(current.status, values.get("status", current.status))
        if move == "reopen":  # as the issue page does
            values |= {"resolved_on": None, "closed_on": None}
        changes = changed(current, values)
        old_raisers = list(session.scalars(select(SupervisorIssueRaiser.supervisor_id)
                                           .where(SupervisorIssueRaiser.issue_id == current.id)
                                           .order_by(SupervisorIssueRaiser.position)))
        if old_raisers != [s.id for s in raisers]:
            changes["supervisor_no"] = [None, ",".join(r["supervisor_no"])]
            _set_raisers(ctx, current.id, raisers)
        if not changes:
            ctx.result.unchanged += 1
            continue
        for name, value in values.items():
            setattr(current, name, value)
        if {"description", "category", "raised_on", "project_id", "status"} & set(changes):
            retext.append(current.id)
        session.add(SupervisorIssueUpdate(issue_id=current.id, actor=ctx.actor,
                                          action="reopen" if move == "reopen" else "import_update",
                                          changes=json.dumps(changes, ensure_ascii=False)))
        ctx.result.updated += 1
    if refused:  # changed since the file was checked: the whole import is refused
        raise WriteRefused(refused)
    # SPEC §15: the terms of the new and changed issues, taken back with the rest if the import fails
    text_index.index("supervisor_issue", retext, session=session, insert=ctx.insert, removing=ctx.journal.removing,
                     lex=ctx.cache["lexicon"] if "lexicon" in ctx.cache else ctx.cache.setdefault(
                         "lexicon", lexicon(session=session)))


def _set_raisers(ctx: WriteContext, issue_id: int, raisers: list[Supervisor], new: bool = False) -> None:
    session = ctx.session
    if not new:
        where = SupervisorIssueRaiser.issue_id == issue_id
        ctx.journal.removing(session, SupervisorIssueRaiser.__table__, where)
        session.execute(delete(SupervisorIssueRaiser).where(where))
    session.add_all(SupervisorIssueRaiser(issue_id=issue_id, supervisor_id=s.id, position=i)
                    for i, s in enumerate(raisers))


ISSUES = Importer("supervisor_issues", "supervisor_issue", ISSUE_COLUMNS, write_issues, key=("ref",),
                  check=each_row(check_issue), resolve=resolve_issues)
