"""Issue #25 items 2 and 4 in the running app (AppTest): the Typical cases and Unit reports pages per role, in
both languages, with the organisation scope and personal-data masking enforced on the server side.

Two hand-built companies of their own in the shared page database (the seeded demo stays as it is):
    案例甲公司 / 案例甲花园: complaint CSA1 (complainant 案例张三, 13912340001) — marked through the page
    案例乙公司 / 案例乙华府: complaint CSB1, already a case tagged 案例乙标签 (by the service)
People: cs_staff_a (staff, company:案例甲公司), cs_hq (staff, group), cs_exec (executive), cs_admin (admin).
"""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from lib import scope
from lib.db import local_now, session_scope
from lib.models import AuditLog, Company, Complaint, Project, TypicalCase, UnitReport
from lib.services import cases, unit_reports, users
from lib.vocab import normalise_text
from tests.fixtures import complaint
from tests.pages.conftest import app as signed_in
from tests.pages.conftest import page_engine

PEOPLE = {"cs_staff_a": ("staff", "company:案例甲公司"), "cs_hq": ("staff", "group"),
          "cs_exec": ("executive", "group"), "cs_admin": ("admin", "group")}
CASES, UNITS = "pages/11_Cases.py", "pages/12_Unit_Reports.py"
TODAY = local_now().date()
MONTH = unit_reports.previous_month(TODAY)


@pytest.fixture(scope="module", autouse=True)
def world(app_database):
    engine = page_engine()
    with session_scope(engine) as s:
        for company, project, ref in (("案例甲公司", "案例甲花园", "CSA1"), ("案例乙公司", "案例乙华府", "CSB1")):
            c = Company(name=company, city="案例城", region="案例片区")
            s.add(c)
            s.flush()
            p = Project(company_id=c.id, name=project, name_norm=normalise_text(project), city="案例城",
                        business_line="property_management")
            s.add(p)
            s.flush()
            complaint(s, p, ref, datetime(2025, 6, 2, 9), "hotline", "ordinary", True, "closed",
                      complainant_name="案例张三", complainant_phone="13912340001")
        for username, (role, text) in PEOPLE.items():
            users.add_user(session=s, username=username, role=role, name=username, password="cases-pass-1",
                           scope=scope.parse(text))
    with session_scope(engine) as s:
        cases.mark_typical("CSB1", cases.Review("乙事件经过", "乙根本原因", "乙经验教训", tags=["案例乙标签"],
                                                actions=[cases.Action("乙措施", "工程管理部", TODAY + timedelta(days=20))]),
                           session=s, actor="cs_hq")
    yield engine
    engine.dispose()


def app(page: str, username: str, lang: str = "zh"):
    with session_scope(page_engine()) as s:  # the page takes the language stored on the user
        users.set_language(session=s, username=username, language=lang)
    return signed_in(page, username, lang, role=PEOPLE[username][0], timeout=60)  # role and scope: from the database


def _all_text(at) -> str:
    parts = [e.value for kind in ("markdown", "title", "subheader", "caption", "error", "warning", "success", "info")
             for e in getattr(at, kind)]
    parts += [str(t.value) for t in at.text_input] + [str(t.value) for t in at.text_area]
    parts += [df.value.to_csv() for df in at.dataframe]
    parts += [str(o) for box in at.selectbox for o in box.options]
    return "\n".join(parts)


@pytest.mark.parametrize("page", [CASES, UNITS])
@pytest.mark.parametrize("username", list(PEOPLE))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pages_per_role_and_language(page, username, lang):
    at = app(page, username, lang).run()
    assert not at.exception, at.exception
    title = at.title[0].value
    assert title == {CASES: {"zh": "典型案例复盘", "en": "Typical-case reviews"},
                     UNITS: {"zh": "月度投诉分析上报", "en": "Monthly unit reports"}}[page][lang]
    forms = {b.proto.form_id for b in at.button if b.proto.form_id}
    writer = PEOPLE[username][0] != "executive"
    if page == CASES:
        assert ("cases_mark_form" in forms) is writer
    if not writer:  # executives read, never write: no form at all
        assert not forms
    if page == UNITS and username != "cs_staff_a":  # returning is HQ's: a scoped company never sees the form
        pass
    elif page == UNITS:
        assert "urep_return_form" not in forms
    if username == "cs_staff_a":  # nothing of 案例乙公司 reaches a user scoped to 案例甲公司
        assert "案例乙" not in _all_text(at) and "CSB1" not in _all_text(at)


