"""HQ call-back checks (抽查回访, SPEC §14 first bullet): draw a reproducible random sample of the complaints
resolved in a period, per company, into HQ's check queue; record the call and the record review; a
failed check reopens the complaint to its company with the finding.

Rules, written once here:
- The population of a company and period: complaints of its projects whose `resolved_at` falls in the
  period (inclusive dates) and whose status is `resolved` or `verified` now (resolved, not yet archived:
  an archived complaint can no longer be reopened, SPEC §3), and whose resolution was not drawn before.
- Size: max(minimum, ceil(share × resolved)), at most the company's resolved count (settings
  "check_sample"). Drawing is idempotent: a company and period already drawn get only what the size
  still lacks (nothing, when the population is unchanged).
- Reproducible: the candidates, ordered by ref, are shuffled by random.Random(seed text), the seed
  text being "<seed>|<company>|<from>|<to>" (default seed "crhq"): the same seed draws the same sample.
- A check FAILS when the complainant was reached and did not confirm the resolution, or when any of
  the four handling checks failed (first response in time, root cause recorded, corrective action
  recorded, follow-up done). A failed check reopens the complaint (resolved/verified → in_progress,
  the lifecycle's reopen) with the finding. A check that is not failed PASSES when the complainant was
  reached; otherwise it stays UNREACHED and may be recorded again once reached. Satisfaction (1–5) is
  recorded and reported, not a pass/fail criterion.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib import scope
from lib.db import local_now
from lib.errors import InvalidTransition, NotFound, ValidationFailed
from lib.kpis import checks as kpis
from lib.kpis.common import KpiFilter
from lib.models import CheckResult, CheckSample, Company, Complaint, Project
from lib.services import audit, settings
from lib.services import complaints as complaint_service

DEFAULT_SEED = "crhq"
ELIGIBLE = ("resolved", "verified")
OPEN = ("pending", "unreached")  # statuses a result may still be recorded on
HANDLING = ("first_response_in_time", "root_cause_recorded", "corrective_action_recorded", "followup_done")
MAX_ATTEMPTS = 20


def sample_size(resolved: int, share: float, minimum: int) -> int:
    """max(minimum, ceil(share × resolved)), capped at `resolved`."""
    return min(resolved, max(int(minimum), math.ceil(float(share) * resolved - 1e-9)))


def _require_hq(reach: scope.Reach | None) -> None:
    """Drawing and recording are HQ's (group-scoped staff and admins): a company may not check itself."""
    if reach is not None and not reach.is_group:
        raise scope.OutOfScope("err_chk_hq_only")


def _sample_settings(session: Session) -> tuple[float, int]:
    value = settings.get("check_sample", session=session) or {}
    share, minimum = float(value.get("share", 0.05)), int(value.get("minimum", 3))
    if not 0 <= share <= 1 or minimum < 0:
        raise ValidationFailed("err_fields", fields="check_sample")
    return share, minimum


def set_sample_rule(share_percent: float, minimum: int, *, session: Session, actor: str) -> None:
    """The admin's sample rule (SPEC §14 "setting: share and minimum"): 0 < share ≤ 100%, 0 ≤ minimum ≤ 1000;
    stored and audited (settings.put)."""
    bad = []
    if not isinstance(share_percent, int | float) or not 0 < float(share_percent) <= 100:
        bad.append("chk_share")
    if not isinstance(minimum, int) or not 0 <= minimum <= 1000:
        bad.append("chk_minimum")
    if bad:
        raise ValidationFailed("err_fields", fields=", ".join(bad))
    settings.put("check_sample", {"share": round(float(share_percent) / 100, 6), "minimum": int(minimum)},
                 session=session, actor=actor)


@dataclass(frozen=True)
class Drawn:
    company: str
    resolved: int  # the company's population (resolved in the period, not archived), drawn ones included
    size: int
    added: int
    seed: str


