"""Logging and working one complaint: create, move along the SPEC §3 lifecycle, record, escalate.

Every change writes a complaint_event (who, when, what changed) and an audit_log row in the same
transaction. Callers pass the version they saw; a record changed since then raises Conflict.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import bindparam, case, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from lib import analytics, scope
from lib.db import contains, flush_with_ref, local_now
from lib.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from lib.kpis import complaints as kpis
from lib.kpis.common import KpiFilter, hours_between
from lib.models import Company, Complaint, ComplaintEvent, Project
from lib.services import audit, settings
from lib.services.phone_hash import phone_hash
from lib.sla import DEFAULT_SLA, due_times, estimated
from lib.text import index as text_index
from lib.vocab import CHANNELS, COMPLAINT_TRANSITIONS, SEVERITIES

EDITABLE = ("category", "severity", "responsible", "description", "complainant_name", "complainant_phone",
            "root_cause", "corrective_action", "assignee")
_PHONE = re.compile(r"[0-9+\-\s()]{5,20}")


@dataclass
class NewComplaint:
    received_at: datetime
    channel: str
    project_id: int
    category: str
    responsible: bool
    severity: str | None
    description: str
    complainant_name: str | None = None
    complainant_phone: str | None = None
    assignee: str | None = None
    business_line: str | None = None
    ref: str | None = None


def _validate(data: NewComplaint, categories: list[str]) -> None:
    problems = []
    if data.channel not in CHANNELS:
        problems.append("channel")
    if data.category not in categories:
        problems.append("category")
    if data.responsible and data.severity not in SEVERITIES:
        problems.append("severity")
    if not (data.description or "").strip():
        problems.append("description")
    if data.complainant_phone and not _PHONE.fullmatch(data.complainant_phone.strip()):
        problems.append("complainant_phone")
    if data.received_at > local_now():
        problems.append("received_at")
    if problems:
        raise ValidationFailed("err_fields", fields=", ".join(problems))


def next_ref(session: Session, received_at: datetime, attempt: int = 0) -> str:
    """TS + yyyymmdd + a 4-digit running number for that day, e.g. TS202510080003.

    The highest number of the day + 1 (+ the retry attempt, so a writer that lost a race jumps past the
    winner instead of queueing behind it again). The range runs up to the next day's prefix — letters
    and digits only, so it sorts the same under any collation — and uses the unique ref index (LIKE is
    case-insensitive on SQLite and would scan every ref)."""
    prefix = f"TS{received_at:%Y%m%d}"
    following = f"TS{received_at + timedelta(days=1):%Y%m%d}"
    refs = session.scalars(select(Complaint.ref).where(Complaint.ref >= prefix, Complaint.ref < following)
                           .order_by(func.length(Complaint.ref).desc(), Complaint.ref.desc()).limit(50)).all()
    numbers = [int(r[len(prefix):]) for r in refs if r[len(prefix):].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1 + attempt:04d}"


def create(data: NewComplaint, *, session: Session, actor: str, reach: scope.Reach | None = None) -> Complaint:
    _validate(data, settings.get("complaint_categories", session=session))
    project = session.get(Project, data.project_id)
    if project is None:
        raise NotFound("err_not_found", what=str(data.project_id))
    if reach is not None:
        scope.require_project(reach, project.id)
    ref = (data.ref or "").strip()
    if ref and session.scalar(select(Complaint.id).where(Complaint.ref == ref)):
        raise ValidationFailed("err_ref_taken", ref=ref)
    severity = data.severity if data.responsible else (data.severity or None)
    due = due_times(data.received_at, data.channel, severity, data.responsible, settings.get("sla", session=session))
    complaint = Complaint(
        ref=ref or None, received_at=data.received_at, channel=data.channel, project_id=project.id,
        business_line=data.business_line or project.business_line, category=data.category, severity=severity,
        responsible=data.responsible, status="received", description=data.description.strip(),
        complainant_name=(data.complainant_name or "").strip() or None,
        complainant_phone=(data.complainant_phone or "").strip() or None, assignee=data.assignee,
        phone_hash=phone_hash(data.complainant_phone),
        escalation_level=0, reopen_count=0,
        first_response_due_at=due.first_response_due_at, resolution_due_at=due.resolution_due_at,
    )
    flush_with_ref(session, complaint, lambda attempt: next_ref(session, data.received_at, attempt),
                   explicit=bool(ref))
    _log(session, complaint, actor, "create", {"status": [None, "received"]})
    text_index.index("complaint", [complaint.id], session=session)  # SPEC §15: terms at write time
    return complaint


def _load(session: Session, ref: str, version: int | None, reach: scope.Reach | None = None) -> Complaint:
    complaint = session.scalar(select(Complaint).where(Complaint.ref == ref))
    if complaint is None:
        raise NotFound("err_not_found", what=ref)
    if reach is not None and not reach.is_group and complaint.project_id not in reach.projects:
        raise scope.OutOfScope("err_record_out_of_scope", ref=ref)
    if version is not None and complaint.version != version:
        raise Conflict("err_conflict", what=ref)
    return complaint


def _log(session: Session, complaint: Complaint, actor: str, action: str, changes: dict,
         note: str | None = None) -> None:
    shown = {k: [None if a is None else str(a), None if b is None else str(b)] for k, (a, b) in changes.items()}
    session.add(ComplaintEvent(complaint_id=complaint.id, actor=actor, action=action,
                               changes=json.dumps(shown, ensure_ascii=False), note=note))
    audit.record(session=session, actor=actor, action=f"complaint_{action}", entity="complaint",
                 entity_id=complaint.ref, detail={"changes": shown, "note": note} if note else {"changes": shown})
    try:
        session.flush()
    except StaleDataError as exc:  # someone saved between our read and our write
        raise Conflict("err_conflict", what=complaint.ref) from exc


def _apply(complaint: Complaint, values: dict[str, Any]) -> dict[str, list]:
    changes = {}
    for name, value in values.items():
        old = getattr(complaint, name)
        if old != value:
            changes[name] = [old, value]
            setattr(complaint, name, value)
    return changes


def transition(ref: str, to_status: str, *, session: Session, actor: str, version: int | None,
               at: datetime | None = None, reason: str | None = None, note: str | None = None,
               reach: scope.Reach | None = None) -> Complaint:
    """Move along SPEC §3 only; anything else raises InvalidTransition with both statuses named."""
    complaint = _load(session, ref, version, reach)
    current = complaint.status
    if to_status not in COMPLAINT_TRANSITIONS.get(current, ()):
        raise InvalidTransition("err_transition", current=current, target=to_status)
    at = at or local_now()
    if at < complaint.received_at:
        raise ValidationFailed("err_before_received")
    values: dict[str, Any] = {"status": to_status}
    action = to_status
    if to_status == "void":
        if not (reason or "").strip():
            raise ValidationFailed("err_void_reason")
        values["void_reason"] = reason.strip()
    elif to_status == "in_progress" and current in ("resolved", "verified"):
        action = "reopen"
        values |= {"reopen_count": complaint.reopen_count + 1, "resolved_at": None, "closed_at": None}
    elif to_status == "in_progress" and complaint.first_response_at is None:
        values["first_response_at"] = at  # starting work is the first response to the complainant
    elif to_status == "resolved":
        values["resolved_at"] = at
    elif to_status == "verified" and complaint.followup_at is None:
        raise ValidationFailed("err_followup_first")
    elif to_status == "closed":
        values["closed_at"] = at
    changes = _apply(complaint, values)
    _log(session, complaint, actor, action, changes, note or reason)
    if to_status == "void":  # a void complaint leaves every count, topics included
        text_index.index("complaint", [complaint.id], session=session)
    return complaint


def record_first_response(ref: str, *, session: Session, actor: str, version: int | None,
                          at: datetime | None = None, note: str | None = None,
                          reach: scope.Reach | None = None) -> Complaint:
    complaint = _load(session, ref, version, reach)
    if complaint.status not in ("received", "in_progress"):
        raise InvalidTransition("err_transition", current=complaint.status, target="first_response")
    at = at or local_now()
    if at < complaint.received_at:
        raise ValidationFailed("err_before_received")
    values = {"first_response_at": at} | ({"status": "in_progress"} if complaint.status == "received" else {})
    _log(session, complaint, actor, "first_response", _apply(complaint, values), note)
    return complaint


def record_followup(ref: str, score: int, *, session: Session, actor: str, version: int | None,
                    at: datetime | None = None, note: str | None = None,
                    reach: scope.Reach | None = None) -> Complaint:
    """The follow-up call (回访): a resolved complaint with its score becomes verified."""
    complaint = _load(session, ref, version, reach)
    if complaint.status != "resolved":
        raise InvalidTransition("err_transition", current=complaint.status, target="verified")
    if score not in (1, 2, 3, 4, 5):
        raise ValidationFailed("err_fields", fields="followup_score")
    at = at or local_now()
    if complaint.resolved_at and at < complaint.resolved_at:
        raise ValidationFailed("err_before_received")
    values = {"followup_at": at, "followup_score": score, "status": "verified"}
    _log(session, complaint, actor, "followup", _apply(complaint, values), note)
    return complaint


def escalate(ref: str, level: int, *, session: Session, actor: str, version: int | None,
             note: str | None = None, reach: scope.Reach | None = None) -> Complaint:
    """A hand-over (SPEC §11): level 1 puts the complaint on HQ's queue, 2 on leadership's. It stays
    in its company's scope (by its project), so the company keeps seeing it and its history."""
    complaint = _load(session, ref, version, reach)
    if complaint.status in ("closed", "void") or level not in (1, 2) or level <= complaint.escalation_level:
        raise InvalidTransition("err_escalation", current=str(complaint.escalation_level), target=str(level))
    # The event names the hand-over ("escalated to HQ"): complaint_escalate_hq in the audit log.
    _log(session, complaint, actor, f"escalate_{QUEUES[level]}", _apply(complaint, {"escalation_level": level}), note)
    return complaint


