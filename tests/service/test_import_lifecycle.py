"""Re-imports (security report item 8): a column the file leaves out keeps the stored value, for
every kind; a status change by import follows SPEC §3/§6 (a refused move is a row error, a reopen
is counted and recorded). Through `registry.import_file`, as the page widget and the CLI call it."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from lib.db import session_scope
from lib.imports import registry
from lib.imports.reader import ImportRejected
from lib.models import (
    Complaint,
    ComplaintEvent,
    Employee,
    Supervisor,
    SupervisorIssue,
    SupervisorIssueUpdate,
    SurveyResponse,
)

FULL = ("ref,received_at,channel,company,city,project,category,severity,responsible,status,description,"
        "complainant_name,complainant_phone,first_response_at,resolved_at,root_cause\n"
        "T1,2025-09-01 10:00,hotline,A公司,深圳,深圳花园,maintenance,urgent,yes,resolved,厨房漏水,张三,13800138000,"
        "2025-09-01 11:00,2025-09-02 10:00,管道老化\n")
REQUIRED = "ref,received_at,channel,company,city,project\nT1,2025-09-01 10:00,hotline,A公司,深圳,深圳花园\n"


def _import(engine, kind: str, text: str):
    with session_scope(engine) as session:
        return registry.import_file(kind, text.encode(), f"{kind}.csv", session=session, actor="t")


def _refused(engine, kind: str, text: str) -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        _import(engine, kind, text)
    return caught.value


def _complaint(engine) -> tuple[Complaint, list[str]]:
    with session_scope(engine, readonly=True) as session:
        c = session.scalar(select(Complaint).where(Complaint.ref == "T1"))
        events = list(session.scalars(select(ComplaintEvent.action).where(ComplaintEvent.complaint_id == c.id)
                                      .order_by(ComplaintEvent.id)))
        return c, events


def test_a_reimport_with_only_the_required_columns_changes_nothing(engine):
    assert _import(engine, "complaints", FULL).inserted == 1
    before, _ = _complaint(engine)
    result = _import(engine, "complaints", REQUIRED)
    assert (result.inserted, result.updated, result.unchanged) == (0, 0, 1)
    after, events = _complaint(engine)
    for name in ("description", "complainant_name", "complainant_phone", "status", "category", "severity",
                 "resolved_at", "first_response_at", "root_cause", "reopen_count", "resolution_due_at"):
        assert getattr(after, name) == getattr(before, name), name
    assert (after.description, after.complainant_phone, after.status) == ("厨房漏水", "13800138000", "resolved")
    assert events == ["import"]


def test_a_present_column_still_updates_and_blank_defaults_do_not_reset(engine):
    _import(engine, "complaints", FULL)
    result = _import(engine, "complaints", "ref,received_at,channel,company,city,project,description,status,category\n"
                                           "T1,2025-09-01 10:00,hotline,A公司,深圳,深圳花园,厨房和卫生间漏水,,\n")
    assert result.updated == 1
    after, events = _complaint(engine)
    assert (after.description, after.status, after.category, after.complainant_name) == (
        "厨房和卫生间漏水", "resolved", "maintenance", "张三")
    assert events == ["import", "import_update"]


def test_moving_a_resolved_complaint_back_to_received_is_a_row_error_and_writes_nothing(engine):
    _import(engine, "complaints", FULL)
    exc = _refused(engine, "complaints", "ref,received_at,channel,company,city,project,status,description\n"
                                         "T1,2025-09-01 10:00,hotline,A公司,深圳,深圳花园,received,改掉\n")
    assert [(e.row, e.column, e.value, e.reason_en) for e in exc.errors] == [
        (2, "status", "received", "status cannot move from resolved to received")]
    assert exc.errors[0].reason_zh == "状态不能从“已解决”改为“已受理”"
    after, events = _complaint(engine)
    assert (after.status, after.description, events) == ("resolved", "厨房漏水", ["import"])


def test_a_reopen_by_import_counts_and_is_recorded_as_a_reopen(engine):
    _import(engine, "complaints", FULL)
    result = _import(engine, "complaints", "ref,received_at,channel,company,city,project,status\n"
                                           "T1,2025-09-01 10:00,hotline,A公司,深圳,深圳花园,in_progress\n")
    assert result.updated == 1
    after, events = _complaint(engine)
    assert (after.status, after.reopen_count, after.resolved_at) == ("in_progress", 1, None)
    assert events == ["import", "reopen"]
    assert after.description == "厨房漏水"


def test_a_status_may_move_on_by_several_allowed_steps(engine):
    _import(engine, "complaints", REQUIRED)
    assert _complaint(engine)[0].status == "received"
    exc = _refused(engine, "complaints", "ref,received_at,channel,company,city,project,status\n"
                                         "T1,2025-09-01 10:00,hotline,A公司,深圳,深圳花园,resolved\n")
    assert [(e.column, e.reason_en) for e in exc.errors] == [("resolved_at", "a resolved complaint needs resolved_at")]
    _import(engine, "complaints", "ref,received_at,channel,company,city,project,status,resolved_at\n"
                                  "T1,2025-09-01 10:00,hotline,A公司,深圳,深圳花园,resolved,2025-09-03 09:00\n")
    after, _ = _complaint(engine)
    assert (after.status, after.resolved_at, after.reopen_count) == ("resolved", datetime(2025, 9, 3, 9), 0)


def test_other_kinds_keep_what_a_file_leaves_out(engine):
    _import(engine, "employees", "employee_no,name,company,department,is_management,joined_on,left_on\n"
                                 "E1,王五,A公司,客服部,是,2020-01-01,2025-06-30\n")
    _import(engine, "employees", "employee_no,name,company,department,is_management,joined_on\n"
                                 "E1,王五,A公司,客服部,是,2020-01-01\n")
    _import(engine, "supervisors", "supervisor_no,name,company,city,project,term,joined_on,phone,left_on\n"
                                   "S1,李四,A公司,深圳,深圳花园,3,2024-01-01,13900139000,2025-12-31\n")
    _import(engine, "supervisors", "supervisor_no,name,company,city,project,term,joined_on\n"
                                   "S1,李四,A公司,深圳,深圳花园,3,2024-01-01\n")
    survey = "respondent_key,surveyed_on,company,city,project,touchpoint,scale,overall"
    _import(engine, "survey", f"{survey},maintenance,recommend\nk1,2025-03-01,A公司,深圳,深圳花园,delivery_1m,5,4,3,9\n")
    _import(engine, "survey", f"{survey}\nk1,2025-03-01,A公司,深圳,深圳花园,delivery_1m,5,5\n")
    with session_scope(engine, readonly=True) as session:
        assert session.scalar(select(Employee.left_on)) == date(2025, 6, 30)
        assert session.scalar(select(Supervisor.phone)) == "13900139000"
        assert session.scalar(select(Supervisor.left_on)) == date(2025, 12, 31)
        answer = session.scalar(select(SurveyResponse))
        assert (answer.overall, answer.maintenance, answer.recommend) == (5, 3, 9)


ISSUE = "ref,raised_on,supervisor_no,category,description,responsible_party"


def test_issue_reimports_keep_absent_columns_and_follow_the_issue_flow(engine):
    _import(engine, "supervisors", "supervisor_no,name,company,city,project,term,joined_on\n"
                                   "S1,李四,A公司,深圳,深圳花园,3,2024-01-01\n")
    _import(engine, "supervisor_issues", f"{ISSUE},status,first_responder,resolved_on,feedback_score\n"
                                         "J1,2025-05-01,S1,maintenance,路灯不亮,property,resolved,staff1,2025-05-03,4\n")
    assert _import(engine, "supervisor_issues", f"{ISSUE}\nJ1,2025-05-01,S1,maintenance,路灯不亮,property\n").unchanged == 1
    exc = _refused(engine, "supervisor_issues", f"{ISSUE},status\nJ1,2025-05-01,S1,maintenance,路灯不亮,property,open\n")
    assert [(e.row, e.column, e.reason_en) for e in exc.errors] == [(2, "status", "status cannot move from resolved to open")]
    _import(engine, "supervisor_issues", f"{ISSUE},status\nJ1,2025-05-01,S1,maintenance,路灯不亮,property,in_progress\n")
    with session_scope(engine, readonly=True) as session:
        issue = session.scalar(select(SupervisorIssue))
        assert (issue.status, issue.first_responder, issue.feedback_score, issue.resolved_on) == (
            "in_progress", "staff1", 4, None)
        assert list(session.scalars(select(SupervisorIssueUpdate.action).order_by(SupervisorIssueUpdate.id))) == [
            "import", "reopen"]