def draw(start: date, end: date, *, session: Session, actor: str, seed: str | None = None,
         reach: scope.Reach | None = None, today: date | None = None) -> list[Drawn]:
    """Draw (or top up) every company's sample of complaints resolved from `start` to `end`; audited."""
    _require_hq(reach)
    if start > end:
        raise ValidationFailed("err_chk_period")
    seed = (seed or DEFAULT_SEED).strip() or DEFAULT_SEED
    share, minimum = _sample_settings(session)
    lo, hi = datetime.combine(start, datetime.min.time()), datetime.combine(end + timedelta(days=1),
                                                                            datetime.min.time())
    # Resolutions already drawn (in this period or any overlapping one) are not candidates again.
    drawn_before = (select(CheckSample.id).where(CheckSample.complaint_id == Complaint.id,
                                                 CheckSample.resolved_at == Complaint.resolved_at).exists())
    rows = session.execute(
        select(Company.id, Company.name, Complaint.id, Complaint.ref, Complaint.resolved_at, drawn_before)
        .select_from(Complaint).join(Project, Project.id == Complaint.project_id)
        .join(Company, Company.id == Project.company_id)
        .where(Complaint.status.in_(ELIGIBLE), Complaint.resolved_at >= lo, Complaint.resolved_at < hi)
        .order_by(Company.name, Complaint.ref)).all()
    counts = dict(session.execute(
        select(CheckSample.company_id, func.count()).where(CheckSample.period_start == start,
                                                           CheckSample.period_end == end)
        .group_by(CheckSample.company_id)).all())
    by_company: dict[tuple[int, str], list] = {}
    for company_id, company, cid, ref, resolved_at, was_drawn in rows:
        by_company.setdefault((company_id, company), []).append((ref, cid, resolved_at, was_drawn))
    today = today or local_now().date()
    out: list[Drawn] = []
    for (company_id, company), members in by_company.items():
        have = counts.get(company_id, 0)
        # The population counts this period's own drawn complaints too (they were resolved in it).
        size = sample_size(len(members), share, minimum)
        text = f"{seed}|{company}|{start.isoformat()}|{end.isoformat()}"
        order = sorted(members)  # by ref: the same order on every database
        random.Random(text).shuffle(order)
        picked = [m for m in order if not m[3]][:max(0, size - have)]
        for _ref, cid, resolved_at, _ in picked:
            session.add(CheckSample(complaint_id=cid, company_id=company_id, period_start=start, period_end=end,
                                    resolved_at=resolved_at, drawn_on=today, seed=text, status="pending",
                                    drawn_by=actor))
        out.append(Drawn(company, len(members), size, len(picked), text))
    session.flush()
    audit.record(session=session, actor=actor, action="check_draw", entity="check_sample",
                 entity_id=f"{start.isoformat()}..{end.isoformat()}",
                 detail={"seed": seed, "share": share, "minimum": minimum,
                         "added": sum(d.added for d in out), "companies": len(out)})
    return out


def queue(flt: KpiFilter, *, session: Session, statuses: tuple[str, ...] = (), limit: int = 500) -> pd.DataFrame:
    """The check queue behind a filter (dated by the drawn resolution, scope applied), pending first."""
    where = kpis.conditions(flt)
    if statuses:
        where.append(CheckSample.status.in_(statuses))
    stmt = (select(CheckSample.id.label("sample_id"), Complaint.ref, Company.name.label("company"),
                   Project.name.label("project"), CheckSample.resolved_at, CheckSample.status,
                   CheckSample.drawn_on, Complaint.category, Complaint.complainant_name,
                   Complaint.complainant_phone, CheckResult.reached, CheckResult.attempts,
                   CheckResult.resolution_confirmed, CheckResult.satisfaction, CheckResult.checker,
                   CheckResult.checked_at, CheckResult.finding)
            .select_from(kpis.joined().outerjoin(CheckResult, CheckResult.sample_id == CheckSample.id))
            .where(*where)
            .order_by((CheckSample.status == "pending").desc(), CheckSample.resolved_at.desc(), CheckSample.id)
            .limit(limit))
    rows = session.execute(stmt).mappings().all()
    columns = ["sample_id", "ref", "company", "project", "resolved_at", "status", "drawn_on", "category",
               "complainant_name", "complainant_phone", "reached", "attempts", "resolution_confirmed",
               "satisfaction", "checker", "checked_at", "finding"]
    return pd.DataFrame([dict(r) for r in rows], columns=columns)