QUEUES = ("local", "hq", "leadership")  # who holds a complaint at each escalation level (SPEC §11)


def queue_conditions(level: int) -> list:
    """The Register's queue view: 0 the local company's queue, 1 HQ's, 2 leadership's. Combined with
    the reader's scope (kpis.conditions), so HQ's queue holds what was handed over from the companies."""
    if level not in (0, 1, 2):
        raise ValidationFailed("err_fields", fields="escalation_level")
    return [Complaint.escalation_level == level]


def update(ref: str, values: dict[str, Any], *, session: Session, actor: str, version: int | None,
           reach: scope.Reach | None = None) -> Complaint:
    """Edit descriptive fields; a change of severity or responsibility recomputes the due times."""
    complaint = _load(session, ref, version, reach)
    if complaint.status in ("closed", "void"):
        raise InvalidTransition("err_transition", current=complaint.status, target="edit")
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValidationFailed("err_fields", fields=", ".join(sorted(unknown)))
    values = {k: (v.strip() or None) if isinstance(v, str) else v for k, v in values.items()}
    if values.get("responsible", complaint.responsible) and values.get("severity", complaint.severity) is None:
        raise ValidationFailed("err_fields", fields="severity")
    if values.get("complainant_phone") and not _PHONE.fullmatch(values["complainant_phone"]):
        raise ValidationFailed("err_fields", fields="complainant_phone")
    if {"severity", "responsible"} & set(values):
        due = due_times(complaint.received_at, complaint.channel, values.get("severity", complaint.severity),
                        values.get("responsible", complaint.responsible), settings.get("sla", session=session))
        values |= {"first_response_due_at": due.first_response_due_at, "resolution_due_at": due.resolution_due_at}
    changes = _apply(complaint, values)
    if "complainant_phone" in changes:  # the hash follows the phone; not a change shown in the history
        complaint.phone_hash = phone_hash(complaint.complainant_phone)
    if changes:
        _log(session, complaint, actor, "edit", changes)
    if {"description", "category"} & set(changes):
        text_index.index("complaint", [complaint.id], session=session)
    return complaint


