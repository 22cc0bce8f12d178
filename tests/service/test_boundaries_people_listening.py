"""Listening ("Six Ones") KPIs on the edges of their period (SPEC §7), on SQLite and PostgreSQL:
a leaver ON the first day and a joiner ON the last day are on staff; activities after the period's end
(or before its start) are not participation; "six ones" completed needs ALL the configured types.

Hand-made roster, company A公司, period March 2025 (1 – 31 March), types the six defaults:

    no       tier   joined      left        activities (date: type)
    L_FIRST  staff  2020-01-01  2025-03-01  03-01 visit_customer              ← leaves ON the first day
    L_BEFORE staff  2020-01-01  2025-02-28  02-28 visit_customer              ← left the day before
    J_LAST   staff  2025-03-31  —           03-31 answer_hotline              ← joins ON the last day
    J_AFTER  staff  2025-04-01  —           04-01 answer_hotline              ← joins the day after
    M_SIX    mgmt   2018-01-01  —           03-01 … 03-06 all six types (03-01 with a finding)
    M_FIVE   mgmt   2018-01-01  —           five types in March (no make_suggestion), visit_customer
                                            twice, make_suggestion on 04-01 (after the end)
    S_OUT    staff  2018-01-01  —           02-28 and 04-01 visit_customer, 04-01 with a finding
    S_NONE   staff  2018-01-01  —           none

March: headcount L_FIRST J_LAST M_SIX M_FIVE S_OUT S_NONE = 6 (management 2, staff 4);
participants L_FIRST J_LAST M_SIX M_FIVE = 4 (management 2, staff 2); six ones completed: M_SIX only
(M_FIVE has 6 activities but 5 types in March) → 1/6; findings: M_SIX's one (S_OUT's is in April) = 1.
"""
from __future__ import annotations

from datetime import date

import pytest

from lib.kpis import listening
from lib.kpis.common import KpiFilter
from lib.models import Company, Employee, ListeningActivity
from lib.vocab import LISTENING_ACTIVITY_TYPES

MARCH = KpiFilter(date(2025, 3, 1), date(2025, 3, 31))
FEB_MAR = KpiFilter(date(2025, 2, 1), date(2025, 3, 31))
SIX = list(LISTENING_ACTIVITY_TYPES)  # visit_customer answer_hotline handle_complaint attend_delivery
#                                       experience_service make_suggestion


def _roster(session) -> None:
    assert len(SIX) == 6 and SIX[-1] == "make_suggestion"
    company = Company(name="A公司", city="深圳")
    session.add(company)
    session.flush()

    def emp(no, mgmt, joined, left=None):
        e = Employee(employee_no=no, name=no, company_id=company.id, department="客服部", is_management=mgmt,
                     joined_on=joined, left_on=left)
        session.add(e)
        session.flush()
        return e

    def act(e, day, kind, finding=None):
        session.add(ListeningActivity(employee_id=e.id, activity_date=day, activity_type=kind, finding=finding))

    act(emp("L_FIRST", False, date(2020, 1, 1), date(2025, 3, 1)), date(2025, 3, 1), "visit_customer")
    act(emp("L_BEFORE", False, date(2020, 1, 1), date(2025, 2, 28)), date(2025, 2, 28), "visit_customer")
    act(emp("J_LAST", False, date(2025, 3, 31)), date(2025, 3, 31), "answer_hotline")
    act(emp("J_AFTER", False, date(2025, 4, 1)), date(2025, 4, 1), "answer_hotline")
    six = emp("M_SIX", True, date(2018, 1, 1))
    for i, kind in enumerate(SIX):
        act(six, date(2025, 3, 1 + i), kind, "地库照明不足" if i == 0 else None)
    five = emp("M_FIVE", True, date(2018, 1, 1))
    for i, kind in enumerate(SIX[:5]):
        act(five, date(2025, 3, 10 + i), kind, "")  # an empty finding is no finding
    act(five, date(2025, 3, 31), "visit_customer")
    act(five, date(2025, 4, 1), "make_suggestion")
    out = emp("S_OUT", False, date(2018, 1, 1))
    act(out, date(2025, 2, 28), "visit_customer")
    act(out, date(2025, 4, 1), "visit_customer", "电梯异响")
    emp("S_NONE", False, date(2018, 1, 1))
    session.flush()


def test_first_and_last_days_count_nothing_outside_counts_and_six_ones_needs_every_type(session):
    _roster(session)
    k = listening.compute(MARCH, session=session, activity_types=SIX).kpis
    assert (k["headcount"], k["headcount_management"], k["headcount_staff"]) == (6, 2, 4)
    assert (k["participants"], k["participants_management"], k["participants_staff"]) == (4, 2, 2)
    assert k["participation_rate"] == pytest.approx(4 / 6)
    assert k["participation_rate_management"] == 1.0
    assert k["participation_rate_staff"] == pytest.approx(2 / 4)   # L_FIRST, J_LAST of L_FIRST J_LAST S_OUT S_NONE
    assert k["six_ones_completion_rate"] == pytest.approx(1 / 6)   # M_SIX only
    assert k["findings"] == 1

    # Six ones needs every configured type:
    def completed(types):  # employees who completed, back from the rate: rate × headcount 6
        return round(listening.compute(MARCH, session=session, activity_types=types).kpis[
            "six_ones_completion_rate"] * 6, 9)
    assert completed(SIX) == 1                          # M_SIX; M_FIVE lacks make_suggestion in March
    assert completed(SIX[:5]) == 2                      # make_suggestion not configured: M_FIVE too
    assert completed([*SIX, "night_patrol"]) == 0       # a seventh type nobody did: nobody completes
    assert completed(["visit_customer"]) == 3           # one type: M_SIX, M_FIVE and L_FIRST (J_LAST answered
    #                                                     the hotline; S_OUT's visits are outside March)


def test_months_of_a_period_have_their_own_first_and_last_days(session):
    _roster(session)
    result = listening.compute(FEB_MAR, session=session, activity_types=SIX, by="month")
    # February: L_FIRST, L_BEFORE (left ON its last day), M_SIX, M_FIVE, S_OUT, S_NONE = 6;
    # participants L_BEFORE and S_OUT (02-28, the last day) = 2, both staff.
    # Whole period: everyone but J_AFTER = 7; participants all but J_AFTER and S_NONE = 6.
    assert (result.kpis["headcount"], result.kpis["participants"]) == (7, 6)
    months = {g["key"]: g["kpis"] for g in result.groups}
    assert list(months) == ["2025-02", "2025-03"]
    assert (months["2025-02"]["headcount"], months["2025-02"]["participants"],
            months["2025-02"]["participants_staff"]) == (6, 2, 2)
    assert months["2025-02"]["six_ones_completion_rate"] == 0.0
    assert (months["2025-03"]["headcount"], months["2025-03"]["participants"]) == (6, 4)
