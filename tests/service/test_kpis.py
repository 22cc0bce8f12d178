"""KPIs of SPEC §7 against answers worked out by hand on tests/fixtures.py, on both databases."""
from datetime import date, datetime

import pytest

from lib.kpis import complaints, listening, supervisors, surveys
from lib.kpis.common import KpiFilter
from lib.vocab import LISTENING_ACTIVITY_TYPES
from tests import fixtures

NOW = datetime(2025, 3, 1)
JAN_FEB = KpiFilter(date(2025, 1, 1), date(2025, 2, 28))
YEAR = KpiFilter(date(2025, 1, 1), date(2025, 12, 31))
TYPES = list(LISTENING_ACTIVITY_TYPES)


def test_complaint_kpis_by_hand(session):
    # Counted: C1–C4, C6 and the boundary rows C10 (1 Jan 00:00:00) and C11 (28 Feb 23:59:59); C5 is
    # void, C12 (1 Mar 00:00:00) is after the period.
    fixtures.complaints_fixture(session)
    k = complaints.compute(JAN_FEB, session=session, now=NOW).kpis
    assert k["complaints"] == 7
    assert k["responsible_share"] == pytest.approx(6 / 7)    # all but C4
    assert k["resolution_rate"] == pytest.approx(4 / 7)      # C1 closed, C2 verified, C4 and C10 resolved
    # on time: C1, C4, C10 (answered exactly at its due time); late: C2; none, due passed: C3, C6;
    # C11 not due before 3 Mar and unanswered: not counted
    assert k["first_response_on_time_rate"] == pytest.approx(3 / 6)
    # on time: C1, C4, C10; late: C2; overdue: C3, C6; C11 not due yet
    assert k["resolution_on_time_rate"] == pytest.approx(3 / 6)
    # hours: C4 12, C1 24, C10 61.5 (1 Jan 00:00 → 3 Jan 13:30), C2 96 → median (24 + 61.5) / 2;
    # p90 at rank 1 + 0.9 × 3 = 3.7: 61.5 + 0.7 × (96 − 61.5) = 85.65
    assert k["median_hours_to_resolve"] == pytest.approx(42.75, abs=1e-6)
    assert k["p90_hours_to_resolve"] == pytest.approx(85.65, abs=1e-6)
    assert k["escalation_rate"] == pytest.approx(2 / 7)     # C2, C3
    assert k["reopen_rate"] == pytest.approx(1 / 5)          # ever resolved: C1, C2, C4, C10 and reopened C3
    assert k["followup_coverage"] == pytest.approx(2 / 5)
    assert k["followup_satisfaction"] == pytest.approx(1 / 2)
    assert k["open_backlog"] == 3 and k["overdue_open"] == 2  # C3, C6, C11 open; C11 due 11 Mar


def test_complaint_kpis_grouped_by_company(session):
    fixtures.complaints_fixture(session)
    groups = {g["key"]: g["kpis"] for g in complaints.compute(JAN_FEB, session=session, by="company", now=NOW).groups}
    # A: C1, C2, C3, C11 (C12 after the period); B: C4, C10, C6 (C5 void)
    assert groups["A公司"]["complaints"] == 4 and groups["A公司"]["resolution_rate"] == pytest.approx(2 / 4)
    assert groups["B公司"]["complaints"] == 3 and groups["B公司"]["resolution_rate"] == pytest.approx(2 / 3)
    # C4 08:00 → 20:00 is 12 h, C10 61.5 h → median 36.75
    assert groups["B公司"]["median_hours_to_resolve"] == pytest.approx(36.75, abs=1e-6)


def test_complaint_kpis_empty_filter_are_null_not_zero(session):
    fixtures.complaints_fixture(session)
    k = complaints.compute(KpiFilter(date(2024, 1, 1), date(2024, 12, 31)), session=session, now=NOW).kpis
    assert k["complaints"] == 0
    assert k["resolution_rate"] is None and k["median_hours_to_resolve"] is None
    assert k["followup_satisfaction"] is None


def test_survey_kpis_mixed_scales(session):
    fixtures.surveys_fixture(session)
    k = surveys.compute(KpiFilter(date(2025, 1, 1), date(2025, 12, 31)), session=session).kpis
    assert k["responses"] == 4
    assert k["satisfaction_score"] == pytest.approx((100 + 0 + 70 + 75) / 4)
    assert k["satisfaction_rate"] == pytest.approx(2 / 4)
    assert k["nps"] == pytest.approx(100 * (2 - 1) / 3)
    assert k["score_housing_quality"] == pytest.approx((90 + 25) / 2)
    assert k["score_maintenance"] is None
    assert k["yoy_change"] == pytest.approx(61.25 - 50.0)
    assert k["vs_industry"] is None


def test_listening_kpis_joiners_leavers(session):
    fixtures.listening_fixture(session)
    k = listening.compute(YEAR, session=session, activity_types=TYPES).kpis
    assert (k["headcount"], k["headcount_management"], k["headcount_staff"]) == (4, 1, 3)
    assert (k["participants"], k["participants_management"], k["participants_staff"]) == (3, 1, 2)
    assert k["participation_rate"] == pytest.approx(3 / 4)
    assert k["participation_rate_management"] == pytest.approx(1.0)
    assert k["participation_rate_staff"] == pytest.approx(2 / 3)
    assert k["six_ones_completion_rate"] == pytest.approx(1 / 4)
    assert k["findings"] == 1


def test_supervisor_kpis(session):
    fixtures.supervisors_fixture(session)
    k = supervisors.compute(JAN_FEB, session=session, today=date(2025, 3, 1)).kpis
    assert k["active_supervisors"] == 1 and k["projects_covered"] == 1
    assert k["activities"] == 2 and k["participant_count"] == 25
    assert k["issues_raised"] == 3
    assert k["issue_closure_rate"] == pytest.approx(2 / 3)
    assert k["on_time_closure_rate"] == pytest.approx(1 / 3)
    assert k["median_days_to_resolve"] == pytest.approx(14.5)
    assert k["open_overdue"] == 1
    assert k["feedback_satisfaction"] == pytest.approx(1 / 2)
