"""The Checks page (issue #25 item 1, SPEC §14) under AppTest, per role and in both languages.

A company of its own (抽查页测试公司, project 抽查页花园) with two complaints resolved yesterday, CHKP1 and
CHKP2, both drawn (2 resolved → min(2, 3) = 2 checks) into the queue of the session's demo database.
- executive: the KPI cards and the by-company table only (no queue, no phone, no form);
- HQ staff (group scope): the queue, the draw button, the form; the phone is masked until revealed
  (audited); a failed check recorded through the form reopens the complaint;
- a staff user scoped to the company: only its own checks, read-only (no draw, no form).
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lib import scope
from lib.config import get_settings
from lib.db import local_now, make_engine, session_scope
from lib.models import AuditLog, CheckSample, Company, Complaint, Project
from lib.services import checks, users
from lib.vocab import normalise_text
from tests.fixtures import complaint
from tests.pages.conftest import ROLES, app, stored_language

PAGE = "pages/10_Checks.py"
COMPANY, PHONE = "抽查页测试公司", "13912345678"


@pytest.fixture(scope="module")
def checks_world(app_database):
    engine = make_engine(get_settings().database_url)
    yesterday = local_now().replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=1)
    with session_scope(engine) as s:
        c = Company(name=COMPANY, city="抽查城", region="抽查片区")
        s.add(c)
        s.flush()
        p = Project(company_id=c.id, name="抽查页花园", name_norm=normalise_text("抽查页花园"), city="抽查城",
                    business_line="property_management")
        s.add(p)
        s.flush()
        for ref in ("CHKP1", "CHKP2"):
            complaint(s, p, ref, yesterday - timedelta(days=2), "hotline", "ordinary", True, "resolved",
                      first_response_at=yesterday - timedelta(days=2, hours=-1), resolved_at=yesterday,
                      complainant_name="赵某某", complainant_phone=PHONE, description="电梯故障",
                      root_cause="部件老化", corrective_action="更换部件")
        s.flush()
        checks.draw(yesterday.date(), yesterday.date(), session=s, actor="test")
        users.add_user(session=s, username="chk_local", role="staff", name="chk_local", password="chk-pass-1234",
                       scope=scope.parse([f"company:{COMPANY}"]))
        ids = dict(s.execute(select(Complaint.ref, CheckSample.id).join(Complaint, Complaint.id == CheckSample.complaint_id)
                             .where(Complaint.ref.in_(("CHKP1", "CHKP2")))).all())
    ROLES.setdefault("chk_local", "staff")
    yield engine, ids
    engine.dispose()


def _open(username: str, lang: str = "zh"):
    at = app(PAGE, username, lang)
    today = local_now().date()
    at.session_state["checks_period"] = "period_custom"
    at.session_state["checks_from"] = today - timedelta(days=60)
    at.session_state["checks_to"] = today
    return at.run()


def _queue(at):
    """The queue table (the one with the complaint column), or None."""
    found = [df.value for df in at.dataframe if {"投诉编号", "Complaint"} & set(df.value.columns)]
    return found[0] if found else None


def _texts(at) -> str:
    return " ".join(str(e.value) for kind in ("markdown", "caption", "text_input", "metric")
                    for e in getattr(at, kind)) + " ".join(str(df.value.to_csv()) for df in at.dataframe)


@pytest.mark.parametrize("lang,title", [("zh", "抽查回访"), ("en", "Call-back checks")])
@pytest.mark.parametrize("username", ["exec1", "staff1", "admin1", "chk_local"])
def test_the_page_opens_for_every_role_in_both_languages(checks_world, username, lang, title):
    with stored_language(username, lang):
        at = _open(username, lang)
    assert not at.exception
    assert at.title[0].value == title
    metrics = [m.label for m in at.metric]
    assert any(("抽查完成率" if lang == "zh" else "Check coverage") in label for label in metrics)
    keys = {getattr(e, "key", None) for e in (*at.button, *at.selectbox)}
    queue = _queue(at)
    if username == "exec1":  # KPIs only
        assert queue is None and "checks_draw" not in keys and "checks_pick" not in keys
        assert PHONE not in _texts(at) and "CHKP1" not in _texts(at)
    elif username == "chk_local":  # its own company's checks, read-only
        assert queue is not None and "checks_draw" not in keys and "checks_pick" not in keys
        assert set(queue.iloc[:, 1]) == {COMPANY}
        assert set(queue.iloc[:, 0]) == {"CHKP1", "CHKP2"}
        assert PHONE not in _texts(at)
    else:
        assert queue is not None and {"checks_draw", "checks_pick"} <= keys
        assert {"CHKP1", "CHKP2"} <= set(queue.iloc[:, 0])
        assert PHONE not in _texts(at)  # masked in the list


def test_hq_staff_reveal_the_phone_and_a_failed_check_reopens_the_complaint(checks_world):
    engine, ids = checks_world
    at = _open("staff1")
    at.selectbox(key="checks_pick").set_value(ids["CHKP1"]).run()
    assert not at.exception
    assert PHONE not in _texts(at)
    with session_scope(engine) as s:
        before = s.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "reveal_personal_data", AuditLog.entity_id == "CHKP1"))
    at.button(key="checks_reveal").click().run()
    assert PHONE in _texts(at)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "reveal_personal_data", AuditLog.entity_id == "CHKP1")) == before + 1
    # prefilled from the record: answered within an hour, root cause and action written, no follow-up yet
    assert at.checkbox(key=f"checks_h_root_cause_recorded_{ids['CHKP1']}").value is True
    assert at.checkbox(key=f"checks_h_followup_done_{ids['CHKP1']}").value is False
    at.radio(key="checks_confirmed").set_value("否")
    at.radio(key="checks_satisfaction").set_value(2)
    at.text_area(key="checks_finding").input("业主表示电梯仍有故障")
    [submit] = [b for b in at.button if b.label == "保存回访结果"]
    submit.click().run()
    assert not at.exception
    assert any("CHKP1" in s.value and "重新打开" in s.value for s in at.success)
    assert at.selectbox(key="checks_pick").value is None  # the saved check left the open ones
    with session_scope(engine) as s:
        sample = s.get(CheckSample, ids["CHKP1"])
        c = s.get(Complaint, sample.complaint_id)
        assert (sample.status, c.status, c.reopen_count) == ("failed", "in_progress", 1)


def test_a_failed_check_without_a_finding_is_refused_in_english(checks_world):
    engine, ids = checks_world
    with stored_language("admin1", "en"):
        at = _open("admin1", "en")
        at.selectbox(key="checks_pick").set_value(ids["CHKP2"]).run()
        at.radio(key="checks_confirmed").set_value("No")
        [submit] = [b for b in at.button if b.label == "Save the check"]
        submit.click().run()
    assert any("needs a finding" in e.value for e in at.error)
    with session_scope(engine) as s:
        assert s.get(CheckSample, ids["CHKP2"]).status == "pending"
        assert s.scalar(select(Complaint.status).where(Complaint.ref == "CHKP2")) == "resolved"


def test_the_draw_button_draws_nothing_twice(checks_world):
    at = _open("admin1")
    at.button(key="checks_draw").click().run()
    assert not at.exception
    assert any("已抽取" in s.value for s in at.success)
    at.button(key="checks_draw").click().run()
    assert any("已抽取 0 件" in s.value for s in at.success)


def test_the_overview_league_carries_the_check_columns(checks_world):
    at = app("app.py", "exec1", "zh").run()
    assert not at.exception
    league = [df.value for df in at.dataframe if "综合达成" in " ".join(map(str, df.value.columns))
              or "抽查完成率" in df.value.columns]
    assert league and {"抽查完成率", "解决确认率", "处理合规率"} <= set(league[0].columns)


def test_only_admins_set_the_sample_rule_and_it_is_audited(checks_world):
    engine, _ = checks_world
    staff = _open("staff1")
    assert not [n for n in staff.number_input if n.key == "checks_rule_share"]
    at = _open("admin1")
    at.number_input(key="checks_rule_share").set_value(10.0)
    at.number_input(key="checks_rule_minimum").set_value(4)
    [save] = [b for b in at.button if b.label == "保存抽样规则"]
    save.click().run()
    assert any("抽样规则已保存" in s.value for s in at.success)
    try:
        with session_scope(engine) as s:
            from lib.services import settings
            assert settings.get("check_sample", session=s) == {"share": 0.1, "minimum": 4}
            assert s.scalar(select(func.count()).select_from(AuditLog).where(
                AuditLog.action == "setting_change", AuditLog.entity_id == "check_sample")) >= 1
        assert "max（最少 4 件，10% × 已解决数）" in " ".join(c.value for c in at.caption)
    finally:
        with session_scope(engine) as s:
            checks.set_sample_rule(5, 3, session=s, actor="test")
