"""Working one complaint: the SPEC §3 lifecycle, refused moves, history, audit and the optimistic lock."""
import json
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from lib.errors import Conflict, InvalidTransition, ValidationFailed
from lib.kpis.common import KpiFilter
from lib.models import AuditLog, Complaint, ComplaintEvent
from lib.services import complaints as svc
from lib.services import settings
from tests.fixtures import org

RECEIVED = datetime(2025, 9, 30, 10, 0)  # Tuesday before the 2025 National Day holiday


def _new(session, **overrides):
    p1, _ = org(session)
    data = svc.NewComplaint(received_at=RECEIVED, channel="hotline", project_id=p1.id, category="maintenance",
                            responsible=True, severity="ordinary", description="电梯故障",
                            complainant_name="张三", complainant_phone="13812345678")
    for key, value in overrides.items():
        setattr(data, key, value)
    return svc.create(data, session=session, actor="staff1")


def test_create_fills_ref_business_line_and_holiday_aware_due_times(session):
    c = _new(session)
    assert c.ref == "TS202509300001"
    assert (c.status, c.business_line) == ("received", "property_management")
    # 24 working hours from Tue 30 Sep 10:00: the rest of 30 Sep is 14 h; 1–8 Oct are holidays;
    # 9 Oct is a working day, so due at 9 Oct 10:00. 7 working days: 30 Sep (14 h) + 9,10,11(Sat make-up),
    # 13, 14, 15 Oct (6 × 24 h) + 10 h of 16 Oct → 16 Oct 10:00.
    assert c.first_response_due_at == datetime(2025, 10, 9, 10, 0)
    assert c.resolution_due_at == datetime(2025, 10, 16, 10, 0)
    assert _new_second_ref(session) == "TS202509300002"


def _new_second_ref(session):
    return svc.next_ref(session, RECEIVED)


@pytest.mark.parametrize(("field", "value"), [("channel", "fax"), ("description", "  "),
                                              ("severity", None), ("complainant_phone", "abc")])
def test_invalid_form_values_are_refused(session, field, value):
    with pytest.raises(ValidationFailed) as exc:
        _new(session, **{field: value})
    assert field in exc.value.params["fields"]
    assert session.scalar(select(func.count()).select_from(Complaint)) == 0


def test_full_lifecycle_with_reopen_and_history(session):
    c = _new(session)
    svc.record_first_response(c.ref, session=session, actor="staff1", version=c.version,
                              at=datetime(2025, 9, 30, 11))
    assert c.status == "in_progress"
    svc.transition(c.ref, "resolved", session=session, actor="staff1", version=c.version,
                   at=datetime(2025, 10, 9, 9))
    svc.transition(c.ref, "in_progress", session=session, actor="staff2", version=c.version,
                   note="业主反馈仍有问题")
    assert (c.status, c.reopen_count, c.resolved_at) == ("in_progress", 1, None)
    svc.transition(c.ref, "resolved", session=session, actor="staff1", version=c.version,
                   at=datetime(2025, 10, 10, 9))
    svc.record_followup(c.ref, 5, session=session, actor="staff1", version=c.version,
                        at=datetime(2025, 10, 11, 9))
    svc.transition(c.ref, "closed", session=session, actor="staff1", version=c.version,
                   at=datetime(2025, 10, 12, 9))
    assert (c.status, c.followup_score, c.closed_at) == ("closed", 5, datetime(2025, 10, 12, 9))
    actions = list(session.scalars(select(ComplaintEvent.action).order_by(ComplaintEvent.id)))
    assert actions == ["create", "first_response", "resolved", "reopen", "resolved", "followup", "closed"]
    reopen = session.scalar(select(ComplaintEvent).where(ComplaintEvent.action == "reopen"))
    assert reopen.actor == "staff2" and json.loads(reopen.changes)["reopen_count"] == ["0", "1"]
    audited = session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.entity == "complaint", AuditLog.entity_id == c.ref))
    assert audited == 7


@pytest.mark.parametrize(("path", "refused"), [
    ([], "resolved"),                     # received → resolved skips handling
    ([], "closed"),
    (["in_progress"], "verified"),
    (["in_progress", "resolved", "verified", "closed"], "in_progress"),   # closed is final
    (["void"], "in_progress"),
])
def test_refused_moves_name_both_statuses_and_change_nothing(session, path, refused):
    c = _new(session)
    for step in path:
        if step == "verified":
            svc.record_followup(c.ref, 4, session=session, actor="s", version=None)
        else:
            svc.transition(c.ref, step, session=session, actor="s", version=None, reason="重复投诉")
    before = (c.status, c.version)
    with pytest.raises(InvalidTransition) as exc:
        svc.transition(c.ref, refused, session=session, actor="s", version=None, reason="x")
    assert exc.value.params == {"current": before[0], "target": refused}
    assert (c.status, c.version) == before


def test_void_needs_a_reason_and_leaves_the_kpis(session):
    c = _new(session)
    with pytest.raises(ValidationFailed):
        svc.transition(c.ref, "void", session=session, actor="s", version=c.version, reason=" ")
    svc.transition(c.ref, "void", session=session, actor="s", version=c.version, reason="重复投诉")
    assert (c.status, c.void_reason) == ("void", "重复投诉")
    flt = KpiFilter(date(2025, 9, 1), date(2025, 9, 30))
    assert svc.list_frame(flt, session=session).empty
    assert len(svc.list_frame(flt, session=session, include_void=True)) == 1


def test_stale_version_is_a_conflict(session):
    c = _new(session)
    seen = c.version
    svc.escalate(c.ref, 1, session=session, actor="staff1", version=seen)
    with pytest.raises(Conflict):
        svc.transition(c.ref, "in_progress", session=session, actor="staff2", version=seen)
    assert c.status == "received"
    with pytest.raises(InvalidTransition):  # escalation only goes up
        svc.escalate(c.ref, 1, session=session, actor="staff1", version=c.version)


def test_severity_change_and_sla_settings_change_recompute_due_times(session):
    c = _new(session)
    svc.update(c.ref, {"severity": "urgent"}, session=session, actor="s", version=c.version)
    assert (c.first_response_due_at, c.resolution_due_at) == (datetime(2025, 9, 30, 12), datetime(2025, 10, 1, 10))
    settings.put("sla", {**settings.get("sla", session=session), "first_response_urgent_calendar_hours": 1},
                 session=session, actor="admin1")
    assert svc.recompute_due_times(session=session, actor="admin1") == 1
    session.refresh(c)
    assert c.first_response_due_at == datetime(2025, 9, 30, 11)


def test_search_ageing_and_detail(session):
    c = _new(session)
    flt = KpiFilter(date(2025, 9, 1), date(2025, 9, 30))
    assert list(svc.list_frame(flt, session=session, search="电梯")["ref"]) == [c.ref]
    assert svc.list_frame(flt, session=session, search="漏水").empty
    ages = svc.ageing(flt, session=session, now=datetime(2025, 10, 5, 10))  # 5 days old
    assert dict(zip(ages["bucket"], ages["count"], strict=True))["3-7"] == 1
    record, events = svc.detail(c.ref, session=session)
    assert record["project"] == "深圳花园" and list(events["action"]) == ["create"]
