"""Demo records of the risk signals (issue #26): a group complaint, a repeat household, an exposure text.

`seed-demo --complaints N` gives N complaints, so these are made of the demo's own recent complaints
(moved, re-described or given one phone), not added to them."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.models import Complaint, Project
from lib.services import settings
from lib.services.phone_hash import phone_hash, rehash
from lib.sla import due_times

GROUP_TEXTS = ("楼上卫生间渗水，天花板发霉", "外墙渗水，雨后客厅墙面起皮", "阳台渗水，地板泡坏", "窗边渗水，墙纸脱落",
               "地下车库顶板渗水滴到车上", "主卧墙角渗水，已多次报修")
HOME_PHONE = "13900008888"
EXPOSURE_TEXT = "交房延期三个月无人解释，业主群准备联系媒体曝光，并请律师起诉开发商"


def seed_demo(*, session: Session, rng: random.Random, today: date) -> None:
    """The core demo's complaints were written in bulk: their phone hashes first, then the signals."""
    session.flush()
    rehash(session=session, only_missing=True)
    now = datetime.combine(today, time(0, 0))
    recent = session.scalars(select(Complaint).where(Complaint.status != "void",
                                                     Complaint.received_at < now - timedelta(days=5),
                                                     Complaint.received_at >= now - timedelta(days=80))
                             .order_by(Complaint.received_at, Complaint.id)).all()
    if len(recent) < 10:
        return  # a tiny demo: no signals
    sla = settings.get("sla", session=session)
    project = rng.choice(session.scalars(select(Project).order_by(Project.id).limit(12)).all())
    start = datetime.combine(today - timedelta(days=4), time(9, 0))
    for i, (c, text) in enumerate(zip(recent[-6:], GROUP_TEXTS, strict=True)):  # six within 50 hours
        c.project_id, c.business_line, c.category, c.description = (project.id, project.business_line,
                                                                    "housing_quality", text)
        _as_new(c, start + timedelta(hours=10 * i), sla)
    for c in (recent[0], recent[len(recent) // 2], recent[-8]):  # one household three times within 80 days
        c.complainant_phone, c.phone_hash = HOME_PHONE, phone_hash(HOME_PHONE)
    loud = recent[-7]  # open, at its company: escalation to HQ is suggested
    loud.description, loud.escalation_level = EXPOSURE_TEXT, 0
    _as_new(loud, datetime.combine(today - timedelta(days=1), time(15, 0)), sla)
    session.flush()


def _as_new(c: Complaint, at: datetime, sla: dict) -> None:
    """A complaint received at `at` and not yet worked on (its due times computed again)."""
    due = due_times(at, c.channel, c.severity, c.responsible, sla)
    c.received_at, c.status, c.reopen_count = at, "received", 0
    c.first_response_at = c.resolved_at = c.followup_at = c.followup_score = c.closed_at = None
    c.first_response_due_at, c.resolution_due_at = due.first_response_due_at, due.resolution_due_at
