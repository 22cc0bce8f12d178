"""Monthly unit reports (月度投诉分析上报, SPEC §14): each company submits the previous month's complaint
analysis by day `unit_report_due_day` (default 28) of the following month; HQ sees who submitted, who
was late and who is missing, and may return a report with comments for the company to resubmit.

The figures are the product's own: the complaint KPIs of lib.kpis.areas.compute for the company and
month, snapshotted into the report when it is (re)submitted, so a later import cannot change what was
reported. "Late" is decided by the first submission (a report returned and resubmitted after the due
day is not late if it first came in on time).
"""
from __future__ import annotations

import calendar
import json
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from lib import scope
from lib.db import local_now
from lib.errors import Conflict, NotFound, ValidationFailed
from lib.kpis import areas
from lib.kpis.common import KpiFilter
from lib.models import Company, UnitReport
from lib.services import audit, settings

STATES = ("submitted", "late", "returned", "missing", "pending")
TEXT_LENGTH = 8000
U = UnitReport


def month_bounds(month: str) -> tuple[date, date]:
    try:
        year, mon = (int(p) for p in month.split("-"))
        return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])
    except (ValueError, TypeError, AttributeError) as exc:
        raise ValidationFailed("urep_err_month", month=str(month)) from exc


def previous_month(today: date) -> str:
    y, m = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{y:04d}-{m:02d}"


def due_on(month: str, *, session: Session) -> date:
    """Day `unit_report_due_day` of the month after `month` (the month's last day if it is shorter)."""
    _, end = month_bounds(month)
    y, m = (end.year, end.month + 1) if end.month < 12 else (end.year + 1, 1)
    day = int(settings.get("unit_report_due_day", session=session))
    return date(y, m, max(1, min(day, calendar.monthrange(y, m)[1])))


def figures(company: str, month: str, *, session: Session) -> dict:
    """The company's complaint KPIs of the month, as the rest of the product computes them (SPEC §7)."""
    start, end = month_bounds(month)
    kpis = areas.compute("complaints", KpiFilter(start, end, companies=(company,)), session=session,
                         with_percentiles=False).kpis
    return {k: v for k, v in kpis.items() if v is None or isinstance(v, (int, float))}


def _company(session: Session, name: str, reach: scope.Reach | None) -> Company:
    found = session.scalar(select(Company).where(Company.name == (name or "").strip()))
    if found is None:
        raise NotFound("err_not_found", what=name)
    if reach is not None and not reach.is_group and found.id not in (reach.companies or ()):
        # a company's report covers all its projects: only a reach holding the whole company reads or writes it
        raise scope.OutOfScope("err_out_of_scope", kind="company", name=found.name)
    return found


def _find(session: Session, company_id: int, month: str) -> UnitReport | None:
    return session.scalar(select(U).where(U.company_id == company_id, U.month == month))


def submit(company: str, month: str, *, analysis: str, actions: str, session: Session, actor: str,
           reach: scope.Reach | None = None, now: datetime | None = None, version: int | None = None) -> UnitReport:
    """Submit (or, once returned, resubmit) a company's report of `month`, with the figures as of now."""
    now = now or local_now()
    start, end = month_bounds(month)
    firm = _company(session, company, reach)
    if now.date() <= end:
        raise ValidationFailed("urep_err_not_over", month=month)
    problems = [name for name, text in (("urep_analysis", analysis), ("urep_actions", actions))
                if not (text or "").strip() or len(text) > TEXT_LENGTH]
    if problems:
        raise ValidationFailed("err_fields", fields=", ".join(problems))
    report = _find(session, firm.id, month)
    if report is not None and version is not None and report.version != version:
        raise Conflict("err_conflict", what=f"{firm.name} {month}")
    if report is not None and report.status == "submitted":
        raise ValidationFailed("urep_err_already", company=firm.name, month=month)
    numbers = json.dumps(figures(firm.name, month, session=session), ensure_ascii=False, sort_keys=True)
    if report is None:
        report = UnitReport(company_id=firm.id, month=month, first_submitted_at=now, resubmissions=0)
        session.add(report)
        action = "unit_report_submit"
    else:
        report.resubmissions += 1
        action = "unit_report_resubmit"
    report.status, report.figures = "submitted", numbers
    report.analysis, report.actions = analysis.strip(), actions.strip()
    report.submitted_at, report.submitted_by = now, actor
    _flush(session, firm.name, month)
    audit.record(session=session, actor=actor, action=action, entity="unit_report", entity_id=f"{firm.name} {month}",
                 detail={"submitted_at": now.isoformat(), "due_on": due_on(month, session=session).isoformat()})
    return report


