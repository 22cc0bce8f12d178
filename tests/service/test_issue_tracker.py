"""The issue tracker: SPEC §6 lifecycle (every allowed and refused move), ownership, overdue, concurrency."""
import itertools
from datetime import date

import pytest
from sqlalchemy import select

from lib.db import session_scope
from lib.errors import Conflict, InvalidTransition, ValidationFailed
from lib.kpis.common import KpiFilter
from lib.models import Employee, ListeningActivity, Supervisor, SupervisorIssue, SupervisorIssueUpdate
from lib.services import issues as svc
from lib.vocab import ISSUE_STATUSES, ISSUE_TRANSITIONS
from tests.fixtures import org

RAISED = date(2025, 3, 3)


def _supervisors(session):
    p1, p2 = org(session)
    s1 = Supervisor(supervisor_no="S1", name="王一", project_id=p2.id, term=3, joined_on=date(2024, 1, 1),
                    phone="13800000001")
    s2 = Supervisor(supervisor_no="S2", name="王二", project_id=p1.id, term=3, joined_on=date(2024, 1, 1))
    session.add_all([s1, s2])
    session.flush()
    return s1, s2


def _issue(session, owner="staff1", **kw):
    s1, s2 = _supervisors(session)
    data = svc.NewIssue(raised_on=RAISED, supervisor_ids=[s1.id, s2.id], category="delivery",
                        description="学校入学问题", responsible_party="third_party", first_responder=owner, **kw)
    return svc.create(data, session=session, actor="staff1")


def test_create_takes_the_first_raisers_project_and_the_default_due_date(session):
    issue = _issue(session)
    assert issue.ref == "JD202500001" and issue.status == "open"
    assert issue.due_on == date(2025, 3, 18)  # raised + 15 days (admin setting default)
    record, raisers, updates = svc.detail(issue.ref, session=session)
    assert record["project"] == "广州华府"  # S1's project, the first raiser
    assert list(raisers["supervisor_no"]) == ["S1", "S2"]
    assert list(updates["action"]) == ["create"]


PATH = ["acknowledged", "in_progress", "resolved", "feedback_given", "closed"]


def _walk_to(session, issue, status):
    for step in PATH[:PATH.index(status) + 1] if status != "open" else []:
        svc.transition(issue.ref, step, session=session, actor="staff1", role="staff", version=None,
                       on=date(2025, 3, 10), told="已电话告知监督员" if step == "feedback_given" else None)


@pytest.mark.parametrize(("start", "target"), list(itertools.product(list(ISSUE_STATUSES), list(ISSUE_STATUSES))))
def test_every_move_is_allowed_or_refused_exactly_as_spec(session, start, target):
    issue = _issue(session)
    _walk_to(session, issue, start)
    assert issue.status == start
    if target in ISSUE_TRANSITIONS[start]:
        svc.transition(issue.ref, target, session=session, actor="staff1", role="staff", version=issue.version,
                       on=date(2025, 3, 12), told="已反馈", feedback_score=4)
        assert issue.status == target
    else:
        version = issue.version
        with pytest.raises(InvalidTransition) as exc:
            svc.transition(issue.ref, target, session=session, actor="staff1", role="staff", version=version,
                           told="x")
        assert exc.value.params == {"current": start, "target": target}
        assert (issue.status, issue.version) == (start, version)


def test_reopen_clears_resolution_and_closing_keeps_the_score(session):
    issue = _issue(session)
    _walk_to(session, issue, "resolved")
    assert issue.resolved_on == date(2025, 3, 10)
    svc.transition(issue.ref, "in_progress", session=session, actor="staff1", role="staff", version=None)
    assert (issue.status, issue.resolved_on) == ("in_progress", None)
    svc.transition(issue.ref, "resolved", session=session, actor="staff1", role="staff", version=None,
                   on=date(2025, 3, 20))
    svc.transition(issue.ref, "feedback_given", session=session, actor="staff1", role="staff", version=None,
                   on=date(2025, 3, 20), told="已向监督员说明处理结果")
    with pytest.raises(ValidationFailed):
        svc.transition(issue.ref, "closed", session=session, actor="staff1", role="staff", version=None,
                       feedback_score=7)
    svc.transition(issue.ref, "closed", session=session, actor="staff1", role="staff", version=None,
                   on=date(2025, 3, 21), feedback_score=5)
    assert (issue.closed_on, issue.feedback_score) == (date(2025, 3, 21), 5)
    told = session.scalars(select(SupervisorIssueUpdate.told_supervisor).where(
        SupervisorIssueUpdate.told_supervisor.is_not(None))).all()
    assert told == ["已向监督员说明处理结果"]
    actions = session.scalars(select(SupervisorIssueUpdate.action).order_by(SupervisorIssueUpdate.id)).all()
    assert actions == ["create", "acknowledged", "in_progress", "resolved", "reopen", "resolved",
                       "feedback_given", "closed"]


