"""Issue #22 (SPEC §11), read side at the service level, on SQLite and PostgreSQL: filter choices, the
complaint list and detail, saved views, the overview's league and movers, the open-issue count and the
monthly report are limited to the reader's scope. Three companies, hand-made figures:

    甲公司 (华南): 2 complaints, both resolved  → resolution rate 1.0 → composite min(1.0/0.5, 1.2) = 120
    乙公司 (华南): 2 complaints, one resolved   → 0.5 → composite 100
    丙公司 (华东): 2 complaints, none resolved  → 0.0 → composite 0

with one target (resolution rate 0.5): the league is 甲 1, 乙 2, 丙 3 of 3."""
from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from lib import scope
from lib.errors import NotFound
from lib.kpis.common import KpiFilter
from lib.models import Company, Complaint, Project, SupervisorIssue
from lib.services import complaints, explore, org, overview, reports, targets
from tests import fixtures

MONTH = KpiFilter(date(2025, 10, 1), date(2025, 10, 31))
COMPANIES = {"甲公司": ("深圳", "华南", 2), "乙公司": ("广州", "华南", 1), "丙公司": ("杭州", "华东", 0)}


@pytest.fixture
def org_data(session):
    for i, (name, (city, region, resolved)) in enumerate(COMPANIES.items()):
        company = Company(name=name, city=city, region=region)
        session.add(company)
        session.flush()
        project = Project(company_id=company.id, name=f"{name}花园", name_norm=f"{name}花园", city=city,
                          business_line="property_management")
        session.add(project)
        session.flush()
        for n in range(2):
            done = n < resolved
            session.add(Complaint(
                ref=f"T{i}{n}", received_at=datetime(2025, 10, 8, 9), channel="hotline", project_id=project.id,
                business_line="property_management", category="maintenance", severity="ordinary",
                responsible=True, status="closed" if done else "in_progress", escalation_level=n,
                reopen_count=0, first_response_due_at=datetime(2025, 10, 9), resolution_due_at=datetime(2025, 10, 20),
                resolved_at=datetime(2025, 10, 10) if done else None, closed_at=datetime(2025, 10, 11) if done else None))
        session.add(SupervisorIssue(ref=f"JD{i}", raised_on=date(2025, 10, 8), source="supervisor", project_id=project.id,
                                    category="maintenance", description="x", responsible_party="property",
                                    status="submitted", first_responder="staff1", due_on=date(2025, 11, 8)))
    targets.save([{"kpi": "resolution_rate", "target": 0.5, "amber": 0.0}], session=session, actor="test")
    fixtures.no_minimum_sample(session)  # two complaints a company: the ranking is tested, not the minimum
    session.flush()
    return session


def reach_of(session, text: str) -> scope.Reach:
    return scope.reach(scope.parse(text), session=session)


def test_filter_choices_are_the_scope_only(org_data):
    options = org.options(session=org_data, reach=reach_of(org_data, "company:乙公司"))
    assert options == {"company": ["乙公司"], "city": ["广州"], "project": ["乙公司花园"]}
    region = org.options(session=org_data, reach=reach_of(org_data, "region:华南"))
    assert region["company"] == ["乙公司", "甲公司"] and region["city"] == ["广州", "深圳"]
    assert org.options(session=org_data)["company"] == ["丙公司", "乙公司", "甲公司"]


def test_the_list_and_the_detail_stay_in_scope(org_data):
    r = reach_of(org_data, "company:乙公司")
    rows = complaints.list_frame(overview.limited(MONTH, r), session=org_data, search="T")
    assert sorted(rows["ref"]) == ["T10", "T11"]
    record, _ = complaints.detail("T10", session=org_data, reach=r)
    assert record["company"] == "乙公司"
    with pytest.raises(scope.OutOfScope) as refused:
        complaints.detail("T00", session=org_data, reach=r)
    assert refused.value.key == "err_record_out_of_scope" and refused.value.params == {"ref": "T00"}
    with pytest.raises(NotFound):
        complaints.detail("NOPE", session=org_data, reach=r)
    # an escalated complaint stays in its company's scope: the level-1 queue of 乙 holds T11 only
    queue = complaints.list_frame(overview.limited(MONTH, r), session=org_data,
                                  extra=complaints.queue_conditions(1))
    assert list(queue["ref"]) == ["T11"]


