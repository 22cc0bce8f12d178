"""Issue #28: complaint KPIs on the edges of their periods and due times, worked out by hand, on SQLite
and PostgreSQL, through the row store and through the analytic mirror (lib.analytics).

A period [start, end] holds every complaint received from start 00:00:00 up to end 23:59:59.999999;
hours to resolve are calendar hours with their fraction (1 h 30 min is 1.5); a first response or a
resolution exactly at its due time is on time, one second later it is late; a complaint due exactly
now is not yet overdue, one due a second earlier is.

Due times are given explicitly here (not by lib.sla), so only the KPI arithmetic is under test.
"""
from datetime import date, datetime, timedelta

import pytest

from lib import analytics
from lib.db import session_scope
from lib.kpis import complaints
from lib.kpis.common import KpiFilter
from lib.models import Complaint
from tests import fixtures

WEEK = KpiFilter(date(2025, 3, 3), date(2025, 3, 9))            # Mon–Sun, no whole month: row by row
MARCH = KpiFilter(date(2025, 3, 1), date(2025, 3, 31))          # a whole month: the mirror's monthly sums
SEAM = KpiFilter(date(2025, 2, 20), date(2025, 4, 10))          # March summed, 20–28 Feb and 1–10 Apr row by row
LATER = datetime(2025, 6, 1)                                    # every due time of the period rows has passed
S = timedelta(seconds=1)


@pytest.fixture(autouse=True)
def _mirror_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("CRHQ_ANALYTICS_DIR", str(tmp_path / "analytics"))


@pytest.fixture(params=["on", "off"])
def mode(request, monkeypatch) -> str:
    """The test runs once through the mirror and once on the row store."""
    monkeypatch.setenv("CRHQ_ANALYTICS", request.param)
    return request.param


def _add(session, project, ref, received, *, fr_due=None, res_due=None, status="resolved",
         first_response_at=None, resolved_at=None):
    session.add(Complaint(ref=ref, received_at=received, channel="hotline", project_id=project.id,
                          business_line=project.business_line, category="maintenance", severity="ordinary",
                          responsible=True, status=status,
                          first_response_due_at=fr_due or received + timedelta(days=1),
                          resolution_due_at=res_due or received + timedelta(days=5),
                          first_response_at=first_response_at, resolved_at=resolved_at,
                          escalation_level=0, reopen_count=0))


# received, hours to resolve (resolved_at = received + hours)
PERIOD_ROWS = {
    "B0": (datetime(2025, 2, 19, 23, 59, 59), 48),   # a second before SEAM
    "B1": (datetime(2025, 2, 20, 0, 0, 0), 48),      # SEAM's first moment
    "B2": (datetime(2025, 2, 28, 23, 59, 59), 48),   # last second of the row-by-row days before March
    "B3": (datetime(2025, 3, 1, 0, 0, 0), 48),       # MARCH's first moment
    "W0": (datetime(2025, 3, 2, 23, 59, 59), 100),   # a second before WEEK
    "W1": (datetime(2025, 3, 3, 0, 0, 0), 1.5),      # WEEK's first moment, resolved 01:30
    "W2": (datetime(2025, 3, 5, 12, 0, 0), 10.25),   # resolved 22:15
    "W3": (datetime(2025, 3, 9, 23, 59, 59), 0.5),   # WEEK's last second, resolved 10 Mar 00:29:59
    "W4": (datetime(2025, 3, 10, 0, 0, 0), 200),     # a second after WEEK
    "B4": (datetime(2025, 3, 31, 23, 59, 59), 48),   # MARCH's last second
    "B5": (datetime(2025, 4, 1, 0, 0, 0), 48),       # first moment after March, row by row in SEAM
    "B6": (datetime(2025, 4, 10, 23, 59, 59), 48),   # SEAM's last second
    "B7": (datetime(2025, 4, 11, 0, 0, 0), 48),      # a second after SEAM
}


def _period_rows(engine):
    with session_scope(engine) as session:
        p1, _ = fixtures.org(session)
        for ref, (received, hours) in PERIOD_ROWS.items():
            _add(session, p1, ref, received, first_response_at=received + timedelta(minutes=10),
                 resolved_at=received + timedelta(hours=hours))
    analytics.build(engine)


def _through_mirror(session) -> bool:
    with analytics.reading(session, "complaint") as reader:
        return reader.get_bind().dialect.name == "duckdb"


def _read(engine, mode, flt, now, by=None):
    with session_scope(engine, readonly=True) as session:
        assert _through_mirror(session) == (mode == "on")
        return complaints.compute(flt, session=session, now=now, by=by)


def test_first_and_last_second_of_a_period_count_and_the_seconds_outside_do_not(engine, mode):
    _period_rows(engine)
    week = _read(engine, mode, WEEK, LATER).kpis
    assert week["complaints"] == 3                                 # W1, W2, W3; not W0, W4
    # 0.5, 1.5, 10.25 h: median 1.5; p90 at rank 1 + 0.9 × 2 = 2.8: 1.5 + 0.8 × (10.25 − 1.5) = 8.5
    assert week["median_hours_to_resolve"] == pytest.approx(1.5, abs=1e-6)
    assert week["p90_hours_to_resolve"] == pytest.approx(8.5, abs=1e-6)
    # March from the monthly sums: B3, W0–W4, B4 (1 Mar 00:00:00 … 31 Mar 23:59:59)
    assert _read(engine, mode, MARCH, LATER).kpis["complaints"] == 7
    # SEAM: B1, B2 (row by row) + March's 7 (summed) + B5, B6 (row by row); not B0, B7
    seam = _read(engine, mode, SEAM, LATER, by="month")
    assert seam.kpis["complaints"] == 11
    assert {g["key"]: g["kpis"]["complaints"] for g in seam.groups} == {"2025-02": 2, "2025-03": 7, "2025-04": 2}


