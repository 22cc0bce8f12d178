"""Call-back check KPIs of SPEC §14 (`kpi checks`), in SQL with GROUP BY.

A check belongs to a period by the resolution it checks: the drawn `resolved_at` (the complaint's
resolution date when it was drawn; a reopen clears the complaint's own, the sample keeps it). So a
period's checks are those of complaints resolved in it, whichever draw (daily, monthly) took them.
- checks_due = drawn checks; checks_done = with a result recorded (passed, failed or unreached);
- check_coverage = done / due; confirmed_resolution_rate = resolution confirmed / reached;
- handling_compliance_rate = done checks passing all four handling checks / done;
- checks_reached, checks_failed: the counts behind them.
Filters as the complaints' (company, city, project, business line, channel, category, severity) and
the organisation scope (by the complaint's project).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from lib.kpis import complaints as complaint_kpis
from lib.kpis.common import FilterError, KpiFilter, KpiResult, count_if, month_key, ratio
from lib.models import CheckResult, CheckSample, Company, Complaint, Project

S, R = CheckSample, CheckResult
GROUPS = ("month", "company", "city", "project", "business_line", "channel", "category")


def joined():
    return S.__table__.join(Complaint, Complaint.id == S.complaint_id).join(
        Project, Project.id == Complaint.project_id).join(Company, Company.id == Project.company_id)


def conditions(flt: KpiFilter) -> list:
    start, end = flt.bounds()
    return [S.resolved_at >= start, S.resolved_at < end,
            *complaint_kpis.conditions(flt, include_void=True, period=False)]


def _group(session: Session, by: str | None):
    if by is None:
        return None
    columns = {"company": Company.name, "city": Project.city, "project": Project.name,
               "business_line": Complaint.business_line, "channel": Complaint.channel,
               "category": Complaint.category}
    if by == "month":
        return month_key(session, S.resolved_at)
    if by not in columns:
        raise FilterError(f"checks cannot be grouped by {by!r}; choose one of {', '.join(GROUPS)}")
    return columns[by]


def _kpis(row: dict[str, Any]) -> dict[str, Any]:
    due, done, reached = (int(row.get(k) or 0) for k in ("due", "done", "reached"))
    return {
        "checks_due": due, "checks_done": done, "checks_reached": reached,
        "checks_failed": int(row.get("failed") or 0),
        "check_coverage": ratio(done, due),
        "confirmed_resolution_rate": ratio(row.get("confirmed"), reached),
        "handling_compliance_rate": ratio(row.get("compliant"), done),
    }


def compute(flt: KpiFilter, *, session: Session, by: str | None = None) -> KpiResult:
    group = _group(session, by)
    done = R.id.is_not(None)
    compliant = and_(done, R.first_response_in_time.is_(True), R.root_cause_recorded.is_(True),
                     R.corrective_action_recorded.is_(True), R.followup_done.is_(True))
    parts = [count_if(S.id.is_not(None)).label("due"), count_if(done).label("done"),
             count_if(R.reached.is_(True)).label("reached"),
             count_if(and_(R.reached.is_(True), R.resolution_confirmed.is_(True))).label("confirmed"),
             count_if(compliant).label("compliant"), count_if(S.status == "failed").label("failed")]
    froms = joined().outerjoin(R, R.sample_id == S.id)
    where = conditions(flt)
    total = dict(session.execute(select(*parts).select_from(froms).where(*where)).mappings().one())
    groups: list[dict[str, Any]] = []
    if group is not None:
        stmt = select(group.label("g"), *parts).select_from(froms).where(*where).group_by(group)
        rows = [dict(r) for r in session.execute(stmt).mappings().all()]
        rows.sort(key=lambda r: (r["g"] is None, str(r["g"])))
        groups = [{"key": r["g"], "kpis": _kpis(r)} for r in rows]
    return KpiResult("checks", flt.as_json(), _kpis(total), groups)
