"""Listening: tiers by current status, departments, recording activities, types, and the seed document's figures."""
import io
import json
from contextlib import redirect_stdout
from datetime import date

import pytest
from sqlalchemy import select

from lib.errors import ValidationFailed
from lib.imports.reader import ImportRejected
from lib.imports.registry import import_file
from lib.kpis import listening
from lib.kpis.common import KpiFilter
from lib.models import Company, Employee, ListeningActivity
from lib.services import listening as svc

YEAR = KpiFilter(date(2025, 1, 1), date(2025, 12, 31))


def _roster(session):
    company = Company(name="A公司", city="深圳")
    session.add(company)
    session.flush()
    people = {}
    for no, dept, mgmt, joined, left in [
        ("P1", "客服部", True, date(2018, 1, 1), None),      # promoted during 2025: counted as management now
        ("P2", "客服部", False, date(2025, 7, 1), None),     # joiner with two activities
        ("P3", "工程部", False, date(2019, 1, 1), date(2025, 3, 31)),  # leaver, no activity
        ("P4", "财务部", False, date(2020, 1, 1), None),     # a department where nobody took part
    ]:
        people[no] = Employee(employee_no=no, name=no, company_id=company.id, department=dept, is_management=mgmt,
                              joined_on=joined, left_on=left)
    session.add_all(people.values())
    session.flush()
    return people


def test_tiers_use_the_current_status_and_departments_are_grouped(session):
    people = _roster(session)
    types = svc.activity_types(session=session)
    svc.add_activity(session=session, actor="s", employee_id=people["P1"].id, activity_date=date(2025, 2, 1),
                     activity_type="visit_customer")
    for day in (date(2025, 8, 1), date(2025, 9, 1)):
        svc.add_activity(session=session, actor="s", employee_id=people["P2"].id, activity_date=day,
                         activity_type="answer_hotline", finding="电梯异响")
    result = listening.compute(YEAR, session=session, activity_types=types, by="department")
    k = result.kpis
    assert (k["headcount"], k["headcount_management"], k["participants"]) == (4, 1, 2)
    assert k["participation_rate_management"] == 1.0
    assert k["participation_rate_staff"] == pytest.approx(1 / 3)  # P2 of P2, P3, P4
    assert k["findings"] == 2
    by_dept = {g["key"]: g["kpis"] for g in result.groups}
    assert by_dept["财务部"]["participation_rate"] == 0.0          # employed, nobody took part
    assert by_dept["工程部"]["participants"] == 0
    assert by_dept["客服部"]["participation_rate"] == 1.0
    empty = listening.compute(KpiFilter(date(2010, 1, 1), date(2010, 1, 31)), session=session, activity_types=types,
                              by="department")
    assert empty.kpis["participation_rate"] is None  # an empty denominator is null, not 0
    cover = svc.type_coverage(YEAR, session=session).set_index("activity_type")
    assert (cover.loc["answer_hotline", "activities"], cover.loc["answer_hotline", "employees"]) == (2, 1)
    assert len(svc.findings_frame(YEAR, session=session)) == 2


def test_an_activity_outside_employment_or_of_an_unknown_type_is_refused(session):
    people = _roster(session)
    with pytest.raises(ValidationFailed) as exc:
        svc.add_activity(session=session, actor="s", employee_id=people["P3"].id, activity_date=date(2025, 4, 1),
                         activity_type="visit_customer")
    assert exc.value.params["fields"] == "activity_date"
    with pytest.raises(ValidationFailed):
        svc.add_activity(session=session, actor="s", employee_id=people["P1"].id, activity_date=date(2025, 4, 1),
                         activity_type="dance")
    assert session.scalar(select(ListeningActivity.id)) is None


def test_admin_added_type_counts_and_imports_by_its_chinese_name(session):
    _roster(session)
    rows = [{"code": code, "zh": zh, "en": en, "active": code != "make_suggestion"}
            for code, (zh, en) in svc.type_labels(session=session).items()]
    rows.append({"code": "night_patrol", "zh": "参加一次夜巡", "en": "Join a night patrol", "active": True})
    svc.save_activity_types(rows, session=session, actor="admin1")
    types = svc.activity_types(session=session)
    assert "night_patrol" in types and "make_suggestion" not in types
    import_file("listening", "工号,活动日期,活动类型\nP1,2025-05-05,参加一次夜巡\n".encode(), "l.csv",
                session=session, actor="t")
    assert session.scalar(select(ListeningActivity.activity_type)) == "night_patrol"
    with pytest.raises(ImportRejected) as exc:
        import_file("listening", "工号,活动日期,活动类型\nP1,2025-05-06,跳舞\n".encode(), "l.csv",
                    session=session, actor="t")
    assert exc.value.errors[0].column == "activity_type"
    with pytest.raises(ValidationFailed):
        svc.save_activity_types([{"code": "Bad Code", "zh": "x", "en": "x", "active": True}], session=session,
                                actor="admin1")


def seed_document_files(company: str = "种子公司") -> tuple[bytes, bytes]:
    """The seed document's year: 8,565 participants, 45.0% of staff and 53.5% of management.

    Worked out by hand: management 321 of 600 = 53.5%; staff 8,244 of 18,320 = 45.0%;
    321 + 8,244 = 8,565 participants of 18,920 employees.
    """
    roster = ["工号,姓名,公司,部门,是否管理层,入职日期"]
    acts = ["工号,活动日期,活动类型"]
    for i in range(600):
        roster.append(f"SDM{i:05d},管理{i},{company},管理部,是,2020-01-01")
        if i < 321:
            acts.append(f"SDM{i:05d},2025-06-15,走访一位客户")
    for i in range(18_320):
        roster.append(f"SDS{i:05d},员工{i},{company},客服部,否,2020-01-01")
        if i < 8_244:
            acts.append(f"SDS{i:05d},2025-06-16,接听一次热线")
    return "\n".join(roster).encode("gb18030"), "\n".join(acts).encode("utf-8")


def test_the_seed_documents_figures_import_and_the_cli_prints_them(engine, monkeypatch):
    from lib import cli
    from lib.db import session_scope

    roster, acts = seed_document_files()
    with session_scope(engine) as session:
        assert import_file("employees", roster, "roster.csv", session=session, actor="t").inserted == 18_920
        assert import_file("listening", acts, "acts.csv", session=session, actor="t").inserted == 8_565
    monkeypatch.setattr(cli, "_engine", lambda: engine)
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["kpi", "listening", "--from", "2025-01-01", "--to", "2025-12-31"]) == 0
    k = json.loads(out.getvalue())["kpis"]
    assert k["participants"] == 8_565
    assert k["participation_rate_staff"] == pytest.approx(0.45, abs=1e-12)
    assert k["participation_rate_management"] == pytest.approx(0.535, abs=1e-12)
