"""Issue #22 (SPEC §11), read side in the running app (AppTest): a scoped user's scope comes from the
database through page_setup, and the register, links, details, the overview's league and the monthly
report show that scope only."""
from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from lib import scope
from lib.config import get_settings
from lib.db import local_now, make_engine, session_scope
from lib.kpis.common import KpiFilter
from lib.models import Company, Complaint, Project
from lib.services import complaints, overview, reports, seed, users
from tests.pages.conftest import ROOT
from tests.pages.test_real_path_permissions import _fetch

SCOPED = {"rd_sz_staff": ("staff", "company:深圳公司"), "rd_sz_exec": ("executive", "company:深圳公司"),
          "rd_hn_exec": ("executive", "region:华南")}
OTHERS = [name for name, _, _ in seed.COMPANIES if name != "深圳公司"]


def _engine():
    return make_engine(get_settings().database_url)


@pytest.fixture(scope="module", autouse=True)
def scoped_users(app_database):
    with session_scope(_engine()) as session:
        for username, (role, text) in SCOPED.items():
            if users.get_user(session=session, username=username) is None:
                users.add_user(session=session, username=username, role=role, name=username,
                               password="scoped-pass-1", scope=scope.parse(text))


def app(script: str, username: str, lang: str | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if script != "app.py":
        at.switch_page(script)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state["name"] = username
    at.session_state["roles"] = [SCOPED.get(username, ("admin",))[0]]  # role and scope come from the database
    if lang:
        at.session_state["crhq_lang"] = lang
    return at


def _ref_of(company: str) -> str:
    with session_scope(_engine(), readonly=True) as session:
        return session.scalar(select(Complaint.ref).join(Project, Project.id == Complaint.project_id)
                              .join(Company, Company.id == Project.company_id).where(Company.name == company)
                              .order_by(Complaint.received_at.desc()).limit(1))


def _ytd() -> KpiFilter:
    today = local_now().date()
    return KpiFilter(date(today.year, 1, 1), today)


def test_a_company_scoped_user_sees_only_its_own_complaints_in_the_register():
    at = app("pages/2_Complaint_Register.py", "rd_sz_staff").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert len(table) and set(table["公司"]) == {"深圳公司"}
    with session_scope(_engine(), readonly=True) as session:
        expected = complaints.list_frame(KpiFilter(_ytd().start, _ytd().end, companies=("深圳公司",)), session=session)
    assert list(table["编号"]) == list(expected["ref"])
    assert at.multiselect(key="register_company").options == ["深圳公司"]
    assert "深圳公司" in "".join(c.value for c in at.sidebar.caption)  # the sidebar names the scope
    # the HQ queue (level 1): its escalated complaints stay in its own scope
    at.segmented_control(key="register_queue").set_value(1).run()
    queue = at.dataframe[0].value
    assert set(queue["公司"]) <= {"深圳公司"}
    with session_scope(_engine(), readonly=True) as session:
        escalated = complaints.list_frame(KpiFilter(_ytd().start, _ytd().end, companies=("深圳公司",)),
                                          session=session, extra=complaints.queue_conditions(1))
    assert len(escalated) and list(queue["编号"]) == list(escalated["ref"])


@pytest.mark.parametrize("lang, message", [("zh", "“广州公司”（公司）不在您的数据范围内。"),
                                           ("en", "“广州公司” (Company) is outside your data scope.")])
@pytest.mark.parametrize("script", ["pages/1_Complaints.py", "pages/7_Explore.py", "pages/6_Surveys.py"])
def test_a_link_naming_another_company_is_refused_with_a_message(script, lang, message):
    with session_scope(_engine()) as session:  # the language a page uses is the user's, from the database
        users.set_language(session=session, username="rd_sz_exec", language=lang)
    try:
        at = app(script, "rd_sz_exec")
        at.query_params["company"] = "广州公司"
        at.run()
    finally:
        with session_scope(_engine()) as session:
            users.set_language(session=session, username="rd_sz_exec", language="zh")
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [message]
    assert not at.metric and not at.dataframe


def test_the_detail_of_another_companys_complaint_is_refused_typed_or_linked():
    ref = _ref_of("广州公司")
    at = app("pages/2_Complaint_Register.py", "rd_sz_staff")
    at.query_params["ref"] = ref
    at.run()
    assert not at.exception, at.exception
    assert f"记录 {ref} 不在您的数据范围内。" in [e.value for e in at.error]
    assert ref not in at.dataframe[0].value["编号"].tolist()
    typed = app("pages/2_Complaint_Register.py", "rd_sz_staff")
    typed.session_state["reg_open_ref"] = ref
    typed.run()
    assert f"记录 {ref} 不在您的数据范围内。" in [e.value for e in typed.error]
    own = _ref_of("深圳公司")
    mine = app("pages/2_Complaint_Register.py", "rd_sz_staff")
    mine.session_state["reg_open_ref"] = own
    mine.run()
    assert not mine.error and own in mine.subheader[0].value


def _league(at):
    data = at.dataframe[0].value
    return getattr(data, "data", data)  # a styled table


def test_the_league_shows_the_own_row_and_its_rank_among_all():
    with session_scope(_engine(), readonly=True) as session:
        full = overview.league(_ytd(), session=session)
    # ranked among the companies with enough cases (#23: one below the minimum sample has no rank)
    rank = {c: f"{r} / {n}" if r is not None else "—" for r, n, c in zip(full["rank"], full["of"], full["company"],
                                                                         strict=True)}
    at = app("app.py", "rd_sz_exec").run()
    assert not at.exception, at.exception
    league = _league(at)
    assert list(league["公司"]) == ["深圳公司"] and list(league["排名"]) == [rank["深圳公司"]]
    # ranked among every company in the database (other page tests may have imported more than the seed's)
    assert {name for name, _, _ in seed.COMPANIES} <= set(full["company"])
    region = _league(app("app.py", "rd_hn_exec").run())
    assert list(region["公司"]) == sorted(["深圳公司", "广州公司"], key=lambda c: int(rank[c].split(" / ")[0]))
    assert list(region["排名"]) == [rank[c] for c in region["公司"]]
    movers = at.dataframe[1].value if len(at.dataframe) > 1 else None
    if movers is not None:
        assert set(movers["公司"]) <= {"深圳公司"}


def test_the_monthly_report_from_the_overview_names_no_other_company():
    at = app("app.py", "rd_sz_exec").run()
    month = at.selectbox(key="overview_report_month").value
    at.button(key="overview_report_prepare").click().run()
    assert not at.exception, at.exception
    data = _fetch(next(b for b in at.get("download_button") if b.key == "overview_report_dl"))
    book = load_workbook(io.BytesIO(data))
    cells = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert any("深圳公司" in c for c in cells), month
    leaked = [(other, c) for c in cells for other in OTHERS if other in c]
    assert not leaked, leaked[:5]
    with session_scope(_engine(), readonly=True) as session:  # its rank among all ranked (#23: enough cases)
        ranked = int(overview.league(reports.month_filter(month), session=session)["of"].iloc[0])
    assert any(c.endswith(f" / {ranked}") or c == "— 样本不足 too few" for c in cells)


def test_the_complaints_page_counts_the_scope_only():
    from lib.i18n import format_number, kpi_label
    from lib.kpis import complaints as complaint_kpis

    with session_scope(_engine(), readonly=True) as session:
        own = complaint_kpis.compute(KpiFilter(_ytd().start, _ytd().end, companies=("深圳公司",)), session=session)
        everyone = complaint_kpis.compute(_ytd(), session=session)
    assert own.kpis["complaints"] < everyone.kpis["complaints"]
    at = app("pages/1_Complaints.py", "rd_sz_exec").run()
    assert not at.exception, at.exception
    cards = {m.label: m.value for m in at.metric}
    assert cards[kpi_label("complaints", "zh")] == format_number(own.kpis["complaints"])
    assert at.multiselect(key="complaints_company").options == ["深圳公司"]


def test_the_admin_sees_scopes_and_changes_one_audited():
    from lib.models import AuditLog

    with session_scope(_engine()) as session:
        if users.get_user(session=session, username="rd_scope_target") is None:
            users.add_user(session=session, username="rd_scope_target", role="staff", name="t",
                           password="scoped-pass-1", scope=scope.parse("company:深圳公司"))
    at = app("pages/9_Admin.py", "admin1").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value.set_index("用户名")
    assert table.loc["rd_hn_exec", "数据范围"] == "区域 华南" and table.loc["admin1", "数据范围"] == "集团（全部）"
    at.selectbox(key="admin_scope_target").set_value("rd_scope_target")
    at.radio(key="admin_scope_scope_kind").set_value("entries")
    at.multiselect(key="admin_scope_scope_company").set_value(["广州公司"])
    at.multiselect(key="admin_scope_scope_project").set_value(["深圳公司/" + _project_of("深圳公司")])
    next(b for b in at.button if b.proto.form_id == "admin_scope_form").click().run()
    at.button(key="admin_confirm_yes").click().run()  # issue #23: the change is confirmed first
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    with session_scope(_engine(), readonly=True) as session:
        info = users.get_user(session=session, username="rd_scope_target")
        entry = session.scalar(select(AuditLog).where(AuditLog.action == "user_scope",
                                                      AuditLog.entity_id == "rd_scope_target"))
    assert info.scope == scope.Scope(companies=("广州公司",), projects=(("深圳公司", _project_of("深圳公司")),))
    assert entry is not None


def _project_of(company: str) -> str:
    with session_scope(_engine(), readonly=True) as session:
        return session.scalar(select(Project.name).join(Company, Company.id == Project.company_id)
                              .where(Company.name == company).order_by(Project.name).limit(1))
