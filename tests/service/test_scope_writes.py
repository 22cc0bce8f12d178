"""SPEC §11: every write limited to the writer's scope — forms, lifecycle moves, supervisor issues and
their first responder, listening and supervision activities, imports (a file with one row outside the
scope is refused whole, the row named) — and escalation handing a complaint to HQ's queue.

The organisation (hand-built): 深圳公司 (华南) with 深圳花园 and 深圳湾, 广州公司 (华南) with 广州华府,
上海公司 (华东) with 上海苑. `sz` is staff scoped to company:深圳公司, `garden` to the project
深圳公司/深圳花园 only, `gz` to company:广州公司, `hq` is group staff.
"""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from lib import scope
from lib.errors import ValidationFailed
from lib.imports.reader import ImportRejected
from lib.imports.registry import import_file
from lib.kpis.common import KpiFilter
from lib.models import (
    AuditLog,
    Company,
    Complaint,
    ComplaintEvent,
    Employee,
    ListeningActivity,
    Project,
    SupervisionActivity,
    Supervisor,
    SupervisorIssue,
    SupervisorIssueUpdate,
)
from lib.services import complaints, issues, listening, supervision, users
from lib.vocab import normalise_text
from tests.fixtures import complaint

PASSWORD = "pass-word-1234"


def build_org(session) -> dict:
    """The organisation above, two complaints per company, one supervisor, employee and issue each."""
    made = {}
    for name, city, region, projects in (("深圳公司", "深圳", "华南", ("深圳花园", "深圳湾")),
                                         ("广州公司", "广州", "华南", ("广州华府",)),
                                         ("上海公司", "上海", "华东", ("上海苑",))):
        company = Company(name=name, city=city, region=region)
        session.add(company)
        session.flush()
        made[name] = company
        for project in projects:
            p = Project(company_id=company.id, name=project, name_norm=normalise_text(project), city=city,
                        business_line="property_management")
            session.add(p)
            session.flush()
            made[project] = p
    complaint(session, made["深圳花园"], "SZ1", datetime(2025, 3, 3, 9), "hotline", "ordinary", True, "received")
    complaint(session, made["深圳湾"], "SZ2", datetime(2025, 3, 4, 9), "hotline", "ordinary", True, "resolved",
              first_response_at=datetime(2025, 3, 4, 10), resolved_at=datetime(2025, 3, 5, 9))
    complaint(session, made["广州华府"], "GZ1", datetime(2025, 3, 5, 9), "hotline", "ordinary", True, "received")
    complaint(session, made["广州华府"], "GZ2", datetime(2025, 3, 6, 9), "hotline", "ordinary", True, "resolved",
              first_response_at=datetime(2025, 3, 6, 10), resolved_at=datetime(2025, 3, 7, 9))
    complaint(session, made["上海苑"], "SH1", datetime(2025, 3, 7, 9), "forum", "ordinary", True, "received")
    for no, project in (("S-SZ", "深圳花园"), ("S-GZ", "广州华府")):
        made[no] = Supervisor(supervisor_no=no, name=no, project_id=made[project].id, term=1,
                              joined_on=date(2024, 1, 1))
        session.add(made[no])
    for no, company in (("E-SZ", "深圳公司"), ("E-GZ", "广州公司")):
        made[no] = Employee(employee_no=no, name=no, company_id=made[company].id, department="客服部",
                            is_management=False, joined_on=date(2020, 1, 1))
        session.add(made[no])
    session.flush()
    for ref, project in (("JD-SZ", "深圳花园"), ("JD-GZ", "广州华府")):
        session.add(SupervisorIssue(ref=ref, raised_on=date(2025, 3, 1), project_id=made[project].id,
                                    category="delivery", description="x", responsible_party="property",
                                    first_responder=None, due_on=date(2025, 3, 20), status="open"))
    for no in ("E-SZ", "E-GZ"):
        session.add(ListeningActivity(employee_id=made[no].id, activity_date=date(2025, 3, 2),
                                      activity_type="visit_customer", finding=f"{no} 的发现"))
    for username, entries in (("sz", ["company:深圳公司"]), ("garden", ["project:深圳公司/深圳花园"]),
                              ("gz", ["company:广州公司"]), ("hq", ["group"])):
        users.add_user(session=session, username=username, role="staff", name=username, password=PASSWORD,
                       scope=scope.parse(entries))
    users.add_user(session=session, username="boss", role="executive", name="boss", password=PASSWORD)
    session.flush()
    return made