def _load(sample_id: int, session: Session, reach: scope.Reach | None) -> tuple[CheckSample, Complaint]:
    sample = session.get(CheckSample, sample_id)
    if sample is None:
        raise NotFound("err_not_found", what=str(sample_id))
    complaint = session.get(Complaint, sample.complaint_id)
    if reach is not None and not reach.is_group and complaint.project_id not in reach.projects:
        raise scope.OutOfScope("err_record_out_of_scope", ref=complaint.ref)
    return sample, complaint


def suggested(complaint: Complaint) -> dict[str, bool]:
    """What the record itself says about the four handling checks (the checker confirms or corrects)."""
    return {
        "first_response_in_time": complaint.first_response_at is not None
        and complaint.first_response_at <= complaint.first_response_due_at,
        "root_cause_recorded": bool((complaint.root_cause or "").strip()),
        "corrective_action_recorded": bool((complaint.corrective_action or "").strip()),
        "followup_done": complaint.followup_at is not None,
    }


def detail(sample_id: int, *, session: Session, reach: scope.Reach | None = None) -> dict[str, Any]:
    """One check with its complaint's facts (personal data unmasked: the page masks by role and reveal)."""
    sample, complaint = _load(sample_id, session, reach)
    project = session.get(Project, complaint.project_id)
    result = session.scalar(select(CheckResult).where(CheckResult.sample_id == sample.id))
    out = {"sample_id": sample.id, "status": sample.status, "ref": complaint.ref, "company":
           session.get(Company, sample.company_id).name, "project": project.name,
           "complaint_status": complaint.status, "resolved_at": sample.resolved_at,
           "period": f"{sample.period_start.isoformat()} – {sample.period_end.isoformat()}",
           "description": complaint.description, "complainant_name": complaint.complainant_name,
           "complainant_phone": complaint.complainant_phone, "first_response_at": complaint.first_response_at,
           "first_response_due_at": complaint.first_response_due_at, "root_cause": complaint.root_cause,
           "corrective_action": complaint.corrective_action, "followup_at": complaint.followup_at,
           "suggested": suggested(complaint), "result": None}
    if result is not None:
        out["result"] = {c.name: getattr(result, c.name) for c in CheckResult.__table__.columns}
    return out


@dataclass(frozen=True)
class CheckInput:
    reached: bool
    attempts: int
    resolution_confirmed: bool | None
    satisfaction: int | None
    first_response_in_time: bool
    root_cause_recorded: bool
    corrective_action_recorded: bool
    followup_done: bool
    finding: str = ""


def failed(data: CheckInput) -> bool:
    """The module's rule: reached and not confirmed, or any handling check failed."""
    return (data.reached and data.resolution_confirmed is False) or not all(getattr(data, h) for h in HANDLING)


def outcome(data: CheckInput) -> str:
    if failed(data):
        return "failed"
    return "passed" if data.reached else "unreached"


def _validate(data: CheckInput) -> CheckInput:
    problems = []
    if not isinstance(data.attempts, int) or not 1 <= data.attempts <= MAX_ATTEMPTS:
        problems.append("chk_attempts")
    if data.reached:
        if data.resolution_confirmed not in (True, False):
            problems.append("chk_resolution_confirmed")
        if data.satisfaction not in (1, 2, 3, 4, 5):
            problems.append("chk_satisfaction")
    finding = (data.finding or "").strip()
    if len(finding) > 2000:
        problems.append("chk_finding")
    if problems:
        raise ValidationFailed("err_fields", fields=", ".join(problems))
    if failed(data) and not finding:
        raise ValidationFailed("err_chk_finding_required")
    if not data.reached:  # nothing heard from the complainant
        data = CheckInput(**{**data.__dict__, "resolution_confirmed": None, "satisfaction": None})
    return CheckInput(**{**data.__dict__, "finding": finding})


