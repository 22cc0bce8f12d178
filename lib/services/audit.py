"""The append-only audit log: one insert per event; nothing in the code updates or deletes it."""
from __future__ import annotations

import json
from datetime import date, datetime

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.models import AuditLog


def record(
    *, session: Session, actor: str, action: str, entity: str | None = None,
    entity_id: str | int | None = None, detail: dict | None = None,
) -> None:
    session.add(
        AuditLog(
            actor=actor or "anonymous",
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
        )
    )
    session.flush()


def search(
    *, session: Session, actor: str | None = None, action: str | None = None,
    start: date | None = None, end: date | None = None, limit: int = 500,
) -> pd.DataFrame:
    stmt = select(AuditLog.at, AuditLog.actor, AuditLog.action, AuditLog.entity,
                  AuditLog.entity_id, AuditLog.detail).order_by(AuditLog.id.desc()).limit(limit)
    if actor:
        stmt = stmt.where(AuditLog.actor == actor)
    if action:
        stmt = stmt.where(AuditLog.action == action)
    if start:
        stmt = stmt.where(AuditLog.at >= datetime.combine(start, datetime.min.time()))
    if end:
        stmt = stmt.where(AuditLog.at < datetime.combine(end, datetime.min.time()) + pd.Timedelta(days=1))
    rows = session.execute(stmt).all()
    return pd.DataFrame(rows, columns=["at", "actor", "action", "entity", "entity_id", "detail"])


def actions(*, session: Session) -> list[str]:
    return list(session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)))
