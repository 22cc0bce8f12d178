"""Every page × every role (and nobody logged in), in both languages, with AppTest."""
import json
import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lib.config import get_settings
from lib.db import local_now, make_engine, session_scope
from lib.models import AuditLog, Complaint
from lib.pages import PAGES
from lib.services import issues, users
from tests.pages.conftest import PASSWORDS, app, stored_language

ROLE_USERS = {"executive": "exec1", "staff": "staff1", "admin": "admin1"}


def _texts(at) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.title] + [e.value for e in at.error]
    parts += [e.value for e in at.subheader] + [m.label for m in at.metric] + [e.value for e in at.caption]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("spec", PAGES, ids=lambda s: s.page_id)
@pytest.mark.parametrize("role", ["executive", "staff", "admin"])
def test_page_for_role_in_both_languages(spec, role):
    at = app(spec.path, ROLE_USERS[role]).run()
    assert not at.exception, at.exception
    if role in spec.roles:
        assert not [e for e in at.error if "无权" in e.value]
    else:
        assert [e.value for e in at.error] == ["您的角色无权访问此页面。"]
        assert not at.dataframe and not at.metric  # refused: no data on the page
    with stored_language(ROLE_USERS[role], "en"):
        at = app(spec.path, ROLE_USERS[role]).run()
        assert not at.exception, at.exception
        if role in spec.roles:
            assert at.title and not any("\u4e00" <= ch <= "\u9fff" for ch in at.title[0].value)
        else:
            assert [e.value for e in at.error] == ["Your role may not open this page."]
            assert not at.dataframe and not at.metric


@pytest.mark.parametrize("spec", PAGES, ids=lambda s: s.page_id)
def test_page_without_login_shows_only_the_login_form(spec):
    at = app(spec.path).run()
    assert not at.exception
    assert "登录" in _texts(at)
    assert not at.metric and not at.dataframe


def test_overview_in_both_languages_and_the_choice_persists_for_the_user():
    at = app("app.py", "exec1").run()
    assert not at.exception
    assert len(at.metric) == 13  # nine headline KPIs and a volume per area
    assert [m.label for m in at.metric if m.label.endswith(" 解决率")]
    _assert_real_figures(at)
    at.radio(key="crhq_lang_switch").set_value("en").run()
    assert [m.label for m in at.metric if m.label.endswith(" Resolution rate")]
    assert at.title[0].value == "HQ customer-relations overview"
    fresh = app("app.py", "exec1").run()  # a new browser session of the same user
    assert [m.label for m in fresh.metric if m.label.endswith(" Resolution rate")]
    with stored_language("exec1", "zh"):
        pass
    again = app("app.py", "exec1").run()
    assert [m.label for m in again.metric if m.label.endswith(" 解决率")]


FIGURE = re.compile(r"-?\d{1,3}(,\d{3})*(\.\d)?%?")  # 1,234 · 12.5 · 87.5% (lib.i18n.format_number/_rate)


def _assert_real_figures(at) -> None:
    """Every card shows a figure, not the "—" of an empty denominator or a missing value (the seeded
    year has complaints, surveys and listening data), nor a raw float."""
    values = {m.label: m.value for m in at.metric}
    assert values and all(FIGURE.fullmatch(str(v)) for v in values.values()), values


def test_wrong_password_gives_a_clear_message_and_no_session():
    at = app("app.py").run()
    at.text_input(key="crhq_login_user").input("staff1")
    at.text_input(key="crhq_login_password").input("not-the-password")
    at.button[0].click().run()
    assert any(e.value.startswith("登录未成功：用户名或密码错误") for e in at.error)
    assert not at.session_state["authentication_status"]
    assert not at.metric


def test_right_password_logs_in_and_is_audited():
    at = app("app.py").run()
    at.text_input(key="crhq_login_user").input("staff1")
    at.text_input(key="crhq_login_password").input(PASSWORDS["staff1"])
    at.button[0].click().run()
    assert at.session_state["authentication_status"] is True
    assert len(at.metric) == 13
    with session_scope(make_engine(get_settings().database_url)) as session:
        actions = [a for (a,) in session.execute(select(AuditLog.action).where(AuditLog.actor == "staff1"))]
    assert "login" in actions


