"""Issue #23 items 7 and 13 on the pages: an upload is checked first (a preview of what would be added,
updated field by field, unchanged), written only on confirmation, and the page is drawn again from
fresh caches; a refused upload is audited; filters are kept in the address bar."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import streamlit as st
from sqlalchemy import delete, func, select

from lib import config
from lib.db import local_now, make_engine, session_scope
from lib.imports.registry import import_file
from lib.models import AuditLog, Company, Complaint, Employee
from tests.pages.conftest import app

ROSTER = "工号,姓名,公司,部门,是否管理层,入职日期,离职日期\n"


class _Upload:
    def __init__(self, data: bytes, name: str) -> None:
        self.data, self.name = data, name

    def getvalue(self) -> bytes:
        return self.data


@pytest.fixture
def roster(monkeypatch):
    """One stored employee (E990001, 客服部) of the demo's first company; the files the uploader hands over."""
    engine = make_engine(config.get_settings().database_url)
    with session_scope(engine) as session:
        company = session.scalar(select(Company.name).order_by(Company.id))
        import_file("employees", (ROSTER + f"E990001,测试甲,{company},客服部,否,2021-08-27,\n").encode(), "a.csv",
                    session=session, actor="t")
    files: dict[str, _Upload] = {}
    real = st.file_uploader
    monkeypatch.setattr(st, "file_uploader", lambda label, *a, key=None, **k: files.get(key) if key in files
                        else real(label, *a, key=key, **k))
    yield engine, company, files
    with session_scope(engine) as session:
        session.execute(delete(Employee).where(Employee.employee_no.in_(["E990001", "E990002"])))


def _department(engine, number: str) -> str | None:
    with session_scope(engine) as session:
        return session.scalar(select(Employee.department).where(Employee.employee_no == number))


def test_an_upload_is_previewed_field_by_field_and_written_only_when_confirmed(roster):
    engine, company, files = roster
    files["employees_upload"] = _Upload((ROSTER + f"E990001,测试甲,{company},物业部,否,2021-08-27,\n"
                                         f"E990002,测试乙,{company},客服部,否,2022-03-04,\n").encode(), "b.csv")
    at = app("pages/5_Listening.py", "staff1")
    at.run()
    assert not at.exception, at.exception
    at.button(key="employees_import_btn").click().run()
    assert not at.exception, at.exception
    preview = [i.value for i in at.info if i.value.startswith("预览")]
    assert preview == ["预览（尚未写入）：共 2 行，将新增 1，更新 1，未变 0，拒绝 0，新建项目 0。确认后才会写入。"]
    changes = next(d.value for d in at.dataframe if "导入后" in d.value.columns)
    assert changes.columns.tolist() == ["记录", "字段", "现值", "导入后"]
    assert changes.values.tolist() == [["E990001", "部门", "客服部", "物业部"]]
    assert "将被更改的字段（记录数）：部门 \\(1\\)" in [m.value for m in at.markdown]
    assert _department(engine, "E990001") == "客服部" and _department(engine, "E990002") is None  # nothing written
    at.button(key="employees_import_confirm").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["导入完成：共 2 行，新增 1，更新 1，未变 0，新建项目 0。"]
    assert _department(engine, "E990001") == "物业部" and _department(engine, "E990002") == "客服部"
    assert not [b for b in at.button if b.key == "employees_import_confirm"]  # the preview is gone


def test_a_refused_upload_is_audited(roster):
    engine, company, files = roster
    files["employees_upload"] = _Upload((ROSTER + f"E990002,测试乙,{company},客服部,否,2022-02-30,\n").encode(),
                                        "bad.csv")
    with session_scope(engine) as session:
        before = session.scalar(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1))
    at = app("pages/5_Listening.py", "staff1")
    at.run()
    at.button(key="employees_import_btn").click().run()
    assert not at.exception, at.exception
    report = next(d.value for d in at.dataframe if "原因" in d.value.columns)
    assert report.iloc[0].tolist()[:2] == [2, "入职日期"] and report["原因"].tolist() == ["不是真实存在的日期或时间"]
    with session_scope(engine) as session:
        rows = session.execute(select(AuditLog.actor, AuditLog.action, AuditLog.detail)
                               .where(AuditLog.id > before)).all()
    assert [(r.actor, r.action) for r in rows] == [("staff1", "import_refused")]
    assert '"rows_refused": 1' in rows[0].detail and '"file": "bad.csv"' in rows[0].detail


