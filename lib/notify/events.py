"""What happened, as of a moment: the SPEC §12 events, each an Item with a stable record key.

Record events look back `lookback_hours` (a breach, an escalation or a new urgent complaint older than
that is not news); the outbox's unique key makes re-finding one within the window harmless. KPI events
and the monthly report are evaluated once per month, the digest once per day (NotifyMark).

Every event function is a generator over SQL that selects only its candidates (a due time inside the
window, a recent escalation, an owner's overdue records) and streams them in chunks of CHUNK rows
(`yield_per`): a run holds one chunk of complaints at a time, never the table, whatever its size.
"""
from __future__ import annotations

import calendar
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from lib import scope
from lib.db import BUSINESS_TZ
from lib.kpis import areas
from lib.kpis.common import KpiFilter
from lib.models import Company, Complaint, ComplaintEvent, NotifyMark, Project, SupervisorIssue
from lib.notify.recipients import Directory, Person
from lib.services import overview, targets
from lib.sla import add_working_hours, working_hours_between
from lib.vocab import COMPLAINT_OPEN, ISSUE_DONE


@dataclass(frozen=True)
class Config:
    due_soon_hours: float = 4.0
    lookback_hours: float = 24.0
    issue_overdue_days: int = 7
    report_day: int = 1
    digest_at: time = time(8, 30)

    @classmethod
    def from_env(cls) -> Config:
        hh, mm = os.environ.get("CRHQ_NOTIFY_DIGEST_AT", "08:30").split(":")
        return cls(float(os.environ.get("CRHQ_NOTIFY_DUE_SOON_HOURS", "4")),
                   float(os.environ.get("CRHQ_NOTIFY_LOOKBACK_HOURS", "24")),
                   int(os.environ.get("CRHQ_NOTIFY_ISSUE_OVERDUE_DAYS", "7")),
                   int(os.environ.get("CRHQ_NOTIFY_REPORT_DAY", "1")), time(int(hh), int(mm)))


@dataclass
class Item:
    event: str
    record_key: str
    audience: list[Person]
    params: dict[str, Any]
    link: str | None = None
    company_id: int | None = None  # which company's robot; None: the group's
    marks: tuple[str, ...] = ()
    payload: dict[str, Any] = field(default_factory=dict)