def reach_of(session, username: str) -> scope.Reach:
    return scope.reach(users.get_user(session=session, username=username).scope, session=session)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch):
    """The accounts' passwords are never checked here: bcrypt's cheapest cost, not 12 rounds per user."""
    import bcrypt

    monkeypatch.setattr(users, "hash_password",
                        lambda password: bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode())


@pytest.fixture
def org(session):
    return build_org(session)


def _refused(key: str, call) -> scope.OutOfScope:
    with pytest.raises(scope.OutOfScope) as caught:
        call()
    assert caught.value.key == key
    return caught.value


# ---- complaints -----------------------------------------------------------------------------

def _new(project_id: int) -> complaints.NewComplaint:
    return complaints.NewComplaint(received_at=datetime(2025, 3, 10, 9), channel="hotline", project_id=project_id,
                                   category="maintenance", responsible=True, severity="ordinary", description="漏水")


def test_complaint_create_outside_scope_is_refused_and_writes_nothing(session, org):
    sz = reach_of(session, "sz")
    before = (count(session, Complaint), count(session, ComplaintEvent), count(session, AuditLog))
    _refused("err_write_out_of_scope", lambda: complaints.create(_new(org["广州华府"].id), session=session,
                                                                  actor="sz", reach=sz))
    # a project-scoped user may not log a complaint of the other project of its own company
    _refused("err_write_out_of_scope", lambda: complaints.create(_new(org["深圳湾"].id), session=session,
                                                                  actor="garden", reach=reach_of(session, "garden")))
    assert (count(session, Complaint), count(session, ComplaintEvent), count(session, AuditLog)) == before
    made = complaints.create(_new(org["深圳湾"].id), session=session, actor="sz", reach=sz)
    assert made.project_id == org["深圳湾"].id
    # the group (and no reach at all: the command line) may write anywhere
    complaints.create(_new(org["上海苑"].id), session=session, actor="hq", reach=reach_of(session, "hq"))
    assert count(session, Complaint) == before[0] + 2


@pytest.mark.parametrize("move", ["transition", "first_response", "followup", "escalate", "update"])
def test_every_complaint_move_outside_scope_is_refused(session, org, move):
    sz = reach_of(session, "sz")
    calls = {
        "transition": lambda ref: complaints.transition(ref, "in_progress", session=session, actor="sz", version=None,
                                                        reach=sz),
        "first_response": lambda ref: complaints.record_first_response(ref, session=session, actor="sz", version=None,
                                                                       reach=sz),
        "followup": lambda ref: complaints.record_followup(ref, 5, session=session, actor="sz", version=None, reach=sz),
        "escalate": lambda ref: complaints.escalate(ref, 1, session=session, actor="sz", version=None, reach=sz),
        "update": lambda ref: complaints.update(ref, {"root_cause": "管道老化"}, session=session, actor="sz",
                                                version=None, reach=sz),
    }
    target = "GZ2" if move == "followup" else "GZ1"
    stored = session.scalar(select(Complaint).where(Complaint.ref == target))
    seen = (stored.status, stored.version, stored.escalation_level, stored.root_cause, stored.first_response_at)
    before = (count(session, ComplaintEvent), count(session, AuditLog))
    error = _refused("err_record_out_of_scope", lambda: calls[move](target))
    assert error.params == {"ref": target}
    session.expire_all()
    stored = session.scalar(select(Complaint).where(Complaint.ref == target))
    assert (stored.status, stored.version, stored.escalation_level, stored.root_cause,
            stored.first_response_at) == seen
    assert (count(session, ComplaintEvent), count(session, AuditLog)) == before
    # the same move on the company's own complaint goes through
    calls[move]("SZ2" if move == "followup" else "SZ1")
    assert count(session, ComplaintEvent) == before[0] + 1