def change_sla(values: dict[str, float], *, session: Session, actor: str) -> int:
    """An admin changes the SLA targets: validated, stored, audited, and every due time recomputed."""
    bad = [k for k, v in values.items() if k not in DEFAULT_SLA or not isinstance(v, int | float) or not 0 < v <= 720]
    if bad:
        raise ValidationFailed("err_fields", fields=", ".join(bad))
    settings.put("sla", {**settings.get("sla", session=session), **values}, session=session, actor=actor)
    return recompute_due_times(session=session, actor=actor)


def recompute_due_times(*, session: Session, actor: str, touching_year: int | None = None) -> int:
    """After an SLA settings change: every complaint's due times follow the new rules.

    All complaints, closed ones included, so that on-time KPIs of any period use one rule set;
    the audit log keeps the settings change and how many complaints moved. After a statutory calendar
    change (`touching_year`), only those whose SLA window reaches into that year: received before its
    end and due (by the old calendar) after its start — a count that ended earlier never looked at it.
    """
    sla = settings.get("sla", session=session)
    changed = 0
    where = []
    if touching_year is not None:
        where = [Complaint.received_at < datetime(touching_year + 1, 1, 1),
                 or_(Complaint.first_response_due_at >= datetime(touching_year, 1, 1),
                     Complaint.resolution_due_at >= datetime(touching_year, 1, 1))]
    rows = session.execute(select(Complaint.id, Complaint.received_at, Complaint.channel, Complaint.severity,
                                  Complaint.responsible, Complaint.first_response_due_at,
                                  Complaint.resolution_due_at).where(*where)).all()
    updates = []
    for row in rows:
        due = due_times(row.received_at, row.channel, row.severity, row.responsible, sla)
        if (due.first_response_due_at, due.resolution_due_at) != (row.first_response_due_at, row.resolution_due_at):
            updates.append({"id": row.id, "first_response_due_at": due.first_response_due_at,
                            "resolution_due_at": due.resolution_due_at})
    for start in range(0, len(updates), 5000):
        session.execute(Complaint.__table__.update().where(Complaint.__table__.c.id == bindparam("b_id")),
                        [{"b_id": u["id"], **{k: v for k, v in u.items() if k != "id"}}
                         for u in updates[start:start + 5000]])
        changed += len(updates[start:start + 5000])
    audit.record(session=session, actor=actor, action="sla_recompute", entity="complaint",
                 detail={"complaints": len(rows), "changed": changed}
                 | ({} if touching_year is None else {"calendar_year": touching_year}))
    return changed


