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
    fixtures.complaints_fixture(session)
    k = complaints.compute(JAN_FEB, session=session, now=NOW).kpis
    assert k["complaints"] == 5                              # C5 is void
    assert k["responsible_share"] == pytest.approx(4 / 5)
    assert k["resolution_rate"] == pytest.approx(3 / 5)      # C1 closed, C2 verified, C4 resolved
    assert k["first_response_on_time_rate"] == pytest.approx(2 / 5)  # C1, C4 on time; C2 late; C3, C6 none
    assert k["resolution_on_time_rate"] == pytest.approx(2 / 5)      # C1, C4 on time; C2 late; C3, C6 overdue
    assert k["median_hours_to_resolve"] == pytest.approx(24, abs=1e-6)  # 12, 24, 96
    assert k["p90_hours_to_resolve"] == pytest.approx(81.6, abs=1e-6)   # 24 + 0.8 × 72
    assert k["escalation_rate"] == pytest.approx(2 / 5)
    assert k["reopen_rate"] == pytest.approx(1 / 4)          # ever resolved: C1, C2, C4 and reopened C3
    assert k["followup_coverage"] == pytest.approx(2 / 4)
    assert k["followup_satisfaction"] == pytest.approx(1 / 2)
    assert k["open_backlog"] == 2 and k["overdue_open"] == 2


def test_complaint_kpis_grouped_by_company(session):
    fixtures.complaints_fixture(session)
    groups = {g["key"]: g["kpis"] for g in complaints.compute(JAN_FEB, session=session, by="company", now=NOW).groups}
    assert groups["A公司"]["complaints"] == 3 and groups["A公司"]["resolution_rate"] == pytest.approx(2 / 3)
    assert groups["B公司"]["complaints"] == 2 and groups["B公司"]["resolution_rate"] == pytest.approx(1 / 2)
    assert groups["B公司"]["median_hours_to_resolve"] == pytest.approx(12, abs=1e-6)  # C4 only: 08:00 → 20:00


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