# ---- escalation as a hand-over ----------------------------------------------------------------

def _refs(session, flt: KpiFilter, level: int | None = None) -> set[str]:
    extra = None if level is None else complaints.queue_conditions(level)
    return set(complaints.list_frame(flt, session=session, extra=extra)["ref"])


def test_escalation_hands_the_complaint_to_hq_and_the_company_keeps_seeing_it(session, org):
    march = KpiFilter(date(2025, 3, 1), date(2025, 3, 31))
    as_sz = scope.apply(march, users.get_user(session=session, username="sz").scope, session=session)
    assert _refs(session, as_sz, 0) == {"SZ1", "SZ2"}
    assert _refs(session, march, 1) == set()  # HQ's queue is empty
    complaints.escalate("SZ1", 1, session=session, actor="sz", version=None, note="业主要求总部介入",
                        reach=reach_of(session, "sz"))
    assert _refs(session, march, 1) == {"SZ1"}     # group-scoped staff: on HQ's queue now
    assert _refs(session, march, 0) == {"SZ2", "GZ1", "GZ2", "SH1"}
    assert _refs(session, as_sz, 0) == {"SZ2"}     # off the local queue …
    assert _refs(session, as_sz, 1) == {"SZ1"}     # … but the company still sees it on HQ's
    assert "SZ1" in _refs(session, as_sz)          # and in its register
    assert _refs(session, scope.apply(march, users.get_user(session=session, username="gz").scope,
                                      session=session), 1) == set()  # never another company
    record, events = complaints.detail("SZ1", session=session, reach=reach_of(session, "sz"))
    assert record["escalation_level"] == 1
    assert list(events["action"]) == ["escalate_hq"]  # its history, "escalated to HQ"
    assert events["note"].iloc[0] == "业主要求总部介入"
    row = session.scalars(select(AuditLog).where(AuditLog.entity_id == "SZ1")).all()[-1]
    assert (row.action, row.actor) == ("complaint_escalate_hq", "sz")
    complaints.escalate("SZ1", 2, session=session, actor="hq", version=None, reach=reach_of(session, "hq"))
    assert _refs(session, march, 2) == {"SZ1"} and _refs(session, march, 1) == set()
    assert list(complaints.detail("SZ1", session=session)[1]["action"]) == ["escalate_hq", "escalate_leadership"]


def test_queue_levels_are_0_1_2():
    with pytest.raises(ValidationFailed):
        complaints.queue_conditions(3)


# ---- supervisor issues --------------------------------------------------------------------------

def _issue(supervisor_id: int, responder: str | None = None) -> issues.NewIssue:
    return issues.NewIssue(raised_on=date(2025, 3, 5), supervisor_ids=[supervisor_id], category="delivery",
                           description="车库漏水", responsible_party="property", first_responder=responder)


def test_issue_writes_outside_scope_are_refused(session, org):
    sz = reach_of(session, "sz")
    before = (count(session, SupervisorIssue), count(session, SupervisorIssueUpdate), count(session, AuditLog))
    _refused("err_write_out_of_scope", lambda: issues.create(_issue(org["S-GZ"].id), session=session, actor="sz",
                                                              reach=sz))
    _refused("err_record_out_of_scope", lambda: issues.transition("JD-GZ", "acknowledged", session=session, actor="sz",
                                                                   role="staff", version=None, reach=sz))
    _refused("err_record_out_of_scope", lambda: issues.add_update("JD-GZ", session=session, actor="sz", version=None,
                                                                   note="跟进", reach=sz))
    _refused("err_record_out_of_scope", lambda: issues.reassign("JD-GZ", "sz", session=session, actor="sz",
                                                                 role="staff", version=None, reach=sz))
    finding = session.scalar(select(ListeningActivity.id).where(ListeningActivity.employee_id == org["E-GZ"].id))
    _refused("err_write_out_of_scope", lambda: issues.raise_from_finding(
        finding, session=session, actor="sz", first_responder="sz", category="delivery",
        responsible_party="property", reach=sz))
    assert (count(session, SupervisorIssue), count(session, SupervisorIssueUpdate), count(session, AuditLog)) == before
    stored = session.scalar(select(SupervisorIssue).where(SupervisorIssue.ref == "JD-GZ"))
    assert (stored.status, stored.first_responder) == ("open", None)
    # inside the scope each goes through
    issues.transition("JD-SZ", "acknowledged", session=session, actor="sz", role="staff", version=None, reach=sz)
    own = session.scalar(select(ListeningActivity.id).where(ListeningActivity.employee_id == org["E-SZ"].id))
    item = issues.raise_from_finding(own, session=session, actor="sz", first_responder="sz", category="delivery",
                                     responsible_party="property", reach=sz)
    assert item.source == "listening"
    # a listening item belongs to the finder's company: a project-scoped user may not touch it
    _refused("err_record_out_of_scope", lambda: issues.add_update(item.ref, session=session, actor="garden",
                                                                   version=None, note="x",
                                                                   reach=reach_of(session, "garden")))