def test_disabled_user_is_thrown_out_on_next_run():
    engine = make_engine(get_settings().database_url)
    with session_scope(engine) as session:
        users.add_user(session=session, username="temp1", role="staff", name="temp", password="temp-pass-1")
    at = app("app.py")
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "temp1"
    at.session_state["roles"] = ["admin"]  # a forged role in the session is ignored
    at.run()
    assert len(at.metric) == 13
    at.switch_page("pages/9_Admin.py").run()
    assert [e.value for e in at.error] == ["您的角色无权访问此页面。"]
    with session_scope(engine) as session:
        users.set_active(session=session, username="temp1", active=False, actor="admin1")
    at.switch_page("app.py").run()
    assert not at.metric
    assert at.session_state["authentication_status"] is None


def test_admin_adds_a_user():
    at = app("pages/9_Admin.py", "admin1").run()
    assert not at.exception
    at.text_input(key="admin_new_username").input("newbie")
    at.text_input(key="admin_new_fullname").input("新人")
    at.text_input(key="admin_new_password").input("short")
    at.button[0].click().run()
    assert "密码至少 8 位。" in [e.value for e in at.error]
    engine = make_engine(get_settings().database_url)
    with session_scope(engine) as session:
        assert users.get_user(session=session, username="newbie") is None


@pytest.mark.parametrize(("username", "can_import"), [("exec1", False), ("staff1", True), ("admin1", True)])
def test_complaints_page_kpis_and_import_only_for_writers(username, can_import):
    at = app("pages/1_Complaints.py", username).run()
    assert not at.exception, at.exception
    labels = [m.label for m in at.metric]
    assert "解决率" in labels and "投诉量" in labels
    _assert_real_figures(at)
    # the volume card against a plain count of the default period (year to date, China's date): every
    # complaint received from 1 January up to now, void ones left out
    today = local_now().date()
    with session_scope(make_engine(get_settings().database_url), readonly=True) as session:
        expected = session.scalar(select(func.count()).select_from(Complaint).where(
            Complaint.received_at >= datetime(today.year, 1, 1), Complaint.received_at < datetime.combine(
                today + timedelta(days=1), datetime.min.time()), Complaint.status != "void"))
    assert next(m.value for m in at.metric if m.label == "投诉量") == f"{expected:,}" and expected > 0
    assert bool([b for b in at.button if b.label == "导入"] or at.get("file_uploader")) is can_import


def test_complaints_page_filters_change_the_figures():
    at = app("pages/1_Complaints.py", "staff1").run()
    total = int(next(m.value for m in at.metric if m.label == "投诉量").replace(",", ""))
    at.multiselect(key="complaints_channel").set_value(["forum"]).run()
    forum = int(next(m.value for m in at.metric if m.label == "投诉量").replace(",", ""))
    assert 0 < forum < total


def test_staff_logs_a_complaint_and_moves_it_along_its_lifecycle():
    at = app("pages/2_Complaint_Register.py", "staff1").run()
    at.text_area(key="reg_new_description").input("电梯停运三天")
    at.text_input(key="reg_new_name").input("王五")
    at.text_input(key="reg_new_phone").input("13900001111")
    [b for b in at.button if b.label == "保存"][0].click().run()
    assert not at.exception, at.exception
    logged = [s.value for s in at.success]
    assert logged and logged[0].startswith("已登记投诉 TS")
    ref = logged[0].split()[1].rstrip("。")
    assert at.subheader[-1].value == f"{ref} · 已受理"
    # The first action offered is the first response; recording it moves the complaint to in progress.
    at.text_area(key="reg_act_note").input("已电话联系业主")
    [b for b in at.button if b.label == "保存"][-1].click().run()
    assert not at.exception, at.exception
    assert at.subheader[-1].value == f"{ref} · 处理中"
    history = at.dataframe[-1].value
    assert list(history["操作"]) == ["登记", "首次响应"]
    assert list(history["操作人"]) == ["staff1", "staff1"]


def test_executive_sees_masked_personal_data_and_no_row_export_or_actions():
    at = app("pages/2_Complaint_Register.py", "exec1").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    phones = [p for p in table["联系电话"] if isinstance(p, str) and p]
    assert phones and all("****" in p for p in phones)
    assert all(len(n) >= 2 and set(n[1:]) == {"*"} for n in table["投诉人"] if isinstance(n, str) and n)
    assert not [b for b in at.get("download_button")]
    assert not [e for e in at.expander if "登记" in e.label]


