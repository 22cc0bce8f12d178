"""Complaint files (SPEC §9): validate every row first, then upsert on `ref` in one transaction."""
from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.db import among, insert_columns
from lib.imports.base import Importer, WriteContext, changed, run_import
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
    text,
)
from lib.models import Complaint, ComplaintEvent
from lib.services import settings
from lib.services.org import ProjectResolver
from lib.sla import due_times_many

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
RESOLVED = ("resolved", "verified", "closed")


def check(batch: Batch) -> list[RowError]:
    errors = not_before_all(batch, "received_at", "first_response_at", "resolved_at", "followup_at", "closed_at")
    errors += [RowError(line, "resolved_at", "", "已解决的投诉需要解决时间", "a resolved complaint needs resolved_at")
               for line, status, resolved in zip(batch.lines, batch["status"], batch["resolved_at"], strict=True)
               if status in RESOLVED and not resolved]
    errors.sort(key=lambda e: e.row)  # stable: within a line, date order first, then the status rule
    return errors


def write(batch: Batch, ctx: WriteContext) -> None:
    """Complaints whose `ref` is stored are updated one by one (with their history); new ones are
    written column by column, each with its "import" event."""
    session = ctx.session
    sla = ctx.cache.setdefault("sla", settings.get("sla", session=session))
    values = _values(batch, ctx.resolver, sla)
    refs = batch["ref"]
    existing = {c.ref: c for c in session.scalars(select(Complaint).where(among(session, Complaint.ref, refs)))}
    for i, ref in enumerate(refs):
        if ref in existing:
            _update(session, {k: v[i] for k, v in values.items()}, existing[ref], ctx.actor, ctx.result)
    new = [i for i, ref in enumerate(refs) if ref not in existing]
    if not new:
        return
    if len(new) < len(refs):
        values = {k: [v[i] for i in new] for k, v in values.items()}
    # New complaints at the driver's speed (the ORM's one flush per row, then Core's
    # insertmanyvalues, were the import's bottleneck); ids taken first.
    ids = insert_columns(session, Complaint.__table__, {"ref": [refs[i] for i in new], **values}, ids=True)
    insert_columns(session, ComplaintEvent.__table__, {
        "complaint_id": ids, "actor": [ctx.actor] * len(ids), "action": ["import"] * len(ids),
        "changes": [_created(status) for status in values["status"]]})
    ctx.result.inserted += len(new)


IMPORTER = Importer("complaints", "complaint", COLUMNS, write, key=("ref",), check=check, order="received_at")


def import_complaints(data: bytes, filename: str, *, session: Session, actor: str, dry_run: bool = False,
                      progress: Callable[[float], None] | None = None) -> ImportResult:
    return run_import(IMPORTER, data, filename, session=session, actor=actor, dry_run=dry_run, progress=progress)


@functools.lru_cache(maxsize=32)
def _created(status: str) -> str:
    return json.dumps({"status": [None, status]})


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
        "first_response_at": batch["first_response_at"], "resolved_at": batch["resolved_at"],
        "followup_at": batch["followup_at"], "followup_score": batch["followup_score"],
        "closed_at": batch["closed_at"], "escalation_level": [v or 0 for v in batch["escalation_level"]],
        "reopen_count": [v or 0 for v in batch["reopen_count"]], "root_cause": batch["root_cause"],
        "corrective_action": batch["corrective_action"],
        "first_response_due_at": first_due, "resolution_due_at": resolution_due,
    }


def _update(session, values, current, actor, result) -> None:
    changes = changed(current, values)
    if not changes:
        result.unchanged += 1
        return
    for key, value in values.items():
        setattr(current, key, value)
    session.add(ComplaintEvent(complaint_id=current.id, actor=actor, action="import_update",
                               changes=json.dumps(changes, ensure_ascii=False)))
    result.updated += 1