def test_several_groupings_at_once_keep_the_boundary_rows(engine, mode):
    # The Complaints page's one read (GROUPING SETS on the mirror): the same counts as one by one.
    _period_rows(engine)
    with session_scope(engine, readonly=True) as session:
        assert _through_mirror(session) == (mode == "on")
        sets = complaints.compute_many(SEAM, (None, "month"), session=session, now=LATER)
        week = complaints.compute_many(WEEK, (None, "month"), session=session, now=LATER)
    assert sets[None].kpis["complaints"] == 11
    assert {g["key"]: g["kpis"]["complaints"] for g in sets["month"].groups} == {"2025-02": 2, "2025-03": 7,
                                                                                "2025-04": 2}
    assert week[None].kpis["complaints"] == 3
    assert week[None].kpis["median_hours_to_resolve"] == pytest.approx(1.5, abs=1e-6)


def test_hours_to_resolve_keep_their_minutes_and_seconds(engine, mode):
    # Received 09:00:00; resolved after 1 h 30 min, 2 h 45 min, 3 h 59 min 24 s (3.99 h), 25 h 6 min.
    # Sorted 1.5, 2.75, 3.99, 25.1: median (2.75 + 3.99) / 2 = 3.37; p90 at rank 1 + 0.9 × 3 = 3.7:
    # 3.99 + 0.7 × (25.1 − 3.99) = 18.767. Whole hours (1, 2, 3, 25) would give 2.5 and 18.4.
    with session_scope(engine) as session:
        p1, _ = fixtures.org(session)
        for i, spent in enumerate((timedelta(hours=1, minutes=30), timedelta(hours=2, minutes=45),
                                   timedelta(hours=3, minutes=59, seconds=24), timedelta(hours=25, minutes=6))):
            received = datetime(2025, 3, 4 + i, 9)
            _add(session, p1, f"H{i}", received, first_response_at=received, resolved_at=received + spent)
    analytics.build(engine)
    k = _read(engine, mode, WEEK, LATER).kpis
    assert k["median_hours_to_resolve"] == pytest.approx(3.37, abs=1e-6)
    assert k["p90_hours_to_resolve"] == pytest.approx(18.767, abs=1e-6)
    with session_scope(engine, readonly=True) as session:  # the two-period read of the overview's cards
        (one,) = complaints.period_percentiles((WEEK,), session=session)
        both = complaints.period_percentiles((WEEK, KpiFilter(date(2025, 3, 10), date(2025, 3, 16))),
                                             session=session)
    assert one["median_hours_to_resolve"] == pytest.approx(3.37, abs=1e-6)
    assert both[0]["p90_hours_to_resolve"] == pytest.approx(18.767, abs=1e-6)


DUE_FR = datetime(2025, 3, 4, 9)      # first responses due Tue 4 Mar 09:00:00
DUE_RES = datetime(2025, 3, 10, 9)    # resolutions due Mon 10 Mar 09:00:00
NOW = datetime(2025, 3, 20, 12)


def _due_rows(engine):
    """R1 answered and resolved exactly at its due times; R2 one second after each; O1 open, due exactly
    NOW; O2 open, due a second before NOW. O1 and O2 were answered an hour after they came in."""
    with session_scope(engine) as session:
        p1, _ = fixtures.org(session)
        received = datetime(2025, 3, 3, 9)
        _add(session, p1, "R1", received, fr_due=DUE_FR, res_due=DUE_RES,
             first_response_at=DUE_FR, resolved_at=DUE_RES)
        _add(session, p1, "R2", received, fr_due=DUE_FR, res_due=DUE_RES,
             first_response_at=DUE_FR + S, resolved_at=DUE_RES + S)
        for ref, due in (("O1", NOW), ("O2", NOW - S)):
            _add(session, p1, ref, datetime(2025, 3, 4, 10), fr_due=datetime(2025, 3, 5, 10), res_due=due,
                 status="in_progress", first_response_at=datetime(2025, 3, 4, 11))
    analytics.build(engine)


@pytest.mark.parametrize("flt", [WEEK, MARCH], ids=["row-by-row", "whole-month"])
def test_exactly_at_the_due_time_is_on_time_a_second_later_is_late(engine, mode, flt):
    _due_rows(engine)
    # At LATER every due time has passed (March is then read from the mirror's monthly sums).
    k = _read(engine, mode, flt, LATER).kpis
    # first response by its due time: R1 (exactly), O1, O2 (an hour in); R2 a second late → 3 of 4
    assert k["first_response_on_time_rate"] == pytest.approx(3 / 4)
    # resolved by its due time: R1 (exactly); R2 a second late; O1, O2 still open past due → 1 of 4
    assert k["resolution_on_time_rate"] == pytest.approx(1 / 4)
    assert k["open_backlog"] == 2 and k["overdue_open"] == 2


@pytest.mark.parametrize("flt", [WEEK, MARCH], ids=["row-by-row", "whole-month"])
def test_due_exactly_now_is_not_overdue_a_second_earlier_is(engine, mode, flt):
    _due_rows(engine)
    assert _read(engine, mode, flt, NOW).kpis["overdue_open"] == 1           # O2 only
    assert _read(engine, mode, flt, NOW - S).kpis["overdue_open"] == 0       # O2 due exactly then
    assert _read(engine, mode, flt, NOW + S).kpis["overdue_open"] == 2       # both
    by_month = _read(engine, mode, flt, NOW, by="month").groups
    assert [(g["key"], g["kpis"]["overdue_open"]) for g in by_month] == [("2025-03", 1)]