def test_staff_see_masked_lists_reveal_one_record_audited_and_can_export():
    at = app("pages/2_Complaint_Register.py", "staff1").run()
    table = at.dataframe[0].value
    phones = [p for p in table["联系电话"] if isinstance(p, str) and p]
    assert phones and all("****" in p for p in phones)  # lists are masked for everyone
    assert len(at.get("download_button")) == 2  # the export (audited) carries full data for staff
    ref = next(r for r, p in zip(table["编号"], table["联系电话"], strict=True) if p)
    at.session_state["reg_open_ref"] = ref
    at.run()
    phone = at.text_input(key=_fact_key(at, "联系电话"))
    assert "****" in phone.value
    at.button(key="reg_reveal").click().run()
    assert not at.exception, at.exception
    revealed = at.text_input(key=_fact_key(at, "联系电话")).value
    assert "*" not in revealed and len(revealed) >= 8
    with session_scope(make_engine(get_settings().database_url)) as session:
        entries = session.execute(select(AuditLog.actor, AuditLog.entity_id).where(
            AuditLog.action == "reveal_personal_data")).all()
    assert ("staff1", ref) in entries
    boss = app("pages/2_Complaint_Register.py", "exec1")
    boss.session_state["reg_open_ref"] = ref
    boss.run()
    assert not [b for b in boss.button if b.key == "reg_reveal"]  # executives cannot reveal

    # Picking another complaint shows that complaint's facts, not the previous one's.
    other = next(r for r in table["编号"] if r != ref)
    at.session_state["reg_open_ref"] = other
    at.run()
    assert at.subheader[-1].value.startswith(other) or other in at.subheader[-1].value
    assert "****" in boss.text_input(key=_fact_key(boss, "联系电话")).value


def _fact_key(at, label: str) -> str:
    return next(w.key for w in at.text_input if w.key and w.key.startswith("reg_fact_") and w.label == label)


def test_admin_changes_the_sla_and_due_times_follow():
    at = app("pages/9_Admin.py", "admin1").run()
    at.number_input(key="admin_sla_resolution_ordinary_working_days").set_value(8.0)
    [b for b in at.button if b.proto.form_id == "admin_sla_form"][0].click().run()
    assert not at.exception, at.exception
    saved = [s.value for s in at.success]
    assert saved and saved[0].startswith("已保存；") and "条投诉的时限已重新计算" in saved[0]
    engine = make_engine(get_settings().database_url)
    with session_scope(engine) as session:
        logged = session.scalar(select(AuditLog).where(AuditLog.action == "sla_recompute"))
        assert logged is not None and logged.actor == "admin1"
    at.number_input(key="admin_sla_resolution_ordinary_working_days").set_value(7.0)  # put it back
    [b for b in at.button if b.proto.form_id == "admin_sla_form"][0].click().run()


def _issues_raised(at) -> int:
    return int([m.value for m in at.metric if m.label == "监督员问题数"][0].replace(",", ""))


def test_staff_logs_a_supervisor_issue_and_the_executive_sees_it_counted():
    before = _issues_raised(app("pages/3_Supervisors.py", "exec1").run())
    at = app("pages/4_Issues.py", "staff1").run()
    assert not at.exception, at.exception
    with session_scope(make_engine(get_settings().database_url)) as session:
        first = next(iter(issues.supervisor_choices(session=session)))
    at.multiselect(key="iss_new_supervisors").select(first)
    at.text_area(key="iss_new_description").input("小区门口交通拥堵，需协调交警")
    at.selectbox(key="iss_new_party").set_value("third_party")
    [b for b in at.button if b.label == "保存"][0].click().run()
    assert not at.exception, at.exception
    logged = [s.value for s in at.success]
    assert logged and logged[0].startswith("已登记问题 JD")
    ref = logged[0].split()[1].rstrip("。")
    assert at.subheader[-1].value == f"{ref} · 待受理"
    # The first responder acknowledges it; the update log shows who did what.
    at.text_area(key="iss_act_note").input("已联系交警大队")
    [b for b in at.button if b.label == "保存"][-1].click().run()
    assert at.subheader[-1].value == f"{ref} · 已受理"
    assert list(at.dataframe[-1].value["操作"]) == ["登记", "受理"]
    assert _issues_raised(app("pages/3_Supervisors.py", "exec1").run()) == before + 1