def return_report(company: str, month: str, *, comment: str, session: Session, actor: str,
                  reach: scope.Reach | None = None, version: int | None = None,
                  now: datetime | None = None) -> UnitReport:
    """HQ (a group-scope reader) sends a submitted report back to its company with comments."""
    if reach is not None and not reach.is_group:
        raise scope.OutOfScope("urep_err_hq_only")
    firm = _company(session, company, reach)
    month_bounds(month)
    report = _find(session, firm.id, month)
    if report is None:
        raise NotFound("err_not_found", what=f"{firm.name} {month}")
    if version is not None and report.version != version:
        raise Conflict("err_conflict", what=f"{firm.name} {month}")
    if report.status != "submitted":
        raise ValidationFailed("urep_err_not_submitted", company=firm.name, month=month)
    if not (comment or "").strip() or len(comment) > TEXT_LENGTH:
        raise ValidationFailed("err_fields", fields="urep_comment")
    report.status, report.return_comment = "returned", comment.strip()
    report.returned_at, report.returned_by = now or local_now(), actor
    _flush(session, firm.name, month)
    audit.record(session=session, actor=actor, action="unit_report_return", entity="unit_report",
                 entity_id=f"{firm.name} {month}", detail={"comment": report.return_comment})
    return report


def _flush(session: Session, company: str, month: str) -> None:
    try:
        session.flush()
    except StaleDataError as exc:
        raise Conflict("err_conflict", what=f"{company} {month}") from exc


def state_of(report_status: str | None, first_submitted_at: datetime | None, due: date, today: date) -> str:
    """submitted (on time) · late (first submitted after the due day) · returned (awaiting resubmission) ·
    missing (nothing submitted and the due day is past) · pending (nothing yet, still in time)."""
    if report_status is None:
        return "missing" if today > due else "pending"
    if report_status == "returned":
        return "returned"
    return "late" if first_submitted_at.date() > due else "submitted"


STATUS_COLUMNS = ["company", "region", "state", "first_submitted_at", "submitted_at", "submitted_by",
                  "resubmissions", "returned_by", "return_comment", "version"]


@dataclass(frozen=True)
class MonthStatus:
    month: str
    due_on: date
    today: date
    counts: dict[str, int]
    companies: pd.DataFrame

    def as_json(self) -> dict:
        rows = [{"company": r.company, "state": r.state,
                 "submitted_at": None if pd.isna(r.submitted_at) else r.submitted_at.isoformat(),
                 "resubmissions": int(r.resubmissions)} for r in self.companies.itertuples()]
        return {"month": self.month, "due_on": self.due_on.isoformat(), "today": self.today.isoformat(),
                "counts": self.counts, "companies": rows}


def status(month: str, *, session: Session, reach: scope.Reach | None = None,
           today: date | None = None) -> MonthStatus:
    """Every company in `reach` (whole companies) with its report's state for `month` on `today`."""
    today = today or local_now().date()
    due = due_on(month, session=session)
    where = [] if reach is None or reach.is_group else [Company.id.in_(sorted(reach.companies or ()))]
    rows = session.execute(
        select(Company.name, Company.region, U.status, U.first_submitted_at, U.submitted_at, U.submitted_by,
               U.resubmissions, U.returned_by, U.return_comment, U.version)
        .outerjoin(U, (U.company_id == Company.id) & (U.month == month)).where(*where).order_by(Company.name)).all()
    frame = pd.DataFrame([(r[0], r[1], state_of(r[2], r[3], due, today), r[3], r[4], r[5], r[6] or 0, r[7], r[8],
                           r[9]) for r in rows], columns=STATUS_COLUMNS)
    counts = {s: int((frame["state"] == s).sum()) for s in STATES}
    return MonthStatus(month, due, today, counts, frame)


def detail(company: str, month: str, *, session: Session, reach: scope.Reach | None = None) -> dict:
    """A company's report of `month`: the stored one (its snapshot figures), or, not yet submitted, the
    figures as they stand now (what a submission would snapshot)."""
    firm = _company(session, company, reach)
    month_bounds(month)
    report = _find(session, firm.id, month)
    if report is None:
        return {"company": firm.name, "month": month, "status": None, "figures": figures(firm.name, month,
                                                                                       session=session),
                "analysis": "", "actions": "", "return_comment": None, "version": None,
                "submitted_at": None, "submitted_by": None}
    return {"company": firm.name, "month": month, "status": report.status, "figures": json.loads(report.figures),
            "analysis": report.analysis, "actions": report.actions, "return_comment": report.return_comment,
            "returned_by": report.returned_by, "version": report.version, "submitted_at": report.submitted_at,
            "submitted_by": report.submitted_by, "first_submitted_at": report.first_submitted_at,
            "resubmissions": report.resubmissions}


def companies(*, session: Session, reach: scope.Reach | None = None) -> list[str]:
    """The companies whose reports `reach` may read and write (whole companies)."""
    where = [] if reach is None or reach.is_group else [Company.id.in_(sorted(reach.companies or ()))]
    return list(session.scalars(select(Company.name).where(*where).order_by(Company.name)))