def test_first_responder_must_be_a_user_whose_scope_covers_the_project(session, org):
    sz = reach_of(session, "sz")
    for who in ("gz", "boss", "nobody"):  # another company's user, an executive, no such account
        error = _refused("err_responder_scope", lambda who=who: issues.create(
            _issue(org["S-SZ"].id, who), session=session, actor="sz", reach=sz))
        assert error.params == {"user": who}
    assert count(session, SupervisorIssue) == 2
    for who in ("sz", "garden", "hq"):  # the company, the project itself, the group
        issues.create(_issue(org["S-SZ"].id, who), session=session, actor="sz", reach=sz)
    issues.transition("JD-SZ", "acknowledged", session=session, actor="sz", role="staff", version=None, reach=sz)
    _refused("err_responder_scope", lambda: issues.reassign("JD-SZ", "gz", session=session, actor="sz", role="staff",
                                                             version=None, reach=sz))
    assert session.scalar(select(SupervisorIssue.first_responder).where(SupervisorIssue.ref == "JD-SZ")) == "sz"
    issues.reassign("JD-SZ", "garden", session=session, actor="sz", role="staff", version=None, reach=sz)
    assert session.scalar(select(SupervisorIssue.first_responder).where(SupervisorIssue.ref == "JD-SZ")) == "garden"


def test_first_responder_of_a_listening_item_needs_the_whole_company(session, org):
    own = session.scalar(select(ListeningActivity.id).where(ListeningActivity.employee_id == org["E-SZ"].id))
    _refused("err_responder_scope", lambda: issues.raise_from_finding(
        own, session=session, actor="sz", first_responder="garden", category="delivery",
        responsible_party="property", reach=reach_of(session, "sz")))


# ---- listening and supervision ------------------------------------------------------------------

def test_listening_activity_needs_the_employees_whole_company(session, org):
    before = (count(session, ListeningActivity), count(session, AuditLog))
    for user, employee in (("sz", "E-GZ"), ("garden", "E-SZ")):  # another company; a project is not the company
        _refused("err_write_out_of_scope", lambda user=user, employee=employee: listening.add_activity(
            session=session, actor=user, employee_id=org[employee].id, activity_date=date(2025, 3, 9),
            activity_type="visit_customer", reach=reach_of(session, user)))
    assert (count(session, ListeningActivity), count(session, AuditLog)) == before
    listening.add_activity(session=session, actor="sz", employee_id=org["E-SZ"].id, activity_date=date(2025, 3, 9),
                           activity_type="visit_customer", reach=reach_of(session, "sz"))
    assert count(session, ListeningActivity) == before[0] + 1