def test_supervisor_phones_are_masked_for_executives_and_revealed_for_staff_only_audited():
    at = app("pages/3_Supervisors.py", "exec1").run()
    registry = [d.value for d in at.dataframe if "联系电话" in d.value.columns][0]
    phones = [p for p in registry["联系电话"] if p]
    assert phones and all("****" in p for p in phones)
    assert not [t for t in at.toggle if t.key == "sup_reveal_phones"]

    staff = app("pages/3_Supervisors.py", "staff1").run()
    masked = [d.value for d in staff.dataframe if "联系电话" in d.value.columns][0]
    assert all("****" in p for p in masked["联系电话"] if p)  # masked by default for staff too
    staff.toggle(key="sup_reveal_phones").set_value(True).run()
    shown = [d.value for d in staff.dataframe if "联系电话" in d.value.columns][0]
    assert any(p and "*" not in p for p in shown["联系电话"])
    with session_scope(make_engine(get_settings().database_url)) as session:
        entries = session.execute(select(AuditLog.actor, AuditLog.entity).where(
            AuditLog.action == "reveal_personal_data")).all()
    assert ("staff1", "supervisor") in entries


def test_listening_page_shows_the_seed_documents_figures_like_the_cli():
    import streamlit as st

    from lib.imports.registry import import_file
    from tests.service.test_listening import seed_document_files

    roster, acts = seed_document_files("种子公司")
    with session_scope(make_engine(get_settings().database_url)) as session:
        import_file("employees", roster, "roster.csv", session=session, actor="t")
        import_file("listening", acts, "acts.csv", session=session, actor="t")
    st.cache_data.clear()
    at = app("pages/5_Listening.py", "exec1").run()
    at.segmented_control(key="lis_period").set_value("period_custom").run()
    at.date_input(key="lis_from").set_value(date(2025, 1, 1))
    at.date_input(key="lis_to").set_value(date(2025, 12, 31))
    at.multiselect(key="lis_company").select("种子公司").run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["员工参与率"] == "45.0%"
    assert metrics["管理层参与率"] == "53.5%"
    assert metrics["参与人数"] == "8,565"
    at.radio(key="crhq_lang_switch").set_value("en").run()
    assert {m.label: m.value for m in at.metric}["Staff participation"] == "45.0%"
    at.radio(key="crhq_lang_switch").set_value("zh").run()


SURVEY_FILE = ("受访者编号,调查日期,公司,城市,项目,触点,量表,总体满意度,推荐意愿,调查机构,调查方式\n"
               "q1,2025-06-01,问卷公司,杭州,问卷花园,交付后1个月,5,5,10,零点,电话\n"
               "q2,2025-06-02,问卷公司,杭州,问卷花园,交付后1个月,10,1,6,零点,电话\n"
               "q3,2025-06-03,问卷公司,杭州,问卷花园,交付后1个月,11,7,,零点,电话\n"
               "q4,2025-06-04,问卷公司,杭州,问卷花园,交付后1个月,5,4,9,零点,电话\n")


@pytest.mark.parametrize("username", ["exec1", "staff1"])
def test_surveys_page_cards_show_n_intervals_and_tests(username):
    """Scores 100, 0, 70, 75 on scales 5/10/11 → 61.25 (t interval −7.0–129.5); top-2-box 2 of 4 →
    50.0% (Wilson 15.0%–85.0%); recommend 10, 6, 9 → NPS 33.3 over 3 (worked out in test_survey_views)."""
    import streamlit as st

    from lib.imports.registry import import_file

    with session_scope(make_engine(get_settings().database_url)) as session:
        import_file("survey", SURVEY_FILE.encode("gb18030"), "vendor.csv", session=session, actor="t")
    st.cache_data.clear()
    at = app("pages/6_Surveys.py", username).run()
    at.segmented_control(key="srv_period").set_value("period_custom").run()
    at.date_input(key="srv_from").set_value(date(2025, 6, 1))
    at.date_input(key="srv_to").set_value(date(2025, 6, 30))
    at.multiselect(key="srv_company").select("问卷公司").run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"样本量": "4", "满意度得分": "61.2", "满意率": "50.0%", "净推荐值": "33.3"}
    captions = [c.value for c in at.caption]
    assert "n = 4 · 95% 区间 -7.0–129.5" in captions
    assert "n = 4 · 95% 区间 15.0%–85.0%" in captions
    assert "n = 3 · 95% 区间 -73.4–100.0" in captions
    assert "同比：—（—）" in captions  # nothing a year earlier: no change, not "0"
    assert ("导入文件（CSV 或 Excel）" in [s.value for s in at.subheader]) == (username == "staff1")
    at.radio(key="crhq_lang_switch").set_value("en").run()
    try:
        assert {m.label: m.value for m in at.metric}["Satisfaction score"] == "61.2"
        assert "n = 4 · 95% interval 15.0%–85.0%" in [c.value for c in at.caption]
    finally:
        with stored_language(username, "zh"):
            pass