def test_the_league_is_ranked_over_all_companies_but_shows_only_the_readers_rows(org_data):
    full = overview.league(MONTH, session=org_data)
    assert list(zip(full["rank"], full["company"], full["composite"], strict=True)) == [
        (1, "甲公司", pytest.approx(120.0)), (2, "乙公司", pytest.approx(100.0)), (3, "丙公司", pytest.approx(0.0))]
    own = overview.league(MONTH, session=org_data, reach=reach_of(org_data, "company:乙公司"))
    assert list(own["company"]) == ["乙公司"] and list(own["rank"]) == [2] and list(own["of"]) == [3]
    assert own.loc[0, "composite"] == pytest.approx(100.0)
    region = overview.league(MONTH, session=org_data, reach=reach_of(org_data, "region:华南"))
    assert list(zip(region["rank"], region["of"], region["company"], strict=True)) == [(1, 3, "甲公司"), (2, 3, "乙公司")]
    # a reader of one project is not shown its company's row (it carries the company's other projects)
    assert overview.league(MONTH, session=org_data, reach=reach_of(org_data, "project:乙公司/乙公司花园")).empty


def test_the_board_league_movers_and_open_issues_are_scoped(org_data):
    r = reach_of(org_data, "company:乙公司")
    board = overview.board(MONTH, session=org_data, reach=r)
    assert list(board.league["company"]) == ["乙公司"] and list(board.league["rank"]) == [2]
    assert set(board.movers["company"]) <= {"乙公司"}
    assert board.counts["complaints"] == 2
    assert board.counts["issues_open"] == 1
    assert overview.board(MONTH, session=org_data).counts["issues_open"] == 3
    assert overview.open_issues(overview.limited(MONTH, reach_of(org_data, "region:华南")), session=org_data) == 2


def test_a_saved_view_naming_another_company_is_refused(org_data):
    explore.save_view("u1", "mine", {"exp_company": ["乙公司"]}, session=org_data)
    explore.save_view("u1", "theirs", {"exp_company": ["甲公司"], "exp_city": []}, session=org_data)
    r = reach_of(org_data, "company:乙公司")
    assert explore.load_view("u1", "mine", session=org_data, reach=r) == {"exp_company": ["乙公司"]}
    with pytest.raises(scope.OutOfScope) as refused:
        explore.load_view("u1", "theirs", session=org_data, reach=r)
    assert refused.value.params == {"kind": "company", "name": "甲公司"}


def test_explore_pivot_and_rows_are_scoped(org_data):
    flt = overview.limited(MONTH, reach_of(org_data, "company:乙公司"))
    pivot = explore.pivot("complaints", flt, "count", "company", session=org_data)
    assert pivot.to_dict("records") == [{"company": "乙公司", "value": 2}]
    kpi = explore.pivot("complaints", flt, "kpi:resolution_rate", "company", session=org_data)
    assert kpi.to_dict("records") == [{"company": "乙公司", "value": 0.5}]
    assert sorted(explore.rows("complaints", flt, session=org_data)["ref"]) == ["T10", "T11"]


def _cells(data: bytes) -> list[str]:
    book = load_workbook(io.BytesIO(data))
    return [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def test_the_monthly_report_holds_the_scope_only(org_data):
    cells = _cells(reports.monthly_report("2025-10", session=org_data, reach=reach_of(org_data, "company:乙公司")))
    text = "\n".join(cells)
    assert "乙公司" in text
    assert not any(other in cell for cell in cells for other in ("甲公司", "丙公司", "深圳", "杭州"))
    assert "2 / 3" in cells  # its rank among the three companies
    whole = "\n".join(_cells(reports.monthly_report("2025-10", session=org_data)))
    assert "甲公司" in whole and "丙公司" in whole and "1 / 3" in whole


def test_department_choices_are_of_the_companies_in_scope(org_data):
    from lib.models import Employee
    from lib.services import listening
    ids = {c.name: c.id for c in org_data.query(Company)}
    for no, (company, department) in enumerate([("甲公司", "甲客服部"), ("乙公司", "乙工程部"), ("丙公司", "丙物业部")]):
        org_data.add(Employee(employee_no=f"E{no}", name=f"员工{no}", company_id=ids[company], department=department,
                              is_management=False, joined_on=date(2020, 1, 1)))
    org_data.flush()
    assert listening.departments(session=org_data, reach=reach_of(org_data, "company:乙公司")) == ["乙工程部"]
    assert listening.departments(session=org_data, reach=reach_of(org_data, "region:华南")) in (["乙工程部", "甲客服部"],
                                                                                     ["甲客服部", "乙工程部"])
    # employees belong to whole companies: a user scoped to one project has no department to pick
    assert listening.departments(session=org_data, reach=reach_of(org_data, "project:乙公司/乙公司花园")) == []
    assert sorted(listening.departments(session=org_data)) == ["丙物业部", "乙工程部", "甲客服部"]
