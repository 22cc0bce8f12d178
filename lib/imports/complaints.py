"""Complaint files (SPEC §9): validate every row first, then upsert on `ref` in one transaction."""
from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.db import among
from lib.imports.base import CHUNK, Importer, WriteContext, WriteRefused, changed, run_import
from lib.imports.core import (
    Batch,
    Column,
    ImportResult,
    RowError,
    not_before_all,
    parse_bool,
    parse_datetime,
    parse_int,
    parse_vocab,
    sized,
    text,
)
from lib.models import Company, Complaint, ComplaintEvent, Project
from lib.services import settings
from lib.services.org import ProjectResolver
from lib.services.phone_hash import hashes, phone_hash
from lib.sla import due_times_many
from lib.text import index as text_index
from lib.text import suggest
from lib.text.segment import lexicon
from lib.vocab import COMPLAINT_TRANSITIONS, label

COLUMNS = [
    Column("ref", "投诉编号", True, text),
    Column("received_at", "受理时间", True, parse_datetime),
    Column("channel", "渠道", True, parse_vocab("channel")),
    Column("company", "公司", True, text),
    Column("city", "城市", True, text),
    Column("project", "项目", True, text),
    Column("business_line", "业务线", False, parse_vocab("business_line")),
    Column("category", "类别", False, parse_vocab("category")),
    Column("severity", "级别", False, parse_vocab("severity")),
    Column("responsible", "是否责任投诉", False, parse_bool),
    Column("status", "状态", False, parse_vocab("complaint_status")),
    Column("description", "投诉内容", False, text),
    Column("complainant_name", "投诉人", False, text),
    Column("complainant_phone", "联系电话", False, text),
    Column("first_response_at", "首次响应时间", False, parse_datetime),
    Column("resolved_at", "解决时间", False, parse_datetime),
    Column("followup_at", "回访时间", False, parse_datetime),
    Column("followup_score", "回访评分", False, parse_int(1, 5)),
    Column("closed_at", "归档时间", False, parse_datetime),
    Column("escalation_level", "升级层级", False, parse_int(0, 2)),
    Column("reopen_count", "重开次数", False, parse_int(0, None)),
    Column("root_cause", "原因分析", False, text),
    Column("corrective_action", "纠正预防措施", False, text),
]
COLUMNS = sized(COLUMNS, Complaint, company=Company.name, city=Project.city, project=Project.name)
RESOLVED = ("resolved", "verified", "closed")
REOPENABLE = ("resolved", "verified")


def _forward(status: str) -> set[str]:
    """The statuses reachable from `status` by moving on along the flow (SPEC §3), reopens left out."""
    seen, todo = set(), [status]
    while todo:
        for target in COMPLAINT_TRANSITIONS.get(todo.pop(), ()):
            if target not in seen and not (target == "in_progress" and status in REOPENABLE):
                seen.add(target)
                todo.append(target)
    return seen - {status} if status in REOPENABLE else seen


# An import brings a newer version of a complaint handled elsewhere: the status may have moved on by
# several allowed steps (received → resolved), or been reopened (resolved/verified → in_progress).
# Anything else (back to received, out of closed or void) is refused, as on the complaint page.
FORWARD = {status: _forward(status) for status in COMPLAINT_TRANSITIONS}


def status_move(current: str, target: str) -> str | None:
    """"same", "forward" or "reopen"; None when SPEC §3 refuses the move."""
    if target == current:
        return "same"
    if target == "in_progress" and current in REOPENABLE:
        return "reopen"
    return "forward" if target in FORWARD[current] else None


def _refused(line: int, current: str, target: str) -> RowError:
    return RowError(line, "status", target,
                    f"状态不能从“{label('complaint_status', current, 'zh')}”改为“{label('complaint_status', target, 'zh')}”",
                    f"status cannot move from {current} to {target}")