def test_overview_cards_show_targets_and_colours_and_link_to_their_page():
    at = app("app.py", "exec1").run()
    labels = [m.label for m in at.metric]
    assert all(label.startswith((":green[●]", ":orange[●]", ":red[●]", ":gray[○]")) for label in labels
               if not label.endswith(("投诉量", "样本量", "在职人数", "未关闭")))
    assert sum(c.value.startswith("目标 ") for c in at.caption) == 9  # the demo ships a target per headline KPI
    links = at.get("page_link")
    assert len(links) >= 9


def test_a_saved_view_survives_logout_and_login_and_is_invisible_to_others():
    at = app("pages/7_Explore.py", "staff1").run()
    at.selectbox(key="exp_dataset").set_value("surveys").run()
    at.selectbox(key="exp_by").set_value("touchpoint").run()
    at.text_input(key="exp_view_name").set_value("触点对比").run()
    at.button(key="exp_view_save").click().run()
    assert "已保存视图“触点对比”。" in [s.value for s in at.success]

    later = app("pages/7_Explore.py", "staff1").run()  # a new session: logged out and in again
    assert "触点对比" in later.selectbox(key="exp_view_pick").options
    later.selectbox(key="exp_view_pick").set_value("触点对比").run()
    later.button(key="exp_view_open").click().run()
    assert not later.exception
    assert later.selectbox(key="exp_dataset").value == "surveys"
    assert later.selectbox(key="exp_by").value == "touchpoint"

    other = app("pages/7_Explore.py", "admin1").run()
    assert "触点对比" not in other.selectbox(key="exp_view_pick").options


def test_executive_gets_pivot_downloads_but_no_row_download():
    at = app("pages/7_Explore.py", "exec1").run()
    keys = [b.key for b in at.get("download_button")]
    assert "exp_dl_csv" in keys and "exp_dl_xlsx" in keys and "exp_dl_rows" not in keys
    staff = app("pages/7_Explore.py", "staff1").run()
    assert "exp_dl_rows" in [b.key for b in staff.get("download_button")]


HOSTILE = ["<script>alert(1)</script>", "[点我](javascript:alert(1))", ":red[假警报]", "**粗体**", "$$x$$"]


def test_hostile_user_text_is_shown_as_typed_never_as_markup():
    from lib.imports.registry import import_file

    ref = "X" + "[链接](javascript:alert(1))"
    text = " ".join(HOSTILE)
    csv_text = ("ref,received_at,channel,company,city,project,severity,responsible,description,complainant_name\n"
                f"\"{ref}\",2026-11-02 09:00,hotline,恶意公司,深圳,\"<b>项目</b>:red[x]\",ordinary,yes,"
                f"\"{text}\",\"<img src=x onerror=alert(1)>\"\n")
    with session_scope(make_engine(get_settings().database_url)) as session:
        import_file("complaints", csv_text.encode("utf-8"), "hostile.csv", session=session, actor="t")
    at = app("pages/2_Complaint_Register.py", "staff1")
    at.session_state["reg_open_ref"] = ref
    at.run()
    assert not at.exception, at.exception
    # Where markdown is rendered (headers, captions, messages), the user's text arrives escaped ...
    rendered = [e.value for group in (at.markdown, at.caption, at.subheader, at.title, at.success, at.info,
                                      at.warning, at.error) for e in group]
    for value in rendered:
        for needle in ("<script>", "](javascript", ":red[", "<b>", "<img"):
            assert needle not in value, value
    assert any("X\\[链接\\]\\(javascript\\:alert\\(1\\)\\)" in v for v in rendered)  # the heading, escaped
    # ... and in plain-text widgets it is exactly what was typed (contact shown after an audited reveal).
    at.button(key="reg_reveal").click().run()
    assert [w.value for w in at.text_area if w.key.startswith("reg_fact_description_")] == [text]
    facts = [w.value for w in at.text_input if w.key and w.key.startswith("reg_fact_")]
    assert "<img src=x onerror=alert(1)>" in facts and "<b>项目</b>:red[x]" in facts