def test_feedback_needs_what_the_supervisor_was_told(session):
    issue = _issue(session)
    _walk_to(session, issue, "resolved")
    with pytest.raises(ValidationFailed):
        svc.transition(issue.ref, "feedback_given", session=session, actor="staff1", role="staff", version=None,
                       told="  ")


def test_first_responder_owns_the_issue_to_closure(session):
    issue = _issue(session, owner=None)
    svc.transition(issue.ref, "acknowledged", session=session, actor="staff2", role="staff", version=None)
    assert issue.first_responder == "staff2"  # whoever takes it first owns it
    with pytest.raises(ValidationFailed) as exc:
        svc.transition(issue.ref, "in_progress", session=session, actor="staff1", role="staff", version=None)
    assert exc.value.params == {"owner": "staff2"}
    svc.add_update(issue.ref, session=session, actor="staff1", version=None, note="协助联系教育局")  # others may note
    svc.transition(issue.ref, "in_progress", session=session, actor="admin1", role="admin", version=None)
    assert issue.first_responder == "staff2"  # an admin may act without taking ownership
    svc.reassign(issue.ref, "staff1", session=session, actor="staff2", role="staff", version=None)
    assert issue.first_responder == "staff1"


def test_overdue_and_board_views(session):
    issue = _issue(session)
    flt = KpiFilter(date(2025, 1, 1), date(2025, 12, 31))
    overdue = svc.list_frame(flt, session=session, overdue_only=True, today=date(2025, 3, 19))
    assert list(overdue["ref"]) == [issue.ref]  # due 18 Mar, still open on the 19th
    assert svc.list_frame(flt, session=session, overdue_only=True, today=date(2025, 3, 18)).empty
    assert svc.board(flt, session=session) == {"open": 1}
    _walk_to(session, issue, "resolved")
    assert svc.list_frame(flt, session=session, overdue_only=True, today=date(2025, 4, 30)).empty
    assert list(svc.list_frame(flt, session=session, owner="staff1")["ref"]) == [issue.ref]
    assert svc.list_frame(flt, session=session, owner="nobody").empty
    assert svc.list_frame(flt, session=session, search="入学")["ref"].tolist() == [issue.ref]


def test_listening_finding_becomes_an_item_in_the_same_tracker(session):
    org(session)
    from lib.models import Company
    company = session.scalar(select(Company))
    emp = Employee(employee_no="E1", name="张三", company_id=company.id, department="客服部", is_management=False,
                   joined_on=date(2020, 1, 1))
    session.add(emp)
    session.flush()
    act = ListeningActivity(employee_id=emp.id, activity_date=date(2025, 3, 1), activity_type="visit_customer",
                            finding="地库照明不足")
    session.add(act)
    session.flush()
    item = svc.raise_from_finding(act.id, session=session, actor="staff1", first_responder="staff1",
                                  category="property_service", responsible_party="property")
    assert (item.source, item.description, act.issue_id) == ("listening", "地库照明不足", item.id)
    assert item.ref.startswith("GS")
    with pytest.raises(ValidationFailed):  # not twice
        svc.raise_from_finding(act.id, session=session, actor="staff1", first_responder="staff1",
                               category="other", responsible_party="property")
    record, raisers, _ = svc.detail(item.ref, session=session)
    assert (record["found_by"], record["company"], len(raisers)) == ("张三", "A公司", 0)


def test_two_staff_editing_at_once_the_second_is_refused_and_the_first_kept(engine):
    with session_scope(engine) as s:
        ref = _issue(s).ref
    # Both open the issue's form (a read each, as the page does), then save one after the other.
    with session_scope(engine, readonly=True) as a_form, session_scope(engine, readonly=True) as b_form:
        seen_a = a_form.scalar(select(SupervisorIssue).where(SupervisorIssue.ref == ref)).version
        seen_b = b_form.scalar(select(SupervisorIssue).where(SupervisorIssue.ref == ref)).version
    with session_scope(engine) as a:
        svc.transition(ref, "acknowledged", session=a, actor="staff1", role="staff", version=seen_a,
                       note="已受理")
    with session_scope(engine) as b, pytest.raises(Conflict):
        svc.add_update(ref, session=b, actor="staff2", version=seen_b, note="我也在处理")
    with session_scope(engine) as s:
        issue = s.scalar(select(SupervisorIssue).where(SupervisorIssue.ref == ref))
        assert issue.status == "acknowledged"
        notes = s.scalars(select(SupervisorIssueUpdate.note).where(SupervisorIssueUpdate.note.is_not(None))).all()
        assert notes == ["已受理"]
