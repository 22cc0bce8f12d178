"""Supervisor-group KPIs on the edges of their dates (SPEC §7), on SQLite and PostgreSQL: an issue
resolved ON its due day is on time (the day after is late); an issue due TODAY is not overdue (due
yesterday is); a supervisor who left ON the first day of the period (or joined on its last) is active.

Hand-made data, period March 2025, today 2025-03-20:

    supervisor  project  joined      left
    S_FIRST     P2       2020-01-01  2025-03-01   active (left ON the first day)
    S_BEFORE    P3       2020-01-01  2025-02-28   not active
    S_LAST      P1       2025-03-31  —            active (joined ON the last day)
    S_AFTER     P3       2025-04-01  —            not active
    S_LONG      P1       2020-01-01  —            active
    → active 3, projects covered P1, P2 = 2

    issue        raised  due    resolved  status          score
    I_ON_DUE     03-01   03-10  03-10     resolved        —     on time (ON its due day), 9 days
    I_LATE       03-02   03-10  03-11     closed          3     late (the day after), 9 days
    I_EARLY      03-03   03-18  03-08     feedback_given  4     on time, 5 days
    I_DUE_TODAY  03-05   03-20  —         in_progress     —     not overdue, not yet in the on-time count
    I_YESTERDAY  03-04   03-19  —         open            —     overdue
    → raised 5; closure 3/5; on time 2 (I_ON_DUE, I_EARLY) of 4 (3 resolved + I_YESTERDAY) = 0.5;
      median days 5, 9, 9 → 9; open overdue 1; feedback 4–5: 1 of 2
"""
from __future__ import annotations

from datetime import date

import pytest

from lib.kpis import supervisors
from lib.kpis.common import KpiFilter
from lib.models import Company, Project, Supervisor, SupervisorIssue
from lib.services import issues, supervision

MARCH = KpiFilter(date(2025, 3, 1), date(2025, 3, 31))
TODAY = date(2025, 3, 20)


def _data(session) -> None:
    company = Company(name="A公司", city="深圳")
    session.add(company)
    session.flush()
    projects = {}
    for name in ("P1", "P2", "P3"):
        projects[name] = Project(company_id=company.id, name=name, name_norm=name, city="深圳",
                                 business_line="property_management")
    session.add_all(projects.values())
    session.flush()
    for no, project, joined, left in [("S_FIRST", "P2", date(2020, 1, 1), date(2025, 3, 1)),
                                      ("S_BEFORE", "P3", date(2020, 1, 1), date(2025, 2, 28)),
                                      ("S_LAST", "P1", date(2025, 3, 31), None),
                                      ("S_AFTER", "P3", date(2025, 4, 1), None),
                                      ("S_LONG", "P1", date(2020, 1, 1), None)]:
        session.add(Supervisor(supervisor_no=no, name=no, project_id=projects[project].id, term=11, joined_on=joined,
                               left_on=left))
    for ref, raised, due, resolved, status, score in [
        ("I_ON_DUE", date(2025, 3, 1), date(2025, 3, 10), date(2025, 3, 10), "resolved", None),
        ("I_LATE", date(2025, 3, 2), date(2025, 3, 10), date(2025, 3, 11), "closed", 3),
        ("I_EARLY", date(2025, 3, 3), date(2025, 3, 18), date(2025, 3, 8), "feedback_given", 4),
        ("I_DUE_TODAY", date(2025, 3, 5), date(2025, 3, 20), None, "in_progress", None),
        ("I_YESTERDAY", date(2025, 3, 4), date(2025, 3, 19), None, "open", None),
    ]:
        session.add(SupervisorIssue(ref=ref, raised_on=raised, project_id=projects["P1"].id, category="delivery",
                                    description="x", responsible_party="property", first_responder="staff",
                                    due_on=due, status=status, resolved_on=resolved, feedback_score=score))
    session.flush()


def test_due_day_resolution_is_on_time_and_an_issue_due_today_is_not_overdue(session):
    _data(session)
    k = supervisors.compute(MARCH, session=session, today=TODAY).kpis
    assert k["issues_raised"] == 5
    assert k["issue_closure_rate"] == pytest.approx(3 / 5)
    assert k["on_time_closure_rate"] == pytest.approx(2 / 4)
    assert k["open_overdue"] == 1
    assert k["median_days_to_resolve"] == pytest.approx(9.0)
    assert k["feedback_satisfaction"] == pytest.approx(1 / 2)
    # A day later I_DUE_TODAY is overdue too: 2 overdue, on time 2 of 5.
    tomorrow = supervisors.compute(MARCH, session=session, today=date(2025, 3, 21)).kpis
    assert tomorrow["open_overdue"] == 2
    assert tomorrow["on_time_closure_rate"] == pytest.approx(2 / 5)
    # The issue list's "overdue only" agrees: due yesterday is, due today is not.
    overdue = issues.list_frame(MARCH, session=session, overdue_only=True, today=TODAY)
    assert list(overdue["ref"]) == ["I_YESTERDAY"]


def test_a_supervisor_leaving_on_the_first_day_or_joining_on_the_last_is_active(session):
    _data(session)
    k = supervisors.compute(MARCH, session=session, today=TODAY).kpis
    assert (k["active_supervisors"], k["projects_covered"]) == (3, 2)
    by_month = supervisors.compute(KpiFilter(date(2025, 2, 1), date(2025, 3, 31)), session=session, today=TODAY,
                                   by="month").groups
    people = {g["key"]: (g["kpis"]["active_supervisors"], g["kpis"]["projects_covered"]) for g in by_month}
    # February: S_FIRST, S_BEFORE (left ON its last day), S_LONG → 3 on P1, P2, P3; March as above.
    assert people == {"2025-02": (3, 3), "2025-03": (3, 2)}
    serving = supervision.supervisors_frame(MARCH, session=session)
    assert sorted(serving["supervisor_no"]) == ["S_FIRST", "S_LAST", "S_LONG"]