def _all(params, name: str) -> list[str]:
    value = params.get(name, [])
    return list(value) if isinstance(value, list | tuple) else [value]


def test_filters_are_kept_in_the_address_and_a_fresh_session_opens_on_them():
    at = app("pages/2_Complaint_Register.py", "staff1")
    at.run()
    assert not at.exception, at.exception
    company = at.multiselect(key="register_company").options[0]
    at.multiselect(key="register_company").select(company)
    at.segmented_control(key="register_period").set_value("period_month").run()
    assert not at.exception, at.exception
    assert _all(at.query_params, "company") == [company] and _all(at.query_params, "period") == ["period_month"]
    again = app("pages/2_Complaint_Register.py", "staff1")  # a refresh: a new session, the same address
    again.query_params["company"] = company
    again.query_params["period"] = "period_month"
    again.run()
    assert not again.exception, again.exception
    assert again.multiselect(key="register_company").value == [company]
    assert again.segmented_control(key="register_period").value == "period_month"
    again.multiselect(key="register_company").unselect(company).run()  # the user's own choice then stands
    assert again.multiselect(key="register_company").value == []
    assert "company" not in again.query_params


def test_the_register_pages_past_500_rows():
    engine = make_engine(config.get_settings().database_url)
    with session_scope(engine) as session:
        # the page's own window: other page tests add complaints dated after today (the inbox test's 2031 breach)
        total = session.scalar(select(func.count()).select_from(Complaint).where(
            Complaint.status != "void", Complaint.received_at < datetime.combine(local_now().date() + timedelta(days=1),
                                                                                  datetime.min.time())))
    assert total > 1000  # the demo's 1500 complaints, void ones aside
    at = app("pages/2_Complaint_Register.py", "staff1")
    at.query_params["from"] = "2000-01-01"
    at.query_params["to"] = local_now().date().isoformat()
    at.run()
    assert not at.exception, at.exception
    first = next(d.value for d in at.dataframe)
    assert len(first) == 500
    assert "第 1 页：第 1–500 条；下一页还有。" in [c.value for c in at.caption]
    at.number_input(key="register_page").set_value(3).run()
    assert not at.exception, at.exception
    third = next(d.value for d in at.dataframe)
    # other page tests add complaints during the session: past 1,500 there is a fourth page
    assert len(third) == min(500, total - 1000)
    last = min(1500, total)
    caption = f"第 3 页：第 1001–{last} 条（末页）。" if total <= 1500 else "第 3 页：第 1001–1500 条；下一页还有。"
    assert caption in [c.value for c in at.caption]
    assert not set(third.iloc[:, 0]) & set(first.iloc[:, 0])  # other complaints, not page 1 again


def test_the_admin_exports_the_audit_log_as_filtered_and_the_export_is_audited():
    import csv
    import io
    import threading

    from tests.pages.test_downloads import _downloaded

    for timer in [t for t in threading.enumerate() if isinstance(t, threading.Timer)]:
        timer.join(timeout=10)  # earlier clicks' download expiry would race this fetch
    engine = make_engine(config.get_settings().database_url)
    with session_scope(engine) as session:
        before = session.scalar(select(func.max(AuditLog.id)))
    at = app("pages/9_Admin.py", "admin1")
    at.run()
    assert not at.exception, at.exception
    shown = next(d.value for d in at.dataframe if "操作人" in d.value.columns)
    data = _downloaded(at, "admin_audit_export_csv")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == list(shown.columns) and len(rows) - 1 == len(shown)  # the header, the rows the table shows
    with session_scope(engine) as session:
        audited = session.execute(select(AuditLog.actor, AuditLog.action, AuditLog.entity)
                                  .where(AuditLog.id > before, AuditLog.action == "export")).all()
    assert [tuple(r) for r in audited] == [("admin1", "export", "audit_log")]
    staff = app("pages/9_Admin.py", "staff1").run()  # not an admin: no page, no button
    assert not [b for b in staff.get("download_button") if b.key == "admin_audit_export_csv"]
