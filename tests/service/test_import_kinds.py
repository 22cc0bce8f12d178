"""Survey, roster, listening and supervisor-group imports: samples, idempotence, updates, bad files."""
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lib.imports.reader import ImportRejected
from lib.imports.registry import import_file
from lib.models import (
    Employee,
    ListeningActivity,
    Project,
    SupervisionActivity,
    Supervisor,
    SupervisorIssue,
    SupervisorIssueRaiser,
    SurveyResponse,
    SurveyWave,
)

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
# Dependency order: listening needs the roster, issues need the supervisor registry.
ORDER = [("employees", "employees.csv", 40), ("listening", "listening.csv", 29),
         ("supervisors", "supervisors.xlsx", 40), ("supervision_activities", "supervision_activities.csv", 40),
         ("supervisor_issues", "supervisor_issues.csv", 23), ("survey", "survey_phone_vendor.csv", 40),
         ("survey", "survey_online_vendor.xlsx", 40)]


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _imp(session, kind, content: str, encoding="utf-8"):
    return import_file(kind, content.encode(encoding), f"{kind}.csv", session=session, actor="t")


def test_every_sample_imports_and_a_second_import_changes_nothing(session):
    for kind, name, rows in ORDER:
        data = (SAMPLES / name).read_bytes()
        first = import_file(kind, data, name, session=session, actor="t")
        assert (first.rows, first.inserted) == (rows, rows), name
    for kind, name, rows in ORDER:
        again = import_file(kind, (SAMPLES / name).read_bytes(), name, session=session, actor="t")
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, rows), name
    assert _count(session, SurveyResponse) == 80
    assert _count(session, ListeningActivity) == 29
    assert _count(session, SupervisorIssue) == 23


SURVEY = "respondent_key,surveyed_on,company,city,project,touchpoint,scale,overall,recommend,vendor,method\n"


def test_survey_chinese_gb18030_waves_and_updates(session):
    text = ("受访者编号,调查日期,公司,城市,项目,触点,量表,总体满意度,推荐意愿,调查机构,调查方式\n"
            "k1,2025/03/01,深圳公司,深圳,海景花园,交付后1个月,5,4,9,零点,电话\n"
            "k2,2025/03/02,深圳公司,深圳,海景花园,商业客户,11,7,,零点,电话\n")
    result = _imp(session, "survey", text, "gb18030")
    assert result.inserted == 2
    wave = session.scalar(select(SurveyWave))
    assert (wave.vendor, wave.method, wave.period_start, wave.period_end) == (
        "零点", "phone", date(2025, 3, 1), date(2025, 3, 2))
    again = _imp(session, "survey", text.replace(",11,7,", ",11,8,"), "gb18030")
    assert (again.inserted, again.updated, again.unchanged) == (0, 1, 1)
    assert dict(session.execute(select(SurveyResponse.respondent_key, SurveyResponse.overall)).all()) == {
        "k1": 4, "k2": 8}  # the update is written (k2: 7 → 8), not only counted
    assert _count(session, SurveyWave) == 1


@pytest.mark.parametrize(("row", "column"), [
    ("k1,2025-03-01,A,深圳,P,delivery_1m,5,6,,,\n", "overall"),       # 6 is off a 1–5 scale
    ("k1,2025-03-01,A,深圳,P,delivery_1m,11,10,11,,\n", "recommend"),  # recommend is 0–10
    ("k1,2025-03-01,A,深圳,P,delivery_1m,7,5,,,\n", "scale"),         # scales are 5, 10, 11
    ("k1,2025-03-01,A,深圳,P,moving_in,5,5,,,\n", "touchpoint"),
    ("k1,2025-03-01,A,深圳,P,delivery_1m,10,0,,,\n", "overall"),      # scale 10 starts at 1
    ("138 1234 5678,2025-03-01,A,深圳,P,delivery_1m,5,5,,,\n", "respondent_key"),  # a raw phone number
    ("k0,2025-03-01,A,深圳,P,delivery_1m,5,4,,,\n", "respondent_key"),  # the same response twice
])
def test_bad_survey_rows_change_nothing(session, row, column):
    good = "k0,2025-03-01,A,深圳,P,delivery_1m,5,5,,,\n"
    with pytest.raises(ImportRejected) as exc:
        _imp(session, "survey", SURVEY + good + row)
    assert {(e.row, e.column) for e in exc.value.errors} == {(3, column)}
    assert _count(session, SurveyResponse) == 0