def _submit(at, form: str):
    [b for b in at.button if b.proto.form_id == form][0].click().run()
    return at


def test_staff_marks_a_case_through_the_page_and_the_action_is_a_tracker_issue():
    at = app(CASES, "cs_staff_a").run()
    at.text_input(key="cases_ref").set_value("CSA1")
    at.text_input(key="cases_tags").set_value("案例甲标签，渗漏")
    at.text_area(key="cases_what").set_value("甲经过")
    at.text_area(key="cases_cause").set_value("甲原因")
    at.text_area(key="cases_lessons").set_value("甲教训")
    at.text_input(key="cases_act_0").set_value("甲措施一")
    at.text_input(key="cases_dept_0").set_value("客户服务部")
    at.date_input(key="cases_due_0").set_value(TODAY + timedelta(days=10))
    _submit(at, "cases_mark_form")
    assert not at.exception, at.exception
    assert [m.value for m in at.success] == ["已标记典型案例 CSA1，预防措施：1"]
    with session_scope(page_engine()) as s:
        record, actions = cases.detail("CSA1", session=s)
    assert record["tags"] == ["案例甲标签", "渗漏"] and list(actions["owner_department"]) == ["客户服务部"]
    assert actions["ref"].iloc[0].startswith("DX") and actions["first_responder"].iloc[0] == "cs_staff_a"
    # the new case opens with the complainant masked until revealed; the tracker link is there
    values = [t.value for t in at.text_input]
    assert "案*** 139****0001" in values
    assert any(link.label == f"在问题跟踪中处理 {actions['ref'].iloc[0]}" for link in at.get("page_link"))
    # the action in the issue tracker links back to its case
    issues_at = app("pages/4_Issues.py", "cs_staff_a")
    issues_at.session_state["iss_open_ref"] = actions["ref"].iloc[0]
    issues_at.run()
    assert not issues_at.exception, issues_at.exception
    assert any(link.label == "所属典型案例 CSA1" for link in issues_at.get("page_link"))
    assert "典型案例整改" in _all_text(issues_at)


def test_out_of_scope_and_bad_input_are_refused_and_write_nothing():
    with session_scope(page_engine()) as s:
        before = s.scalar(select(func.count()).select_from(TypicalCase))
    for lang, ref, expect in (("zh", "CSB1", "不在您的数据范围内"), ("en", "CSB1", "outside your data scope"),
                              ("en", "NOPE-1", "NOPE-1")):
        at = app(CASES, "cs_staff_a", lang).run()
        at.text_input(key="cases_ref").set_value(ref)
        at.text_area(key="cases_what").set_value("x")
        at.text_area(key="cases_cause").set_value("y")
        at.text_area(key="cases_lessons").set_value("z")
        at.text_input(key="cases_act_0").set_value("a")
        at.text_input(key="cases_dept_0").set_value("b")
        at.date_input(key="cases_due_0").set_value(TODAY + timedelta(days=5))
        _submit(at, "cases_mark_form")
        assert not at.exception and any(expect in e.value for e in at.error), [e.value for e in at.error]
    at = app(CASES, "cs_hq", "en").run()  # a review without a root cause or any action: both named
    at.text_input(key="cases_ref").set_value("CSA1")
    _submit(at, "cases_mark_form")
    assert any("Root cause" in e.value and "Preventive actions" in e.value for e in at.error)
    assert at.text_input(key="cases_ref").value == "CSA1"  # what was typed is kept
    with session_scope(page_engine()) as s:
        assert s.scalar(select(func.count()).select_from(TypicalCase)) <= before + 1  # + CSA1 if marked above
        assert s.scalar(select(func.count()).select_from(TypicalCase).join(
            Complaint, Complaint.id == TypicalCase.complaint_id).where(Complaint.ref == "NOPE-1")) == 0