def test_supervision_writes_outside_scope_are_refused(session, org):
    sz = reach_of(session, "sz")
    before = (count(session, Supervisor), count(session, SupervisionActivity), count(session, AuditLog))
    _refused("err_write_out_of_scope", lambda: supervision.save_supervisor(
        session=session, actor="sz", supervisor_no="S-NEW", name="王五", project_id=org["广州华府"].id, term=1,
        joined_on=date(2025, 1, 1), reach=sz))
    # another company's supervisor cannot be moved into one's own project by reusing its number
    _refused("err_record_out_of_scope", lambda: supervision.save_supervisor(
        session=session, actor="sz", supervisor_no="S-GZ", name="S-GZ", project_id=org["深圳花园"].id, term=2,
        joined_on=date(2024, 1, 1), reach=sz))
    _refused("err_write_out_of_scope", lambda: supervision.add_activity(
        session=session, actor="sz", activity_date=date(2025, 3, 1), project_id=org["广州华府"].id,
        activity_type="meeting", participants=5, reach=sz))
    assert (count(session, Supervisor), count(session, SupervisionActivity), count(session, AuditLog)) == before
    session.expire_all()
    assert session.get(Supervisor, org["S-GZ"].id).project_id == org["广州华府"].id
    supervision.add_activity(session=session, actor="sz", activity_date=date(2025, 3, 1), project_id=org["深圳湾"].id,
                             activity_type="meeting", participants=5, reach=sz)
    assert count(session, SupervisionActivity) == 1


# ---- imports ------------------------------------------------------------------------------------

COMPLAINT_HEAD = "ref,received_at,channel,company,city,project,description\n"


def _complaint_file(*rows: str) -> bytes:
    return (COMPLAINT_HEAD + "".join(r + "\n" for r in rows)).encode("utf-8")


def _rejected(session, kind: str, data: bytes, user: str) -> list:
    with pytest.raises(ImportRejected) as caught:
        import_file(kind, data, f"{kind}.csv", session=session, actor=user, reach=reach_of(session, user))
    assert caught.value.key == "imp_err_rows"
    return caught.value.errors


def test_an_import_with_one_row_outside_the_scope_is_refused_whole(session, org):
    data = _complaint_file("N1,2025-03-10 09:00,hotline,深圳公司,深圳,深圳花园,漏水",
                           "N2,2025-03-10 10:00,hotline,深圳公司,深圳,深圳湾,噪音",
                           "N3,2025-03-10 11:00,hotline,广州公司,广州,广州华府,电梯故障")
    before = (count(session, Complaint), count(session, ComplaintEvent), count(session, AuditLog))
    errors = _rejected(session, "complaints", data, "sz")
    assert [(e.row, e.column, e.value) for e in errors] == [(4, "project", "广州华府")]  # line 4: header is line 1
    assert "不在您的数据范围内" in errors[0].reason_zh and "outside your data scope" in errors[0].reason_en
    assert "广州公司 / 广州华府" in errors[0].reason_en
    assert (count(session, Complaint), count(session, ComplaintEvent), count(session, AuditLog)) == before
    # the same file without that row is imported; the group may import it whole
    result = import_file("complaints", _complaint_file(*[r for r in data.decode().splitlines()[1:3]]), "ok.csv",
                         session=session, actor="sz", reach=reach_of(session, "sz"))
    assert result.inserted == 2
    result = import_file("complaints", data, "all.csv", session=session, actor="hq", reach=reach_of(session, "hq"))
    assert (result.inserted, result.unchanged) == (1, 2)


def test_new_projects_new_companies_and_stored_records_in_an_import(session, org):
    new_project = "N1,2025-03-10 09:00,hotline,深圳公司,深圳,深圳新城,漏水"
    # a company-scoped user may open a new project of its own company
    result = import_file("complaints", _complaint_file(new_project), "a.csv", session=session, actor="sz",
                         reach=reach_of(session, "sz"))
    assert (result.inserted, result.created_projects) == (1, 1)
    rows = [
        "N2,2025-03-10 09:00,hotline,深圳公司,深圳,深圳前海,漏水",   # a new project: not for a project-scoped user
        "N3,2025-03-10 09:00,hotline,东莞公司,东莞,东莞花园,漏水",   # a new company: never for a scoped user
        "GZ1,2025-03-05 09:00,hotline,深圳公司,深圳,深圳花园,改到深圳",  # another company's stored complaint
        "N4,2025-03-10 09:00,hotline,深圳公司,深圳,深圳花园,漏水",   # fine on its own
    ]
    projects = count(session, Project)
    errors = _rejected(session, "complaints", _complaint_file(*rows), "garden")
    assert [(e.row, e.column, e.value) for e in errors] == [
        (2, "company", "深圳公司"), (3, "company", "东莞公司"), (4, "ref", "GZ1")]
    assert all(e.reason_zh and e.reason_en for e in errors)
    assert count(session, Project) == projects
    assert session.scalar(select(Complaint.project_id).where(Complaint.ref == "GZ1")) == org["广州华府"].id
    assert [(e.row, e.column) for e in _rejected(session, "complaints", _complaint_file(*rows[1:3]), "sz")] == [
        (2, "company"), (3, "ref")]