def _minutes(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")


def _to_utc(local: datetime) -> datetime:
    from datetime import UTC
    return local.replace(tzinfo=BUSINESS_TZ).astimezone(UTC).replace(tzinfo=None)


_COMPLAINT_COLUMNS = (Complaint.id, Complaint.ref, Complaint.project_id, Project.company_id, Project.name,
                      Company.name, Complaint.category, Complaint.severity, Complaint.status,
                      Complaint.escalation_level, Complaint.assignee, Complaint.first_response_at,
                      Complaint.first_response_due_at, Complaint.resolution_due_at, Complaint.received_at)


CHUNK = 2000


def _stream(session: Session, stmt) -> Iterator[Any]:
    """The statement's rows, fetched CHUNK at a time (a server-side cursor on PostgreSQL)."""
    yield from session.execute(stmt, execution_options={"yield_per": CHUNK})


def _complaints(session: Session, *where) -> Iterator[Any]:
    return _stream(session, select(*_COMPLAINT_COLUMNS).join(Project, Project.id == Complaint.project_id)
                   .join(Company, Company.id == Project.company_id).where(*where).order_by(Complaint.id))


def _complaint_params(r) -> dict[str, Any]:
    return {"record": "complaint", "ref": r.ref, "project": r[4], "company": r[5], "category": r.category,
            "severity": r.severity, "status": r.status, "received": _minutes(r.received_at)}


def sla_events(now: datetime, cfg: Config, d: Directory, *, session: Session) -> Iterator[Item]:
    """sla_due_soon (due within N working hours of now) and sla_breached (came due in the lookback)."""
    # The SQL window is wide (a holiday week stretches N working hours over days); the exact test is below.
    upper = add_working_hours(now, cfg.due_soon_hours) + timedelta(days=15)
    since = now - timedelta(hours=cfg.lookback_hours)
    rows = _complaints(session, Complaint.status.in_(COMPLAINT_OPEN), or_(
        and_(Complaint.first_response_at.is_(None), Complaint.first_response_due_at > since,
             Complaint.first_response_due_at <= upper),
        and_(Complaint.resolution_due_at > since, Complaint.resolution_due_at <= upper)))
    for r in rows:
        dues = [("resolution", r.resolution_due_at)]
        if r.first_response_at is None:
            dues.insert(0, ("first_response", r.first_response_due_at))
        for kind, due in dues:
            if due > now:
                hours = working_hours_between(now, due)
                if hours > cfg.due_soon_hours:
                    continue
                event, extra = "sla_due_soon", {"hours": f"{hours:.1f}"}
            elif due > since:
                event, extra = "sla_breached", {}
            else:
                continue
            yield Item(event, f"{r.ref}:{kind}:{due:%Y%m%d%H%M}",
                       d.for_record(project_id=r.project_id, owner=r.assignee, level=r.escalation_level),
                       {**_complaint_params(r), "kind": kind, "due": _minutes(due), **extra},
                       f"register?ref={r.ref}", r.company_id)


def escalation_events(now: datetime, cfg: Config, d: Directory, *, session: Session) -> Iterator[Item]:
    """escalated: an open complaint raised to level 1 or 2 within the lookback (by the escalate action,
    or received already escalated, as an import brings it), and new urgent complaints."""
    since = now - timedelta(hours=cfg.lookback_hours)
    since_utc, now_utc = _to_utc(since), _to_utc(now)
    last = (select(ComplaintEvent.complaint_id, func.max(ComplaintEvent.at).label("at"))
            .where(ComplaintEvent.action == "escalate").group_by(ComplaintEvent.complaint_id).subquery())
    rows = _stream(session, select(*_COMPLAINT_COLUMNS, last.c.at).join(Project, Project.id == Complaint.project_id)
                   .join(Company, Company.id == Project.company_id)
                   .outerjoin(last, last.c.complaint_id == Complaint.id)
                   .where(Complaint.status.in_(COMPLAINT_OPEN), Complaint.escalation_level >= 1,
                          or_(and_(last.c.at > since_utc, last.c.at <= now_utc + timedelta(minutes=1)),
                              and_(last.c.at.is_(None), Complaint.received_at > since,
                                   Complaint.received_at <= now))).order_by(Complaint.id))
    for r in rows:
        yield Item("escalated", f"{r.ref}:level{r.escalation_level}",
                   d.for_record(project_id=r.project_id, owner=r.assignee, level=r.escalation_level),
                   {**_complaint_params(r), "level": r.escalation_level}, f"register?ref={r.ref}", r.company_id)
    for r in _complaints(session, Complaint.severity == "urgent", Complaint.status.in_(COMPLAINT_OPEN),
                         Complaint.received_at > since, Complaint.received_at <= now):
        yield Item("escalated", f"{r.ref}:urgent",
                   d.for_record(project_id=r.project_id, owner=r.assignee, level=r.escalation_level, urgent_new=True),
                   {**_complaint_params(r), "urgent": True}, f"register?ref={r.ref}", r.company_id)


def issue_events(now: datetime, cfg: Config, d: Directory, *, session: Session) -> list[Item]:
    """issue_due: an open supervisor issue due tomorrow, or overdue (due within the last few days)."""
    today = now.date()
    rows = _stream(session,
        select(SupervisorIssue.ref, SupervisorIssue.project_id, Project.company_id, Project.name, Company.name,
               SupervisorIssue.category, SupervisorIssue.status, SupervisorIssue.first_responder, SupervisorIssue.due_on)
        .outerjoin(Project, Project.id == SupervisorIssue.project_id).outerjoin(Company, Company.id == Project.company_id)
        .where(SupervisorIssue.status.not_in(ISSUE_DONE),
               SupervisorIssue.due_on >= today - timedelta(days=cfg.issue_overdue_days),
               SupervisorIssue.due_on <= today + timedelta(days=1)).order_by(SupervisorIssue.id))
    items = []
    for ref, project_id, company_id, project, company, category, status, owner, due_on in rows:
        if due_on == today:
            continue  # due today: the daily digest carries it
        overdue = due_on < today
        items.append(Item("issue_due", f"{ref}:{'overdue' if overdue else 'due'}:{due_on.isoformat()}",
                          d.for_record(project_id=project_id, owner=owner),
                          {"record": "issue", "ref": ref, "project": project, "company": company, "category": category,
                           "status": status, "due": due_on.isoformat(), "overdue": overdue},
                          f"issues?ref={ref}", company_id))
    return items


def last_whole_month(today: date) -> tuple[str, KpiFilter]:
    first = today.replace(day=1)
    end = first - timedelta(days=1)
    start = end.replace(day=1)
    return f"{start:%Y-%m}", KpiFilter(start, end)


def done(session: Session, key: str) -> bool:
    return session.get(NotifyMark, key) is not None


def monthly_window(now: datetime, cfg: Config) -> bool:
    """Monthly evaluations run on day D, or on the two days after it when no run happened on day D."""
    day = min(cfg.report_day, calendar.monthrange(now.year, now.month)[1])
    return day <= now.day <= day + 2


def kpi_events(now: datetime, cfg: Config, d: Directory, *, session: Session) -> list[Item]:
    """kpi_red (a headline KPI of the group or a company below its amber band) and kpi_drop (the
    overview's movers test: a significant fall against the previous period), for the last whole month,
    once a month (on the report day)."""
    month, flt = last_whole_month(now.date())
    mark = f"kpi:{month}"
    if not monthly_window(now, cfg) or done(session, mark):
        return []
    table = targets.lookup_table(session=session)
    company_ids = dict(session.execute(select(Company.name, Company.id)).all())
    items: list[Item] = []
    results = {area: areas.compute(area, flt, session=session, by="company", with_percentiles=False)
               for area in areas.AREAS}
    for h in targets.HEADLINES:
        result = results[h.area]
        units = [(None, result.kpis)] + [(g["key"], g["kpis"]) for g in result.groups if g["key"] is not None]
        for company, kpis in units:
            value, target = kpis.get(h.kpi), targets.resolve(table, h.kpi, company=company)
            if targets.colour(value, target) != "red":
                continue
            cid = company_ids.get(company) if company else None
            amber_from = target.target - target.amber if target.direction == "higher" else target.target + target.amber
            items.append(Item("kpi_red", f"{month}:{company or 'group'}:{h.kpi}", d.executives_of(cid),
                              {"month": month, "company": company, "kpi": h.kpi, "value": value,
                               "target": target.target, "amber_from": amber_from}, "overview", cid))
    for m in overview.movers(flt, session=session, limit=10_000).itertuples():
        if m.change_points >= 0:
            continue
        cid = company_ids.get(m.company)
        items.append(Item("kpi_drop", f"{month}:{m.company}:{m.kpi}", d.executives_of(cid),
                          {"month": month, "company": m.company, "kpi": m.kpi, "value": m.value, "previous": m.previous,
                           "change_points": float(m.change_points), "p_value": float(m.p_value)}, "overview", cid))
    items.append(Item("mark", mark, [], {}, marks=(mark,)))
    return items


def report_events(now: datetime, cfg: Config, d: Directory, *, session: Session) -> list[Item]:
    """monthly_report: the previous month's workbook, on day D, to every executive; the body's headline
    KPIs and the attached workbook are of the executive's own scope (SPEC §11)."""
    month, flt = last_whole_month(now.date())
    mark = f"report:{month}"
    if not monthly_window(now, cfg) or done(session, mark):
        return []
    table = targets.lookup_table(session=session)
    items: list[Item] = []
    by_reach: dict[Any, list[dict]] = {}
    for person in [p for p in d.people.values() if p.role == "executive"]:
        key = person.reach
        if key not in by_reach:
            scoped = scope.limited(flt, key)
            kpis = {area: areas.compute(area, scoped, session=session, with_percentiles=False).kpis
                    for area in {h.area for h in targets.HEADLINES}}
            by_reach[key] = [{"kpi": h.kpi, "value": kpis[h.area].get(h.kpi),
                              "target": (tg.target if (tg := targets.resolve(table, h.kpi)) else None),
                              "colour": targets.colour(kpis[h.area].get(h.kpi), tg)} for h in targets.HEADLINES]
        items.append(Item("monthly_report", month, [person],
                          {"month": month, "attach": True, "headlines": by_reach[key]}, "overview",
                          payload={"month": month, "attach": True}))
    items.append(Item("mark", mark, [], {}, marks=(mark,)))
    return items


def digest_events(now: datetime, cfg: Config, d: Directory, *, session: Session) -> list[Item]:
    """daily_digest at 08:30 business time: each owner's complaints and supervisor issues due today or
    overdue (one message a day, only to those who have any)."""
    today = now.date()
    mark = f"digest:{today.isoformat()}"
    if now.time() < cfg.digest_at or done(session, mark):
        return []
    owners = {p.username: p for p in d.owners()}
    end = datetime.combine(today + timedelta(days=1), time.min)
    mine: dict[str, list[dict]] = {}
    for r in _complaints(session, Complaint.status.in_(COMPLAINT_OPEN), Complaint.assignee.in_(list(owners)),
                         or_(Complaint.resolution_due_at < end,
                             and_(Complaint.first_response_at.is_(None), Complaint.first_response_due_at < end))):
        kind, due = (("first_response", r.first_response_due_at)
                     if r.first_response_at is None and r.first_response_due_at < end
                     else ("resolution", r.resolution_due_at))
        mine.setdefault(r.assignee, []).append({"record": "complaint", "ref": r.ref, "project": r[4], "kind": kind,
                                                "due": _minutes(due)})
    for ref, project, owner, due_on in session.execute(
            select(SupervisorIssue.ref, Project.name, SupervisorIssue.first_responder, SupervisorIssue.due_on)
            .outerjoin(Project, Project.id == SupervisorIssue.project_id)
            .where(SupervisorIssue.status.not_in(ISSUE_DONE), SupervisorIssue.first_responder.in_(list(owners)),
                   SupervisorIssue.due_on <= today)):
        mine.setdefault(owner, []).append({"record": "issue", "ref": ref, "project": project or "—",
                                           "due": due_on.isoformat()})
    items = [Item("daily_digest", today.isoformat(), [owners[u]], {"date": today.isoformat(),
                                                                    "items": sorted(v, key=lambda i: i["due"])},
                  "inbox") for u, v in sorted(mine.items())]
    items.append(Item("mark", mark, [], {}, marks=(mark,)))
    return items


SIGNAL_LOOKBACK_DAYS = 7  # a signal found again within a week is the same outbox key: harmless


def signal_events(now: datetime, cfg: Config, d: Directory, *, session: Session) -> list[Item]:
    """risk_signal (issue #26): each group complaint, repeat complaint and exposure complaint of the last
    week, once (keyed by the group's first complaint, or the complaint), to HQ staff, the staff of its
    project's scope and the complaint's owner — as an escalated complaint's are."""
    from lib.services import signals

    flt = KpiFilter((now - timedelta(days=SIGNAL_LOOKBACK_DAYS)).date(), now.date())
    found = signals.compute(flt, session=session)
    r = found.rules
    items = [Item("risk_signal", g.key, d.for_record(project_id=g.project_id, owner=None, level=1),
                  {"signal": "group", "project": g.project, "company": g.company, "category": g.category,
                   "term": g.term, "count": g.count, "hours": r.window_hours, "refs": list(g.refs)},
                  f"register?{signals.refs_query(g.refs, g.first_at, g.last_at)}", g.company_id)
             for g in found.group_complaints if g.last_at <= now]
    for h in found.repeat_complainants:
        for ref in h.repeat_refs:
            project_id, project = h.project_of(ref)
            items.append(Item("risk_signal", f"repeat:{ref}",
                              d.for_record(project_id=project_id, owner=None, level=1),
                              {"signal": "repeat", "ref": ref, "project": project, "count": h.count,
                               "days": r.repeat_days, "refs": list(h.refs)},
                              f"register?{signals.refs_query(h.refs, h.first_at, h.last_at)}"))
    items += [Item("risk_signal", f"exposure:{e.ref}",
                   d.for_record(project_id=e.project_id, owner=e.assignee, level=1),
                   {"signal": "exposure", "ref": e.ref, "project": e.project, "company": e.company,
                    "words": list(e.words), "refs": [e.ref]}, f"register?ref={e.ref}", e.company_id)
              for e in found.exposure]
    return items


def evaluate(now: datetime, cfg: Config, *, session: Session) -> Iterator[Item]:
    """Every event at `now`, one item at a time (the record events streamed from the database)."""
    d = Directory(session=session)
    for find in (sla_events, escalation_events, issue_events, kpi_events, report_events, digest_events,
                 signal_events):
        yield from find(now, cfg, d, session=session)