ROSTER = ("工号,姓名,公司,部门,是否管理层,入职日期,离职日期\n"
          "E1,张三,深圳公司,客服部,是,2020-01-01,\n"
          "E2,李四,深圳公司,工程部,否,2021-06-01,2025-01-31\n")


def test_listening_needs_the_roster_and_skips_repeated_rows(session):
    with pytest.raises(ImportRejected) as exc:
        _imp(session, "listening", "employee_no,activity_date,activity_type\nE1,2025-03-01,走访一位客户\n")
    assert exc.value.errors[0].column == "employee_no"
    _imp(session, "employees", ROSTER)
    activities = ("工号,活动日期,活动类型,问题发现\n"
                  "E1,2025-03-01,走访一位客户,地库漏水\n"
                  "E1,2025-03-01,visit_customer,地库漏水\n"   # the same activity in English: one row
                  "E2,2025-03-02,接听一次热线,\n")
    result = _imp(session, "listening", activities)
    assert (result.inserted, result.unchanged) == (2, 1)
    assert _count(session, ListeningActivity) == 2
    e2 = session.scalar(select(Employee).where(Employee.employee_no == "E2"))
    assert (e2.is_management, e2.left_on) == (False, date(2025, 1, 31))


def test_roster_left_before_joined_is_refused(session):
    with pytest.raises(ImportRejected) as exc:
        _imp(session, "employees", ROSTER.replace("2025-01-31", "2019-01-31"))
    assert (exc.value.errors[0].row, exc.value.errors[0].column) == (3, "left_on")
    assert _count(session, Employee) == 0


SUPERVISORS = ("监督员编号,姓名,公司,城市,项目,届次,加入日期,退出日期,联系电话\n"
               "S1,王一,深圳公司,深圳,海景花园,第3届,2024-01-01,,13800000001\n"
               "S2,王二,深圳公司,深圳,山语苑,3,2024-01-01,,\n")


def test_issue_with_two_raisers_takes_the_first_ones_project_and_a_default_due_date(session):
    _imp(session, "supervisors", SUPERVISORS)
    assert session.scalar(select(Supervisor.term).where(Supervisor.supervisor_no == "S1")) == 3
    issues = ("问题编号,提出日期,监督员编号,类别,问题描述,责任主体\n"
              "Q1,2025-03-01,S2、S1,房屋质量,外墙渗水,地产\n")
    _imp(session, "supervisor_issues", issues)
    issue = session.scalar(select(SupervisorIssue))
    project = session.get(Project, issue.project_id)
    assert project.name == "山语苑"
    assert (issue.status, issue.due_on, issue.responsible_party) == ("open", date(2025, 3, 16), "development")
    assert _count(session, SupervisorIssueRaiser) == 2
    # A newer version of the same ref updates it; the same file again changes nothing.
    newer = issues.replace("地产\n", "地产\n").replace("问题描述,责任主体", "问题描述,责任主体,状态,解决日期")
    newer = newer.replace("外墙渗水,地产", "外墙渗水,地产,已解决,2025-03-10")
    assert _imp(session, "supervisor_issues", newer).updated == 1
    assert _imp(session, "supervisor_issues", newer).unchanged == 1
    assert session.scalar(select(SupervisorIssue.resolved_on)) == date(2025, 3, 10)


def test_issue_from_an_unknown_supervisor_is_refused_whole(session):
    _imp(session, "supervisors", SUPERVISORS)
    issues = ("ref,raised_on,supervisor_no,category,description,responsible_party\n"
              "Q1,2025-03-01,S1,other,a,property\n"
              "Q2,2025-03-01,S9,other,b,property\n")
    with pytest.raises(ImportRejected) as exc:
        _imp(session, "supervisor_issues", issues)
    assert [(e.row, e.value) for e in exc.value.errors] == [(3, "S9")]
    assert _count(session, SupervisorIssue) == 0


def test_supervision_activities_are_idempotent_on_the_whole_row(session):
    text = ("活动日期,公司,城市,项目,活动类型,参与人数,备注\n"
            "2025-03-01,深圳公司,深圳,海景花园,工地开放,12,\n"
            "2025-03-01,深圳公司,深圳,海景花园,座谈会,8,首次\n")
    assert _imp(session, "supervision_activities", text).inserted == 2
    assert _imp(session, "supervision_activities", text).unchanged == 2
    assert sorted(session.scalars(select(SupervisionActivity.activity_type))) == ["meeting", "site_inspection"]
