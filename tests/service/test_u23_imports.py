"""Issue #23 items 7 and 8: a dry run shows what an import would change, field by field, and writes
nothing; refused imports are audited in a transaction of their own; the error report names an
impossible date as such, lists a vocabulary's allowed values and names columns by the file's header."""
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lib.db import session_scope
from lib.imports.base import record_refusal
from lib.imports.core import error_report
from lib.imports.reader import ImportRejected
from lib.imports.registry import import_file
from lib.models import AuditLog, Employee

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
ROSTER = "工号,姓名,公司,部门,是否管理层,入职日期,离职日期\n"


def test_a_dry_run_lists_each_changed_field_and_writes_nothing(engine):
    with session_scope(engine) as session:
        import_file("employees", (ROSTER + "E1,张三,深圳公司,客服部,否,2021-08-27,\n"
                                  "E2,李四,深圳公司,工程部,是,2020-01-02,\n").encode(), "a.csv",
                    session=session, actor="t")
    edited = (ROSTER + "E1,张三,深圳公司,物业部,否,2021-08-27,\n"   # department changes
              "E2,李四,深圳公司,工程部,是,2020-01-02,\n"             # unchanged
              "E3,王五,深圳公司,客服部,否,2022-03-04,\n").encode()   # new
    with session_scope(engine) as session:
        preview = import_file("employees", edited, "b.csv", session=session, actor="t", dry_run=True)
    assert (preview.inserted, preview.updated, preview.unchanged) == (1, 1, 1)
    assert preview.changed_fields == {"department": 1}
    assert preview.changes == [{"key": "E1", "field": "department", "old": "客服部", "new": "物业部"}]
    with session_scope(engine) as session:  # nothing written by the dry run
        assert session.scalar(select(Employee.department).where(Employee.employee_no == "E1")) == "客服部"
        assert session.scalar(select(func.count()).select_from(Employee)) == 2
        result = import_file("employees", edited, "b.csv", session=session, actor="t")
    assert (result.inserted, result.updated, result.unchanged) == (1, 1, 1)
    with session_scope(engine) as session:
        assert session.scalar(select(Employee.department).where(Employee.employee_no == "E1")) == "物业部"


def test_a_refused_import_is_audited_in_its_own_transaction(engine):
    bad = (ROSTER + "E1,张三,深圳公司,客服部,否,2021-02-30,\n").encode()
    with pytest.raises(ImportRejected) as caught, session_scope(engine) as session:
        import_file("employees", bad, "bad.csv", session=session, actor="staff9")
    record_refusal(engine, actor="staff9", kind="employees", filename="bad.csv", exc=caught.value, dry_run=True)
    with session_scope(engine) as session:
        rows = session.execute(select(AuditLog.actor, AuditLog.action, AuditLog.entity)
                               .where(AuditLog.action == "import_refused")).all()
    assert [tuple(r) for r in rows] == [("staff9", "import_refused", "employee")]


COMPLAINTS = "投诉编号,受理时间,渠道,公司,城市,项目\n"


def test_the_report_says_not_a_real_date_lists_allowed_values_and_uses_the_files_header(session):
    data = (COMPLAINTS + "T1,2020/02/30 10:00,热线,A公司,深圳,深圳花园\n"
            "T2,2020/02/03 10:00,电报,A公司,深圳,深圳花园\n").encode()
    with pytest.raises(ImportRejected) as caught:
        import_file("complaints", data, "c.csv", session=session, actor="t")
    report = error_report(caught.value.errors)
    assert report["行号 row"].tolist() == [2, 3]
    assert report["列 column"].tolist() == ["受理时间", "渠道"]
    assert report["reason"].iloc[0] == "not a real date or time"
    assert report["原因"].iloc[0] == "不是真实存在的日期或时间"
    assert report["reason"].iloc[1] == ("not a known channel; allowed: Hotline, WeChat, Mini program, Email, "
                                        "Letter, Visit, Web form, Forum, Other")
    assert report["原因"].iloc[1] == "不是可识别的取值，可选：热线、微信公众号、小程序、邮件、信函、来访、在线表单、论坛、其他"
    assert [e.column for e in caught.value.errors] == ["received_at", "channel"]  # the code stays for programs