def check(batch: Batch) -> list[RowError]:
    errors = not_before_all(batch, "received_at", "first_response_at", "resolved_at", "followup_at", "closed_at")
    if "resolved_at" in batch.columns:  # otherwise the stored value counts: see `lifecycle_errors`
        errors += [RowError(line, "resolved_at", "", "已解决的投诉需要解决时间", "a resolved complaint needs resolved_at")
                   for line, status, resolved in zip(batch.lines, batch["status"], batch["resolved_at"], strict=True)
                   if status in RESOLVED and not resolved]
    errors.sort(key=lambda e: e.row)  # stable: within a line, date order first, then the status rule
    return errors


def lifecycle_errors(line: int, row: dict[str, Any], stored: Any | None) -> list[RowError]:
    """A stored complaint's status may only move as SPEC §3 allows; whatever the status becomes,
    a resolved one needs its resolved_at (from the file or, when the file has no such column, stored)."""
    target = row.get("status")
    current = None if stored is None else stored.status
    if current is not None and target is not None and status_move(current, target) is None:
        return [_refused(line, current, target)]
    status = target or current or "received"
    if "resolved_at" in row:
        resolved = row["resolved_at"]
    else:
        resolved = None if stored is None or status_move(current, status) == "reopen" else stored.resolved_at
    if status in RESOLVED and not resolved:
        return [RowError(line, "resolved_at", "", "已解决的投诉需要解决时间", "a resolved complaint needs resolved_at")]
    return []


def resolve(session: Session, batch: Batch) -> list[RowError]:
    """The lifecycle rules against the stored complaints, checked before anything is written."""
    errors = []
    for start in range(0, len(batch), CHUNK):
        part = batch.part(start, start + CHUNK)
        stored = {r.ref: r for r in session.execute(select(Complaint.ref, Complaint.status, Complaint.resolved_at)
                                                    .where(among(session, Complaint.ref, part["ref"])))}
        errors += [error for line, row in part.rows() for error in lifecycle_errors(line, row, stored.get(row["ref"]))]
    return errors


def write(batch: Batch, ctx: WriteContext) -> None:
    """Complaints whose `ref` is stored are updated one by one (with their history), with the file's
    columns only; new ones are written column by column, each with its "import" event."""
    session = ctx.session
    sla = ctx.cache.setdefault("sla", settings.get("sla", session=session))
    refs = batch["ref"]
    existing = {c.ref: c for c in session.scalars(select(Complaint).where(among(session, Complaint.ref, refs)))}
    new = [i for i, ref in enumerate(refs) if ref not in existing]
    if len(new) < len(refs):
        errors = []
        for (line, row), ref in zip(batch.rows(), refs, strict=True):
            if ref in existing:
                errors += _update(session, line, row, existing[ref], ctx, sla)
        if errors:  # changed since the file was checked: the whole import is refused
            raise WriteRefused(errors)
        retext = ctx.cache.pop("text_reindex", [])
        if retext and TOKENISE:
            text_index.index("complaint", retext, session=session, lex=_lexicon(ctx), insert=ctx.insert,
                             removing=ctx.journal.removing)
    if not new:
        return
    if len(new) < len(refs):
        batch = Batch([batch.lines[i] for i in new], {k: [v[i] for i in new] for k, v in batch.columns.items()})
    values = _values(batch, ctx.resolver, sla)
    suggested = _suggest_categories(batch, values, ctx)
    # New complaints at the driver's speed (the ORM's one flush per row, then Core's
    # insertmanyvalues, were the import's bottleneck); ids taken first.
    ids = ctx.insert(Complaint.__table__, {"ref": batch["ref"], **values})
    ctx.insert(ComplaintEvent.__table__, {
        "complaint_id": ids, "actor": [ctx.actor] * len(ids), "action": ["import"] * len(ids),
        "changes": [_created(status) if not s else _created_suggested(status, category)
                    for status, category, s in zip(values["status"], values["category"], suggested, strict=True)],
        "note": [SUGGESTED_NOTE if s else None for s in suggested]})
    if TOKENISE:  # SPEC §15: the new complaints' terms, from the values just written
        text_index.write_rows("complaint", [
            {"record_id": i, "on_date": values["received_at"][k], "project_id": values["project_id"][k],
             "category": values["category"][k], "channel": values["channel"][k],
             "business_line": values["business_line"][k], "description": values["description"][k],
             "status": values["status"][k], "complainant_name": values["complainant_name"][k]}
            for k, i in enumerate(ids)],
            session=session, lex=_lexicon(ctx), insert=ctx.insert)
    ctx.result.inserted += len(new)