@pytest.mark.parametrize("kind, text, row, column", [
    ("employees", "employee_no,name,company,department,is_management,joined_on\n"
                  "E9,王,深圳公司,客服部,否,2024-01-01\nE10,李,广州公司,客服部,否,2024-01-01\n", 3, "company"),
    ("employees", "employee_no,name,company,department,is_management,joined_on\n"
                  "E-GZ,王,深圳公司,客服部,否,2024-01-01\n", 2, "employee_no"),
    ("listening", "employee_no,activity_date,activity_type\nE-SZ,2025-03-03,visit_customer\n"
                  "E-GZ,2025-03-03,visit_customer\n", 3, "employee_no"),
    ("supervisors", "supervisor_no,name,company,city,project,term,joined_on\n"
                    "S9,王,广州公司,广州,广州华府,1,2024-01-01\n", 2, "project"),
    ("supervision_activities", "activity_date,company,city,project,activity_type,participants\n"
                               "2025-03-01,深圳公司,深圳,深圳湾,meeting,3\n2025-03-02,上海公司,上海,上海苑,meeting,3\n",
     3, "project"),
    ("supervisor_issues", "ref,raised_on,supervisor_no,category,description,responsible_party\n"
                          "JD9,2025-03-01,S-GZ,delivery,漏水,property\n", 2, "supervisor_no"),
    ("supervisor_issues", "ref,raised_on,supervisor_no,category,description,responsible_party\n"
                          "JD-GZ,2025-03-01,S-SZ,delivery,漏水,property\n", 2, "ref"),
    ("survey", "respondent_key,surveyed_on,company,city,project,touchpoint,scale,overall\n"
               "k1,2025-03-01,深圳公司,深圳,深圳花园,delivery_1m,5,4\nk2,2025-03-01,广州公司,广州,广州华府,delivery_1m,5,4\n",
     3, "project"),
])
def test_every_import_kind_refuses_rows_outside_the_scope(session, org, kind, text, row, column):
    tables = (Employee, ListeningActivity, Supervisor, SupervisionActivity, SupervisorIssue, AuditLog)
    before = [count(session, t) for t in tables]
    errors = _rejected(session, kind, text.encode("utf-8"), "sz")
    assert [(e.row, e.column) for e in errors] == [(row, column)]
    assert [count(session, t) for t in tables] == before


def test_a_listening_item_is_listed_for_the_finders_company_and_only_there(session, org):
    """The issue list agrees with the detail (issues.in_reach): an item raised from a listening finding has no
    project and is in the scope of its finder's whole company."""
    own = session.scalar(select(ListeningActivity.id).where(ListeningActivity.employee_id == org["E-SZ"].id))
    item = issues.raise_from_finding(own, session=session, actor="sz", first_responder="sz", category="delivery",
                                     responsible_party="property", reach=reach_of(session, "sz"))
    period = KpiFilter(date(2025, 1, 1), date(2026, 12, 31))

    def listed(username: str) -> set[str]:
        flt = scope.apply(period, users.get_user(session=session, username=username).scope, session=session)
        return set(issues.list_frame(flt, session=session)["ref"])

    assert listed("sz") == {"JD-SZ", item.ref}
    assert listed("gz") == {"JD-GZ"}
    assert listed("garden") == {"JD-SZ"}  # a project scope does not cover a whole company's listening
    assert listed("hq") == {"JD-SZ", "JD-GZ", item.ref}