@pytest.mark.parametrize("spec", [p for p in PAGES if p.page_id != "admin"], ids=lambda s: s.page_id)
def test_pages_render_while_an_import_holds_the_write_lock(spec):
    """Reading a page never waits for a writer: on SQLite every page read is a deferred (WAL) read.
    A page that wrote would fail with "database is locked" (an exception) once the busy timeout
    passed; how long a page takes is lib/bench's business, not a wall-clock assertion here."""
    engine = make_engine(get_settings().database_url)
    with engine.connect() as writer:
        writer.exec_driver_sql("DELETE FROM saved_view WHERE 0")  # BEGIN IMMEDIATE: the write lock is ours
        at = app(spec.path, "staff1").run()
        writer.rollback()
    assert not at.exception, at.exception
    assert not [e.value for e in at.error], [e.value for e in at.error]  # no "database busy" message either


def _audit_table(at):
    return next(d.value for d in at.dataframe if "操作人" in d.value.columns)


def test_admin_searches_the_audit_log_by_user_action_and_date():
    from lib.services import audit

    with session_scope(make_engine(get_settings().database_url)) as session:
        audit.record(session=session, actor="staff1", action="export", entity="complaint", detail={"rows": 3})
        audit.record(session=session, actor="staff1", action="view_saved", entity="saved_view")
        audit.record(session=session, actor="admin1", action="export", entity="complaint")
    at = app("pages/9_Admin.py", "admin1").run()
    at.text_input(key="admin_audit_actor").set_value("staff1").run()
    assert not at.exception, at.exception
    log = _audit_table(at)
    assert len(log) > 0 and set(log["操作人"]) == {"staff1"}
    at.selectbox(key="admin_audit_action").set_value("export").run()  # the picker shows 导出 for the code
    narrowed = _audit_table(at)
    assert set(narrowed["操作"]) == {"导出"} and set(narrowed["操作人"]) == {"staff1"}
    assert "行数：3" in set(narrowed["详情"])  # the detail {"rows": 3} in words
    at.date_input(key="admin_audit_from").set_value(date(2000, 1, 1))
    at.date_input(key="admin_audit_to").set_value(date(2000, 1, 2)).run()
    assert len(_audit_table(at)) == 0  # nothing happened in 2000


def _everything_on(at) -> str:
    """Every element's protobuf as text: tables' Arrow bytes, chart specs and datasets, captions, inputs."""
    parts, stack = [], [at._tree]
    while stack:
        node = stack.pop()
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        stack.extend(getattr(node, "children", {}).values())
    return "\n".join(parts)


@pytest.mark.parametrize("spec", [p for p in PAGES if p.page_id != "admin"], ids=lambda s: s.page_id)
def test_no_full_phone_number_reaches_an_executive_anywhere_on_a_page(spec):
    import re

    at = app(spec.path, "exec1")
    if spec.page_id == "register":
        with session_scope(make_engine(get_settings().database_url)) as session:
            from lib.models import Complaint
            at.session_state["reg_open_ref"] = session.scalar(
                select(Complaint.ref).where(Complaint.complainant_phone.is_not(None)).limit(1))
    at.run()
    assert not at.exception, at.exception
    text = _everything_on(at)
    # not inside a longer run of letters and digits: a media URL's hash can hold eleven digits
    assert not re.search(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])", text), re.search(r".{40}1[3-9]\d{9}.{10}", text)
    if spec.page_id == "register":
        assert re.search(r"1[3-9]\d\*{4}\d{4}", text)  # the masked form is there: the check looked at real data