# Tokenising on import (issue #26); lib.bench turns it off to measure what it costs per row.
TOKENISE = True
# A blank category is filled with the suggestion from the text (not "other"), and says so in the
# complaint's history: the import event shows the category set and this note.
SUGGESTED_NOTE = "类别按投诉内容自动建议 / category suggested from the description"


def _lexicon(ctx: WriteContext):
    if "lexicon" not in ctx.cache:  # once per import, not per chunk
        ctx.cache["lexicon"] = _Segmented(lexicon(session=ctx.session))
    return ctx.cache["lexicon"]


class _Segmented:
    """The import's lexicon with the file's texts segmented ahead (`prepare`): `terms` of a text seen
    there is a look-up; any other text is segmented as usual."""

    def __init__(self, lex) -> None:
        self.lex, self.done = lex, {}

    def __getattr__(self, name: str):
        return getattr(self.lex, name)

    def terms(self, text: str | None, name: str | None = None) -> tuple[list[str], list[str]]:
        found = self.done.get((text, name))
        return found if found is not None else self.lex.terms(text, name)


def prepare(session: Session, batch: Batch) -> dict[str, Any]:
    """Segment the file's descriptions before the import's first statement (outside SQLite's write
    lock: a chunk then holds it for its writes, not for jieba). `session`: the checks' read session."""
    if not TOKENISE:
        return {}
    lex = _Segmented(lexicon(session=session))
    names = batch["complainant_name"] if "complainant_name" in batch.columns else [None] * len(batch)
    for desc, name in zip(batch["description"], names, strict=True):
        if (desc or "").strip() and (desc, name) not in lex.done:
            lex.done[(desc, name)] = lex.lex.terms(desc, name)
    return {"lexicon": lex}


def _suggest_categories(batch: Batch, values: dict[str, list[Any]], ctx: WriteContext) -> list[bool]:
    """New complaints with a blank category and a description get the suggested category (when the model
    has enough data); the rest keep "other", as before. Returns which rows were suggested."""
    descriptions = batch["description"]
    blank = [k for k, (v, d) in enumerate(zip(batch["category"], descriptions, strict=True)) if v is None and d and d.strip()]
    marks = [False] * len(batch)
    if not blank:
        return marks
    if "categories" not in ctx.cache:
        ctx.cache["categories"] = settings.get("complaint_categories", session=ctx.session)
    guesses = suggest.suggest_many([descriptions[k] for k in blank], session=ctx.session,
                                   lex=_lexicon(ctx), allowed=ctx.cache["categories"])
    for k, guess in zip(blank, guesses, strict=True):
        if guess is not None:
            values["category"][k] = guess.category
            marks[k] = True
    return marks


IMPORTER = Importer("complaints", "complaint", COLUMNS, write, key=("ref",), check=check, resolve=resolve,
                    order="received_at", prepare=prepare)


def import_complaints(data: bytes, filename: str, *, session: Session, actor: str, dry_run: bool = False,
                      progress: Callable[[float], None] | None = None) -> ImportResult:
    return run_import(IMPORTER, data, filename, session=session, actor=actor, dry_run=dry_run, progress=progress)


@functools.lru_cache(maxsize=32)
def _created(status: str) -> str:
    return json.dumps({"status": [None, status]})


@functools.lru_cache(maxsize=256)
def _created_suggested(status: str, category: str) -> str:
    return json.dumps({"status": [None, status], "category": [None, category]})


