"""Working one complaint (lib.services.complaints): rules the mutation run (scripts/mutate.py) found
unheld. Due times worked by hand on the 2025 calendar (1–8 Oct National Day, Sat 11 Oct a make-up day)."""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import update as sql_update

from lib.db import local_now
from lib.errors import InvalidTransition, ValidationFailed
from lib.kpis.common import KpiFilter
from lib.models import Complaint
from lib.services import complaints as svc
from tests.fixtures import org

RECEIVED = datetime(2025, 9, 30, 10, 0)  # Tuesday before the 2025 National Day holiday
SEPT = KpiFilter(date(2025, 9, 1), date(2025, 9, 30))


def _new(session, **overrides):
    p1, _ = org(session)
    data = svc.NewComplaint(received_at=RECEIVED, channel="hotline", project_id=p1.id, category="maintenance",
                            responsible=True, severity="ordinary", description="电梯故障")
    for key, value in overrides.items():
        setattr(data, key, value)
    return svc.create(data, session=session, actor="staff1")


def _resolved(session):
    c = _new(session)
    svc.record_first_response(c.ref, session=session, actor="s", version=None, at=RECEIVED + timedelta(hours=1))
    svc.transition(c.ref, "resolved", session=session, actor="s", version=None, at=datetime(2025, 10, 9, 15))
    return c


def test_a_first_response_before_receipt_is_refused_even_on_the_same_day(session):
    c = _new(session)
    with pytest.raises(ValidationFailed):
        svc.record_first_response(c.ref, session=session, actor="s", version=None, at=RECEIVED - timedelta(hours=1))
    svc.record_first_response(c.ref, session=session, actor="s", version=None, at=RECEIVED)  # at receipt: fine
    assert (c.status, c.first_response_at) == ("in_progress", RECEIVED)


def test_starting_work_keeps_a_first_response_already_recorded(session):
    c = _new(session)
    earlier = RECEIVED + timedelta(minutes=30)  # e.g. brought by an import while still "received"
    session.execute(sql_update(Complaint).where(Complaint.id == c.id).values(first_response_at=earlier))
    session.refresh(c)
    svc.transition(c.ref, "in_progress", session=session, actor="s", version=None, at=RECEIVED + timedelta(hours=5))
    assert c.first_response_at == earlier


def test_verified_needs_the_follow_up_call_and_a_first_response_needs_an_open_complaint(session):
    c = _resolved(session)
    with pytest.raises(ValidationFailed) as refused:
        svc.transition(c.ref, "verified", session=session, actor="s", version=None)
    assert refused.value.key == "err_followup_first"
    with pytest.raises(InvalidTransition):
        svc.record_first_response(c.ref, session=session, actor="s", version=None, at=datetime(2025, 10, 10))
    assert c.status == "resolved"


def test_a_follow_up_before_the_resolution_is_refused(session):
    c = _resolved(session)  # resolved 9 Oct 15:00
    with pytest.raises(ValidationFailed):
        svc.record_followup(c.ref, 4, session=session, actor="s", version=None, at=datetime(2025, 10, 9, 14))
    svc.record_followup(c.ref, 4, session=session, actor="s", version=None, at=datetime(2025, 10, 9, 15))
    assert (c.status, c.followup_score) == ("verified", 4)


def test_a_change_of_responsibility_alone_recomputes_the_resolution_due_time(session):
    # Non-responsible: 3 working days (setting), ordinary 7. From Tue 30 Sep 10:00: 14 h of 30 Sep +
    # 9 Oct + 10 Oct (48 h) + 10 h of Sat 11 Oct (make-up day) = 72 h → 11 Oct 10:00.
    svc.change_sla({"resolution_non_responsible_working_days": 3}, session=session, actor="admin1")
    c = _new(session)
    assert c.resolution_due_at == datetime(2025, 10, 16, 10)  # ordinary: 7 working days
    svc.update(c.ref, {"responsible": False}, session=session, actor="s", version=None)
    assert c.resolution_due_at == datetime(2025, 10, 11, 10)


@pytest.mark.parametrize("value", [0, 721, -1])
def test_sla_targets_outside_0_to_720_are_refused(session, value):
    with pytest.raises(ValidationFailed):
        svc.change_sla({"resolution_ordinary_working_days": value}, session=session, actor="admin1")


def test_an_sla_target_of_720_is_the_largest_accepted(session):
    assert svc.change_sla({"first_response_working_hours": 720}, session=session, actor="admin1") == 0


def test_a_responsible_complaints_severity_cannot_be_blanked(session):
    c = _new(session)
    with pytest.raises(ValidationFailed):
        svc.update(c.ref, {"severity": ""}, session=session, actor="s", version=None)
    assert c.severity == "ordinary"


def test_a_complaint_received_in_the_future_is_refused(session):
    with pytest.raises(ValidationFailed):
        _new(session, received_at=local_now() + timedelta(hours=2))


def test_ageing_buckets_hold_their_upper_bound(session):
    _new(session)
    # exactly 1 day old: still "0-1"; exactly 3 days: "1-3"
    one = svc.ageing(SEPT, session=session, now=RECEIVED + timedelta(days=1))
    assert dict(zip(one["bucket"], one["count"], strict=True))["0-1"] == 1
    three = svc.ageing(SEPT, session=session, now=RECEIVED + timedelta(days=3))
    assert dict(zip(three["bucket"], three["count"], strict=True))["1-3"] == 1


def test_overdue_only_lists_open_complaints_past_their_resolution_due_time(session):
    c = _new(session)
    now = local_now()
    # first response long overdue, resolution due in 10 days: not overdue
    session.execute(sql_update(Complaint).where(Complaint.id == c.id).values(
        first_response_due_at=now - timedelta(days=1), resolution_due_at=now + timedelta(days=10)))
    assert svc.list_frame(SEPT, session=session, overdue_only=True).empty
    session.execute(sql_update(Complaint).where(Complaint.id == c.id).values(resolution_due_at=now - timedelta(hours=1)))
    assert list(svc.list_frame(SEPT, session=session, overdue_only=True)["ref"]) == [c.ref]