# ---- read side -----------------------------------------------------------------------------

LIST_LIMIT = 500
LIST_COLUMNS = ("ref", "received_at", "status", "channel", "company", "project", "business_line", "category",
                "severity", "responsible", "escalation_level", "complainant_name", "complainant_phone",
                "assignee", "first_response_due_at", "resolution_due_at", "resolved_at", "description")


def list_frame(flt: KpiFilter, *, session: Session, search: str = "", statuses: tuple[str, ...] = (),
               overdue_only: bool = False, include_void: bool = False, limit: int = LIST_LIMIT,
               extra: list | None = None, search_names: bool = False) -> pd.DataFrame:
    """Complaints behind a filter (newest first), at most `limit` rows; search matches ref, text and
    project, and the complainant's name only with `search_names` (a role that may see names: a
    search is an oracle, so a masked name must not be searchable)."""
    where = kpis.conditions(flt, include_void=include_void)
    if statuses:
        where.append(Complaint.status.in_(statuses))
    if overdue_only:
        where += [Complaint.status.in_(("received", "in_progress")), Complaint.resolution_due_at < local_now()]
    if search.strip():
        fields = [Complaint.ref, Complaint.description, Project.name]
        fields += [Complaint.complainant_name, Complaint.complainant_phone] if search_names else []
        where.append(or_(*(contains(field, search) for field in fields)))
    where += extra or []
    order = (Complaint.received_at.desc(), Complaint.id.desc())
    if limit is not None and not search.strip() and analytics.wanted(session, "complaint"):
        # Large table: the mirror finds the page of rows (its scan of a period is far cheaper than the row
        # store's); the row store then gives them, personal columns included, by primary key.
        with analytics.reading(session, "complaint") as reader:
            ids = reader.scalars(select(Complaint.id).select_from(kpis.joined()).where(*where)
                                 .order_by(*order).limit(limit)).all()
        where = [Complaint.id.in_(ids)]
    stmt = (select(Complaint.ref, Complaint.received_at, Complaint.status, Complaint.channel,
                   Company.name.label("company"), Project.name.label("project"), Complaint.business_line,
                   Complaint.category, Complaint.severity, Complaint.responsible, Complaint.escalation_level,
                   Complaint.complainant_name, Complaint.complainant_phone, Complaint.assignee,
                   Complaint.first_response_due_at, Complaint.resolution_due_at, Complaint.resolved_at,
                   Complaint.description)
            .select_from(kpis.joined()).where(*where).order_by(*order).limit(limit))
    return pd.DataFrame(session.execute(stmt).all(), columns=list(LIST_COLUMNS))