def record(sample_id: int, data: CheckInput, *, session: Session, actor: str,
           reach: scope.Reach | None = None, at: datetime | None = None) -> str:
    """Record a check; returns its outcome (passed / failed / unreached). A failed check reopens the
    complaint with the finding; a complaint that cannot be reopened (archived, already reopened) refuses
    the whole record, nothing written."""
    _require_hq(reach)
    data = _validate(data)
    sample, complaint = _load(sample_id, session, reach)
    if sample.status not in OPEN:
        raise InvalidTransition("err_chk_done", ref=complaint.ref)
    if outcome(data) == "failed" and complaint.status not in ELIGIBLE:  # refused before anything is written
        raise InvalidTransition("err_chk_cannot_reopen", ref=complaint.ref, status=complaint.status)
    result = session.scalar(select(CheckResult).where(CheckResult.sample_id == sample.id))
    if result is None:
        result = CheckResult(sample_id=sample.id)
        session.add(result)
    at = at or local_now()
    values = {k: v for k, v in data.__dict__.items() if k != "finding"} | {"finding": data.finding or None}
    for name, value in values.items():
        setattr(result, name, value)
    result.checker, result.checked_at = actor, at
    sample.status = outcome(data)
    note = data.finding or None
    # The complaint's own history carries the check (and, when failed, the finding the company gets).
    complaint_service._log(session, complaint, actor, f"check_{sample.status}", {}, note)
    if sample.status == "failed":
        complaint_service.transition(complaint.ref, "in_progress", session=session, actor=actor, version=None,
                                     at=max(at, complaint.received_at), note=f"抽查回访 / call-back check: {note}")
    audit.record(session=session, actor=actor, action="check_record", entity="check_sample",
                 entity_id=complaint.ref, detail={"sample": sample.id, "outcome": sample.status,
                                                  "attempts": data.attempts, "reached": data.reached})
    return sample.status


def seed_demo(*, session: Session, rng: random.Random, today: date) -> None:
    """Demo checks (seed.DEMO_EXTRAS): the last six weeks drawn week by week, then this week to yesterday;
    the checks of resolutions older than four days mostly recorded — most passed, some not reached, some
    failed (their complaints reopened)."""
    monday = today - timedelta(days=today.weekday())
    for weeks in (6, 5, 4, 3, 2, 1):
        start = monday - timedelta(weeks=weeks)
        draw(start, start + timedelta(days=6), session=session, actor="demo", today=start + timedelta(days=7))
    if monday < today:
        draw(monday, today - timedelta(days=1), session=session, actor="demo", today=today)
    cutoff = datetime.combine(today - timedelta(days=4), datetime.min.time())
    samples = session.scalars(select(CheckSample).where(CheckSample.resolved_at < cutoff)
                              .order_by(CheckSample.id)).all()
    for sample in samples:
        if rng.random() < 0.15:
            continue  # still in the queue
        roll = rng.random()
        reached = roll >= 0.1
        fail_call, fail_handling = reached and roll < 0.2, 0.2 <= roll < 0.28
        data = CheckInput(
            reached=reached, attempts=1 if reached else rng.randint(2, 3),
            resolution_confirmed=None if not reached else not fail_call,
            satisfaction=None if not reached else (rng.choice([1, 2]) if fail_call else rng.choice([3, 4, 5, 5])),
            first_response_in_time=not fail_handling, root_cause_recorded=True, corrective_action_recorded=True,
            followup_done=True,
            finding=("投诉人表示问题未解决，仍在漏水" if fail_call else "首次响应超时，未在时限内联系投诉人"
                     if fail_handling else ""))
        at = min(sample.resolved_at + timedelta(days=rng.randint(1, 5), hours=rng.randint(1, 8)),
                 datetime.combine(today, datetime.min.time()))
        record(sample.id, data, session=session, actor="demo", at=at)