def test_executive_reads_masked_and_library_finds_by_tag():
    at = app(CASES, "cs_exec")
    at.session_state["cases_open"] = "CSB1"
    at.run()
    assert not at.exception, at.exception
    assert "案*** 139****0001" in [t.value for t in at.text_input]
    assert "13912340001" not in _all_text(at) and "案例张三" not in _all_text(at)
    assert not [b for b in at.button if b.key == "cases_reveal"]  # executives cannot reveal
    at.selectbox(key="cases_tag").set_value("案例乙标签").run()
    assert list(_frame(at, "标签")["投诉编号"]) == ["CSB1"]
    at.selectbox(key="cases_tag").set_value("").run()
    at.multiselect(key="cases_case_col_company").set_value(["案例乙公司"]).run()
    assert list(_frame(at, "标签")["投诉编号"]) == ["CSB1"]
    # staff reveal the one record, audited
    staff = app(CASES, "cs_hq")
    staff.session_state["cases_open"] = "CSB1"
    staff.run()
    staff.button(key="cases_reveal").click().run()
    assert "案例张三 13912340001" in [t.value for t in staff.text_input]
    with session_scope(page_engine()) as s:
        assert s.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.actor == "cs_hq", AuditLog.action == "reveal_personal_data", AuditLog.entity_id == "CSB1")) == 1


def _frame(at, column: str):
    """The first table on the page with this column (tables are found by what a user reads)."""
    return [df.value for df in at.dataframe if column in df.value.columns][0]


def _state(at, company: str) -> str:
    table = _frame(at, "重报次数")
    return dict(zip(table.iloc[:, 0], table.iloc[:, 2], strict=True))[company]


def test_unit_report_submit_return_resubmit_through_the_pages():
    # on time unless today is past the due day (28) of this month: the rule by hand
    on_time = "已按时上报" if TODAY.day <= 28 else "逾期上报"
    at = app(UNITS, "cs_staff_a").run()
    assert at.selectbox(key="urep_company").options == ["案例甲公司"]  # own company only
    assert at.selectbox(key="urep_month").value == MONTH
    assert _state(at, "案例甲公司") in ("待上报", "未上报（已逾期）")
    [area for area in at.text_area if area.label == "投诉分析"][0].set_value("甲公司分析")
    _submit(at, "urep_submit_form")
    assert any("改进措施" in e.value for e in at.error), [e.value for e in at.error]  # actions left blank
    assert _state(at, "案例甲公司") in ("待上报", "未上报（已逾期）")  # nothing written
    [area for area in at.text_area if area.label == "改进措施"][0].set_value("甲公司措施")
    _submit(at, "urep_submit_form")
    assert not at.exception and [m.value for m in at.success] == [f"已上报 案例甲公司 {MONTH}"]
    assert _state(at, "案例甲公司") == on_time
    assert not [b for b in at.button if b.proto.form_id]  # submitted: no form for the company; returns are HQ's
    hq = app(UNITS, "cs_hq", "en").run()
    hq.selectbox(key="urep_company").set_value("案例甲公司").run()
    [area for area in hq.text_area if area.label == "Comments"][0].set_value("请补充原因")
    _submit(hq, "urep_return_form")
    assert not hq.exception and [m.value for m in hq.success] == [f"Returned 案例甲公司 {MONTH}"]
    at = app(UNITS, "cs_staff_a").run()
    assert _state(at, "案例甲公司") == "已退回"
    assert any("请补充原因" in w.value for w in at.warning)
    _submit(at, "urep_submit_form")  # the texts as submitted come back prefilled: resubmit as they are
    assert _state(at, "案例甲公司") == on_time  # lateness is the first submission's
    with session_scope(page_engine()) as s:
        report = s.scalar(select(UnitReport).join(Company, Company.id == UnitReport.company_id)
                          .where(Company.name == "案例甲公司", UnitReport.month == MONTH))
        assert (report.status, report.resubmissions, report.analysis) == ("submitted", 1, "甲公司分析")
    ex = app(UNITS, "cs_exec").run()  # executives read, never write
    ex.selectbox(key="urep_company").set_value("案例甲公司").run()
    assert not [b for b in ex.button if b.proto.form_id] and "甲公司分析" in _all_text(ex)


def test_overview_shows_unit_report_status_in_scope():
    at = app("app.py", "cs_staff_a").run()
    assert not at.exception, at.exception
    assert any(h.value == f"月度上报情况（{MONTH}）" for h in at.subheader)
    table = [df.value for df in at.dataframe if list(df.value.columns) == ["公司", "状态"]][0]
    assert list(table["公司"]) == ["案例甲公司"]
    hq = app("app.py", "cs_hq", "en").run()
    names = [list(df.value["Company"]) for df in hq.dataframe if list(df.value.columns) == ["Company", "Status"]][0]
    assert "案例甲公司" in names and "案例乙公司" in names