def detail(ref: str, *, session: Session, reach: scope.Reach | None = None) -> tuple[dict[str, Any], pd.DataFrame]:
    """One complaint and its history; a complaint outside `reach` is refused (err_record_out_of_scope)."""
    complaint = _load(session, ref, None, reach)
    project = session.get(Project, complaint.project_id)
    company = session.get(Company, project.company_id)
    record = {c.name: getattr(complaint, c.name) for c in Complaint.__table__.columns if c.name != "phone_hash"}
    record |= {"project": project.name, "company": company.name, "city": project.city}
    settings.sync_calendar(session=session)
    record["first_response_due_estimated"], record["resolution_due_estimated"] = estimated(
        complaint.received_at, complaint.channel, complaint.severity, complaint.responsible,
        complaint.first_response_due_at, complaint.resolution_due_at)
    events = pd.DataFrame(session.execute(
        select(ComplaintEvent.at, ComplaintEvent.actor, ComplaintEvent.action, ComplaintEvent.changes,
               ComplaintEvent.note).where(ComplaintEvent.complaint_id == complaint.id)
        .order_by(ComplaintEvent.id)).all(), columns=["at", "actor", "action", "changes", "note"])
    return record, events


@analytics.through_mirror("complaint")
def ageing(flt: KpiFilter, *, session: Session, now: datetime | None = None) -> pd.DataFrame:
    """Open backlog by age since received: ≤1 day, 1–3, 3–7, 7–15, 15–30, >30 days (counted in SQL)."""
    now = now or local_now()
    age_days = hours_between(session, Complaint.received_at, now) / 24
    bucket = case((age_days <= 1, "0-1"), (age_days <= 3, "1-3"), (age_days <= 7, "3-7"),
                  (age_days <= 15, "7-15"), (age_days <= 30, "15-30"), else_="30+")
    stmt = (select(bucket.label("bucket"), func.count()).select_from(kpis.joined())
            .where(*kpis.conditions(flt), Complaint.status.in_(("received", "in_progress")))
            .group_by(bucket))
    counts = dict(session.execute(stmt).all())
    order = ["0-1", "1-3", "3-7", "7-15", "15-30", "30+"]
    return pd.DataFrame({"bucket": order, "count": [counts.get(b, 0) for b in order]})
