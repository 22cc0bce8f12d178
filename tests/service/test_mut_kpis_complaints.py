"""Complaint KPI definitions the mutation run (scripts/mutate.py) found unheld, on the row store and
through the analytic mirror: follow-up satisfaction counts 4 and 5; the first-response on-time rate
counts a response made before its due time even while that due time is still ahead."""
from datetime import date, datetime

import pytest

from lib.db import session_scope
from lib.kpis import complaints
from lib.kpis.common import KpiFilter
from tests.fixtures import complaint, org

MARCH = KpiFilter(date(2025, 3, 1), date(2025, 3, 31))
NOW = datetime(2025, 3, 3, 18)  # Mon 3 Mar: both first responses are due Tue 4 Mar 09:00, still ahead


@pytest.fixture(params=["off", "on"])
def mirror(request, monkeypatch, tmp_path):
    monkeypatch.setenv("CRHQ_ANALYTICS", request.param)
    monkeypatch.setenv("CRHQ_ANALYTICS_DIR", str(tmp_path / "analytics"))
    return request.param


def test_follow_up_satisfaction_and_first_responses_made_before_they_fall_due(engine, mirror):
    with session_scope(engine) as session:
        p1, _ = org(session)
        # K1: answered 10:00, resolved 17:00, follow-up scored 4 (a "good" 4 of 5)
        complaint(session, p1, "K1", datetime(2025, 3, 3, 9), "hotline", "ordinary", True, "verified",
                  first_response_at=datetime(2025, 3, 3, 10), resolved_at=datetime(2025, 3, 3, 17),
                  followup_at=datetime(2025, 3, 3, 17, 30), followup_score=4)
        # K2: answered 12:00, still being worked on; K3: not answered yet, not yet due (not counted)
        complaint(session, p1, "K2", datetime(2025, 3, 3, 9), "hotline", "ordinary", True, "in_progress",
                  first_response_at=datetime(2025, 3, 3, 12))
        complaint(session, p1, "K3", datetime(2025, 3, 3, 9), "hotline", "ordinary", True, "received")
    with session_scope(engine, readonly=True) as session:
        k = complaints.compute(MARCH, session=session, now=NOW).kpis
    assert k["complaints"] == 3
    # responded on time / (due by now or responded) = 2 / 2; K3 is neither due nor answered
    assert k["first_response_on_time_rate"] == pytest.approx(1.0)
    # scores 4 and 5 are good: 1 good of 1 scored
    assert k["followup_satisfaction"] == pytest.approx(1.0)