@pytest.mark.parametrize("change", ["reset_password", "set_role", "logout_elsewhere"])
def test_a_session_ends_when_the_account_changes(change):
    engine = make_engine(get_settings().database_url)
    username = f"temp_{change}"
    with session_scope(engine) as session:
        users.add_user(session=session, username=username, role="staff", name="临时", password="temp-pass-1")
    at = app("app.py")
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state["roles"] = ["staff"]
    at.run()
    assert at.metric  # signed in
    import time as clock
    clock.sleep(0.02)
    with session_scope(engine) as session:
        if change == "reset_password":
            users.reset_password(session=session, username=username, password="other-pass-2", actor="admin1")
        elif change == "set_role":
            users.set_role(session=session, username=username, role="executive", actor="admin1")
        else:
            users.logout(session=session, username=username)  # e.g. the same user logged out in another tab
    at.run()
    assert not at.metric and at.session_state["authentication_status"] is None
    assert "会话已失效，请重新登录。" in [w.value for w in at.warning]


def _charts_on(at) -> list[tuple[dict, dict]]:
    """Every Vega-Lite chart drawn: (its spec, its datasets as DataFrames by name)."""
    import json

    import pyarrow as pa

    found, stack = [], [at._tree]
    while stack:
        node = stack.pop()
        proto = getattr(node, "proto", None)
        if getattr(node, "type", None) == "vega_lite_chart":
            datasets = {d.name: pa.ipc.open_stream(d.data.data).read_pandas() for d in proto.datasets}
            found.append((json.loads(proto.spec), datasets))
        stack.extend(getattr(node, "children", {}).values())
    return found


def test_complaints_trend_chart_draws_the_months_of_the_card_and_lets_a_bar_pick_its_month():
    at = app("pages/1_Complaints.py", "staff1").run()
    at.multiselect(key="complaints_channel").set_value(["forum"]).run()
    assert not at.exception, at.exception
    total = int(next(m.value for m in at.metric if m.label == "投诉量").replace(",", ""))
    trend = [(spec, data) for spec, data in _charts_on(at)
             if any(p.get("name") == "pick" and p["select"].get("fields") == ["month"] for p in spec.get("params", []))]
    assert len(trend) == 1
    spec, datasets = trend[0]
    (frame,) = datasets.values()
    assert frame["complaints"].sum() == total > 0  # the forum bars add up to the forum card
    assert frame["month"].is_unique and list(frame["month"]) == sorted(frame["month"])
    assert "continuousWidth" not in json.dumps(spec)  # sized by Streamlit, not fixed at 300 px


def test_periods_follow_the_business_date_not_the_servers(monkeypatch):
    """The server may run on UTC while the business is in China (8 hours ahead): an issue raised on the
    Chinese date that is already tomorrow for the server counts in this year's figures at once."""
    from datetime import datetime, time, timedelta

    from lib.services import issues as issue_service
    from lib.ui import filters, page

    business_now = datetime.combine(date.today() + timedelta(days=1), time(0, 30))  # just past midnight in China
    monkeypatch.setattr(filters, "local_now", lambda: business_now)  # the period picker
    monkeypatch.setattr(page, "local_now", lambda: business_now)  # the calendar banner
    monkeypatch.setattr(issue_service, "local_now", lambda: business_now)
    before = _issues_raised(app("pages/3_Supervisors.py", "exec1").run())
    with session_scope(make_engine(get_settings().database_url)) as session:
        first = next(iter(issues.supervisor_choices(session=session)))
        issues.create(issues.NewIssue(raised_on=business_now.date(), supervisor_ids=[first], category="maintenance",
                                      description="跨日登记", responsible_party="property"),
                      session=session, actor="staff1")
    import streamlit as st
    st.cache_data.clear()
    assert _issues_raised(app("pages/3_Supervisors.py", "exec1").run()) == before + 1


def test_a_rerun_draws_every_chart_from_the_spec_cache(monkeypatch):
    """The first rerun after the data cache was filled sends the specs it cached: a frame read back from
    the cache must key the same spec as the frame first computed."""
    import streamlit as st

    from lib import charts

    st.cache_data.clear()
    first = app("pages/6_Surveys.py", "staff1").run()
    assert not first.exception, first.exception
    built = []
    real = charts.spec
    monkeypatch.setattr(charts, "spec", lambda chart, **kw: built.append(chart) or real(chart, **kw))
    again = app("pages/6_Surveys.py", "staff1").run()
    assert not again.exception, again.exception
    assert len(_charts_on(again)) == len(_charts_on(first)) == 4
    assert built == []