def _values(batch: Batch, resolver: ProjectResolver, sla: dict[str, float]) -> dict[str, list[Any]]:
    """The stored columns of every row: defaults filled in (SPEC §3: a responsible complaint
    without a severity is ordinary), the project resolved, the SLA due times computed."""
    projects = [resolver.project(*names) for names in zip(
        batch["company"], batch["city"], batch["project"], batch["business_line"], strict=True)]
    responsible = [True if v is None else v for v in batch["responsible"]]
    severity = [("ordinary" if accountable and v is None else v)
                for v, accountable in zip(batch["severity"], responsible, strict=True)]
    first_due, resolution_due = due_times_many(batch["received_at"], batch["channel"], severity, responsible, sla)
    return {
        "received_at": batch["received_at"], "channel": batch["channel"], "project_id": [p.id for p in projects],
        "business_line": [v or p.business_line for v, p in zip(batch["business_line"], projects, strict=True)],
        "category": [v or "other" for v in batch["category"]], "severity": severity, "responsible": responsible,
        "status": [v or "received" for v in batch["status"]], "description": batch["description"],
        "complainant_name": batch["complainant_name"], "complainant_phone": batch["complainant_phone"],
        "phone_hash": hashes(batch["complainant_phone"]),
        "first_response_at": batch["first_response_at"], "resolved_at": batch["resolved_at"],
        "followup_at": batch["followup_at"], "followup_score": batch["followup_score"],
        "closed_at": batch["closed_at"], "escalation_level": [v or 0 for v in batch["escalation_level"]],
        "reopen_count": [v or 0 for v in batch["reopen_count"]], "root_cause": batch["root_cause"],
        "corrective_action": batch["corrective_action"],
        "first_response_due_at": first_due, "resolution_due_at": resolution_due,
    }


# Columns with a default: a blank cell gives a new complaint the default and leaves a stored one as it is.
_DEFAULTED = ("category", "severity", "responsible", "status", "escalation_level", "reopen_count", "business_line")


def _update(session: Session, line: int, row: dict[str, Any], current: Complaint, ctx: WriteContext,
            sla: dict[str, float]) -> list[RowError]:
    """One stored complaint brought up to date from the columns the file has: a column the file
    leaves out keeps its stored value; a status change follows SPEC §3 (a reopen counts)."""
    errors = lifecycle_errors(line, row, current)
    if errors:
        return errors
    given = {k: v for k, v in row.items() if k in COLUMN_NAMES and not (k in _DEFAULTED and v is None)}
    project = ctx.resolver.project(row["company"], row["city"], row["project"], row.get("business_line"))
    values = {k: v for k, v in given.items() if k not in ("ref", "company", "city", "project")}
    values["project_id"] = project.id
    responsible = values.get("responsible", current.responsible)
    severity = values["severity"] if "severity" in values else current.severity
    if responsible and severity is None:
        values["severity"] = "ordinary"
    move = status_move(current.status, values.get("status", current.status))
    if move == "reopen":
        values["reopen_count"] = max(values.get("reopen_count", 0), current.reopen_count + 1)
        values |= {"resolved_at": None, "closed_at": None}  # as the complaint page does
    merged = {k: values.get(k, getattr(current, k)) for k in ("received_at", "channel", "severity", "responsible")}
    first_due, resolution_due = due_times_many([merged["received_at"]], [merged["channel"]], [merged["severity"]],
                                               [merged["responsible"]], sla)
    values |= {"first_response_due_at": first_due[0], "resolution_due_at": resolution_due[0]}
    changes = changed(current, values)
    if not changes:
        ctx.result.unchanged += 1
        return []
    for key, value in values.items():
        setattr(current, key, value)
    if "complainant_phone" in values:  # the hash follows the phone (issue #26), outside the shown changes
        current.phone_hash = phone_hash(current.complainant_phone)
    if _RETEXT & set(changes):
        ctx.cache.setdefault("text_reindex", []).append(current.id)
    session.add(ComplaintEvent(complaint_id=current.id, actor=ctx.actor, action="reopen" if move == "reopen" else "import_update",
                               changes=json.dumps(changes, ensure_ascii=False)))
    ctx.result.updated += 1
    return []


COLUMN_NAMES = frozenset(c.name for c in COLUMNS)
# What the term store copies from a complaint: a change to any of them re-indexes it.
_RETEXT = frozenset({"description", "category", "channel", "received_at", "project_id", "business_line", "status"})
