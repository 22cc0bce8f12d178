"""Issue #28, lifecycle survivors (SPEC §3): a closed complaint is final (no void, no edit), and the
follow-up score (回访评分) is 1–5 — 0 and 6 refused, 1 and 5 accepted. Each refusal names its error
exactly and leaves the complaint, its history and its audit trail as they were."""
from datetime import datetime

import pytest
from sqlalchemy import func, select

from lib.errors import InvalidTransition, ValidationFailed
from lib.models import AuditLog, Complaint, ComplaintEvent
from lib.services import complaints as svc
from tests.fixtures import org

RECEIVED = datetime(2025, 9, 30, 10, 0)


def _new(session):
    p1, _ = org(session)
    return svc.create(svc.NewComplaint(received_at=RECEIVED, channel="hotline", project_id=p1.id,
                                       category="maintenance", responsible=True, severity="ordinary",
                                       description="电梯故障"), session=session, actor="staff1")


def _to(session, c, last: str):
    """Walk the complaint along SPEC §3 up to `last` (resolved, verified or closed)."""
    svc.transition(c.ref, "in_progress", session=session, actor="s", version=None, at=datetime(2025, 9, 30, 11))
    svc.transition(c.ref, "resolved", session=session, actor="s", version=None, at=datetime(2025, 10, 9, 9))
    if last in ("verified", "closed"):
        svc.record_followup(c.ref, 4, session=session, actor="s", version=None, at=datetime(2025, 10, 10, 9))
    if last == "closed":
        svc.transition(c.ref, "closed", session=session, actor="s", version=None, at=datetime(2025, 10, 11, 9))
    assert c.status == last
    return c


def _trail(session, c) -> tuple[int, int]:
    events = session.scalar(select(func.count()).select_from(ComplaintEvent).where(ComplaintEvent.complaint_id == c.id))
    audited = session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.entity_id == c.ref))
    return events, audited


def test_a_closed_complaint_cannot_be_voided(session):
    c = _to(session, _new(session), "closed")
    before = (c.status, c.version, c.void_reason, _trail(session, c))
    with pytest.raises(InvalidTransition) as exc:
        svc.transition(c.ref, "void", session=session, actor="s", version=c.version, reason="重复投诉")
    assert (exc.value.key, exc.value.params) == ("err_transition", {"current": "closed", "target": "void"})
    session.expire_all()
    c = session.scalar(select(Complaint).where(Complaint.ref == c.ref))
    assert (c.status, c.version, c.void_reason, _trail(session, c)) == before


def test_a_verified_complaint_one_step_before_closed_can_still_be_voided(session):
    # The other side of the boundary: void is allowed from every status but closed (and void).
    c = _to(session, _new(session), "verified")
    svc.transition(c.ref, "void", session=session, actor="s", version=c.version, reason="重复投诉")
    assert (c.status, c.void_reason) == ("void", "重复投诉")


@pytest.mark.parametrize("score", [0, 6])
def test_a_followup_score_off_the_1_to_5_scale_is_refused(session, score):
    c = _to(session, _new(session), "resolved")
    before = (c.version, _trail(session, c))
    with pytest.raises(ValidationFailed) as exc:
        svc.record_followup(c.ref, score, session=session, actor="s", version=c.version,
                            at=datetime(2025, 10, 10, 9))
    assert (exc.value.key, exc.value.params) == ("err_fields", {"fields": "followup_score"})
    session.expire_all()
    c = session.scalar(select(Complaint).where(Complaint.ref == c.ref))
    assert (c.status, c.followup_score, c.followup_at) == ("resolved", None, None)
    assert (c.version, _trail(session, c)) == before


@pytest.mark.parametrize("score", [1, 5])
def test_followup_scores_1_and_5_are_accepted_and_verify_the_complaint(session, score):
    c = _to(session, _new(session), "resolved")
    svc.record_followup(c.ref, score, session=session, actor="s", version=c.version, at=datetime(2025, 10, 10, 9))
    session.expire_all()
    c = session.scalar(select(Complaint).where(Complaint.ref == c.ref))
    assert (c.status, c.followup_score, c.followup_at) == ("verified", score, datetime(2025, 10, 10, 9))


def test_a_closed_complaint_cannot_be_edited(session):
    c = _to(session, _new(session), "closed")
    before = (c.description, c.severity, c.resolution_due_at, c.version, _trail(session, c))
    with pytest.raises(InvalidTransition) as exc:
        svc.update(c.ref, {"description": "改过的描述", "severity": "urgent"}, session=session, actor="s",
                   version=c.version)
    assert (exc.value.key, exc.value.params) == ("err_transition", {"current": "closed", "target": "edit"})
    session.expire_all()
    c = session.scalar(select(Complaint).where(Complaint.ref == c.ref))
    assert (c.description, c.severity, c.resolution_due_at, c.version, _trail(session, c)) == before


def test_a_verified_complaint_is_still_editable(session):
    # The boundary's other side: verified (one step before closed) takes an edit, with its history.
    c = _to(session, _new(session), "verified")
    svc.update(c.ref, {"root_cause": "电梯维保不到位"}, session=session, actor="s", version=c.version)
    assert c.root_cause == "电梯维保不到位"
    last = session.scalar(select(ComplaintEvent.action).where(ComplaintEvent.complaint_id == c.id)
                          .order_by(ComplaintEvent.id.desc()).limit(1))
    assert last == "edit"
