"""SPEC §13 on a real database: an admin enters 2027, due times are recomputed, and KPIs follow."""
import json
from datetime import date, datetime

import pytest
from sqlalchemy import select

from lib import analytics, statutory_calendar
from lib.db import session_scope
from lib.kpis import complaints as complaint_kpis
from lib.kpis.common import KpiFilter
from lib.models import AuditLog, Complaint, Project
from lib.services import calendar
from lib.services import complaints as svc
from tests.fixtures import complaint, org

# a test schedule (not the real notice): off Fri 5 – Fri 12 Feb 2027; make-up Sun 14 and Sat 20 Feb
ENTRY = calendar.parse_text("2027-02-05..2027-02-12", "2027-02-14\n2027-02-20")
FEB = KpiFilter(date(2027, 2, 1), date(2027, 2, 28))
NOW = datetime(2027, 2, 15, 12)  # after the estimated resolution due time, before the entered one


@pytest.fixture(autouse=True)
def _fresh(monkeypatch, tmp_path):
    monkeypatch.setenv("CRHQ_ANALYTICS", "on")
    monkeypatch.setenv("CRHQ_ANALYTICS_DIR", str(tmp_path / "analytics"))
    statutory_calendar.install({})
    yield
    statutory_calendar.install({})


def _complaint(session, received: datetime, ref: str) -> Complaint:
    # received "in the future" of the test clock: written as an import would (fixtures.complaint)
    project = session.scalar(select(Project).order_by(Project.id)) or org(session)[0]
    c = complaint(session, project, ref, received, "hotline", "important", True, "received")
    session.flush()
    return c


def _kpis(engine) -> dict:
    with session_scope(engine, readonly=True) as session:
        with analytics.reading(session, "complaint") as reader:
            assert reader.get_bind().dialect.name == "duckdb"  # the mirror answers
        return complaint_kpis.compute(FEB, session=session, now=NOW).kpis


def test_entering_2027_recomputes_due_times_and_the_mirror_follows(engine):
    with session_scope(engine) as session:
        # Thu 4 Feb 10:00, important. Estimate (off 5–10 Feb): 14 h + 11, 12 Feb = 62 h, 10 h of Mon 15.
        c = _complaint(session, datetime(2027, 2, 4, 10), "C2027")
        old = _complaint(session, datetime(2026, 3, 2, 9), "C2026")  # its window ends in 2026: not touched
        assert (c.first_response_due_at, c.resolution_due_at) == (datetime(2027, 2, 11, 10), datetime(2027, 2, 15, 10))
        old_due = old.resolution_due_at
        record, _ = svc.detail(c.ref, session=session)
        assert (record["first_response_due_estimated"], record["resolution_due_estimated"]) == (True, True)
    analytics.build(engine)
    assert _kpis(engine)["overdue_open"] == 1  # due Mon 15 10:00 < 12:00

    with session_scope(engine) as session:
        # Entered: 14 h (4 Feb) + Sun 14 (make-up) + Mon 15 = 62 h, 10 h of Tue 16; first response Sun 14 10:00.
        assert calendar.set_year(2027, ENTRY, session=session, actor="admin1") == 1
    with session_scope(engine, readonly=True) as session:
        c = session.scalar(select(Complaint).where(Complaint.ref == c.ref))
        assert (c.first_response_due_at, c.resolution_due_at) == (datetime(2027, 2, 14, 10), datetime(2027, 2, 16, 10))
        assert session.scalar(select(Complaint.resolution_due_at).where(Complaint.ref == old.ref)) == old_due
        record, _ = svc.detail(c.ref, session=session)
        assert (record["first_response_due_estimated"], record["resolution_due_estimated"]) == (False, False)
        actions = [(a.action, a.entity_id) for a in session.scalars(select(AuditLog).order_by(AuditLog.id))]
        assert ("setting_change", "statutory_calendar") in actions and ("calendar_set", "statutory_calendar:2027") in actions
        recompute = session.scalars(select(AuditLog).where(AuditLog.action == "sla_recompute")).all()[-1]
        assert json.loads(recompute.detail) == {"complaints": 1, "changed": 1, "calendar_year": 2027}
    assert _kpis(engine)["overdue_open"] == 0  # through the mirror, without a rebuild


def test_show_and_the_banner_year(session):
    assert calendar.show(2026, session=session)["source"] == "library"
    assert calendar.show(2027, session=session)["source"] == "estimated"
    assert calendar.unconfirmed_year(date(2026, 12, 1), session=session) == 2027
    assert calendar.unconfirmed_year(date(2026, 10, 31), session=session) is None
    calendar.set_year(2027, ENTRY, session=session, actor="admin1")
    shown = calendar.show(2027, session=session)
    assert shown == {"year": 2027, "source": "override",
                     "holidays": [f"2027-02-{d:02d}" for d in range(5, 13)], "workdays": ["2027-02-14", "2027-02-20"]}
    assert calendar.unconfirmed_year(date(2026, 12, 1), session=session) is None
    assert calendar.unconfirmed_year(date(2027, 11, 1), session=session) == 2028
    # another process's view: entries dropped from memory come back from the settings at the next read
    statutory_calendar.install({})
    assert calendar.show(2027, session=session)["source"] == "override"


def test_bad_entries_are_refused_line_by_line(session):
    with pytest.raises(calendar.CalendarRejected) as caught:
        calendar.parse_text("2027-02-05..2027-02-12\n2027-13-01\n2027-02-12..2027-02-05", "2027-02-14")
    assert [(line, key) for line, key, _ in caught.value.errors] == [(2, "cal_err_date"), (3, "cal_err_range")]
    assert calendar.messages(caught.value, "en")[1] == (
        "Line 2: “2027-13-01” is not a date or a date range (YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD)")
    assert calendar.messages(caught.value, "zh")[1].startswith("第 2 行：")
    with pytest.raises(calendar.CalendarRejected) as caught:
        calendar.set_year(2027, calendar.parse_text("2027-02-05..2027-02-12\n2026-12-31", "2027-02-15\n2027-02-06"),
                          session=session, actor="admin1")
    assert sorted(key for _, key, _ in caught.value.errors) == ["cal_err_both", "cal_err_outside",
                                                                 "cal_err_workday_weekday"]
    assert calendar.show(2027, session=session)["source"] == "estimated"  # nothing stored


def test_a_small_file_with_chinese_headers(session):
    data = "日期,类型\n2027-02-05..2027-02-12,放假\n2027-02-14,上班\n2027-02-20,workday\n".encode()
    entry = calendar.parse_file(data, "2027.csv")
    assert (len(entry.holidays), entry.workdays) == (8, [date(2027, 2, 14), date(2027, 2, 20)])
    with pytest.raises(calendar.CalendarRejected) as caught:
        calendar.parse_file(b"date,kind\n2027-02-05,holiday\n2027-02-31,holiday\n2027-02-14,rest\n", "x.csv")
    assert [(line, key) for line, key, _ in caught.value.errors] == [(3, "cal_err_date"), (4, "cal_err_kind")]
