"""Issue #23 items 10 and 13 on the Admin page: user actions are confirmed before they change anything and
say what was done; your own account offers no disable or role change, and a forged request for one is
refused by the service with its message; targets are edited as percentages and stored as fractions."""
from __future__ import annotations

import pandas as pd
import pytest
import streamlit as st
from sqlalchemy import select

from lib.config import get_settings
from lib.db import make_engine, session_scope
from lib.models import User
from lib.services import targets, users
from tests.pages.conftest import app, stored_language


def _engine():
    return make_engine(get_settings().database_url)


def _active(username: str) -> bool:
    with session_scope(_engine(), readonly=True) as session:
        return session.scalar(select(User.active).where(User.username == username))


@pytest.fixture(autouse=True)
def _admin_language(request):
    with stored_language("admin1", request.node.callspec.params.get("lang", "zh")):
        yield


@pytest.fixture
def someone():
    with session_scope(_engine()) as session:
        if users.get_user(session=session, username="uxsomeone") is None:
            users.add_user(session=session, username="uxsomeone", role="staff", name="ux", password="ux-pass-123")
        users.set_active(session=session, username="uxsomeone", active=True, actor="test")
    return "uxsomeone"


def _submit(at, form: str):
    return next(b for b in at.button if b.proto.form_id == form).click().run()


@pytest.mark.parametrize("lang,question,done", [
    ("zh", "确认停用用户 uxsomeone？其所有会话将立即结束。", "已停用用户 uxsomeone。"),
    ("en", "Disable user uxsomeone? All of their sessions end at once.", "User uxsomeone is disabled.")])
def test_disabling_a_user_is_confirmed_first_and_then_reported(someone, lang, question, done):
    at = app("pages/9_Admin.py", "admin1", lang).run().run()  # the second run in the stored language
    at.selectbox(key="admin_edit_target").set_value(someone).run()
    at.radio(key="admin_edit_action").set_value("disable")
    _submit(at, "admin_edit_form")
    assert not at.exception, at.exception
    assert question in [w.value for w in at.warning]
    assert _active(someone)  # nothing changed yet
    at.button(key="admin_confirm_no").click().run()
    assert _active(someone) and not [w for w in at.warning if w.value == question]
    at.radio(key="admin_edit_action").set_value("disable")
    _submit(at, "admin_edit_form")
    at.button(key="admin_confirm_yes").click().run()
    assert not at.exception, at.exception
    assert done in [s.value for s in at.success]
    assert not _active(someone)


@pytest.mark.parametrize("lang,note,refused", [
    ("zh", "这是您自己的账号：只能重置密码，不能停用或更改自己的角色。", "不能停用当前登录的账号。"),
    ("en", "This is your own account: you can reset its password, not disable it or change its role.",
     "You cannot disable your own account.")])
def test_your_own_account_cannot_be_disabled_not_even_by_a_forged_request(lang, note, refused):
    at = app("pages/9_Admin.py", "admin1", lang).run().run()  # the second run in the stored language
    at.selectbox(key="admin_edit_target").set_value("admin1").run()
    assert note in [c.value for c in at.caption]
    assert at.radio(key="admin_edit_action_own").options == ["重置密码" if lang == "zh" else "Reset password"]
    at.session_state["admin_pending"] = {"action": "disable", "user": "admin1", "role": "admin", "password": ""}
    at.run()
    at.button(key="admin_confirm_yes").click().run()  # the service itself refuses
    assert not at.exception, at.exception
    assert refused in [e.value for e in at.error]
    assert _active("admin1")


@pytest.fixture
def editor(monkeypatch):
    """The targets editor hands over the frame a test sets (AppTest cannot type into a data editor);
    the stored targets are put back afterwards."""
    with session_scope(_engine(), readonly=True) as session:
        before = targets.table(session=session).drop(columns=["direction"]).to_dict("records")
    edited: dict[str, pd.DataFrame] = {}
    shown: dict[str, pd.DataFrame] = {}
    real = st.data_editor

    def fake(data, *a, key=None, **k):
        if key == "admin_targets_editor":
            shown["frame"] = data
            if "frame" in edited:
                return edited["frame"]
        return real(data, *a, key=key, **k)

    monkeypatch.setattr(st, "data_editor", fake)
    yield edited, shown
    with session_scope(_engine()) as session:
        targets.save(before, session=session, actor="test")
    st.cache_data.clear()


def _stored(kpi: str) -> tuple[float, float]:
    with session_scope(_engine(), readonly=True) as session:
        frame = targets.table(session=session)
    row = frame[(frame["kpi"] == kpi) & frame["business_line"].isna() & frame["company"].isna()].iloc[0]
    return float(row["target"]), float(row["amber"])


@pytest.mark.parametrize("lang,fraction_msg,range_msg", [
    ("zh", "- 第 1 行：比率按百分比填写——90 % 请填 90，而不是 0.9。",
     "- 第 2 行：得分的目标和预警区间须在 0–100 分之间。"),
    ("en", "- Row(s) 1: rates are percentages — enter 90 for 90 %, not 0.9.",
     "- Row(s) 2: a score's target and amber band must be 0–100 points.")])
def test_targets_are_edited_as_percentages_and_stored_as_fractions(editor, lang, fraction_msg, range_msg):
    edited, shown = editor
    at = app("pages/9_Admin.py", "admin1", lang).run().run()  # the second run in the stored language
    assert not at.exception, at.exception
    frame = shown["frame"]
    # the demo's group-wide on-time target is 0.90 with amber 0.05: shown as 90 and 5 (%), satisfaction 80 points
    row = frame[(frame["kpi"] == "resolution_on_time_rate") & frame["business_line"].isna()
                & frame["company"].isna()].iloc[0]
    assert (row["target"], row["amber"], row["unit"]) == (90.0, 5.0, "%")
    score = frame[(frame["kpi"] == "satisfaction_score") & frame["company"].isna()].iloc[0]
    assert score["target"] == 80.0 and score["unit"] == ("分" if lang == "zh" else "points")
    # a fraction typed by habit and a score over 100: refused whole, each row named in the reader's language
    edited["frame"] = pd.DataFrame([
        {"kpi": "resolution_on_time_rate", "business_line": None, "company": None, "unit": "%", "target": 0.9,
         "amber": 5.0},
        {"kpi": "satisfaction_score", "business_line": None, "company": None, "unit": "", "target": 120.0,
         "amber": 3.0}])
    at.button(key="admin_targets_save").click().run()
    assert not at.exception, at.exception
    assert [fraction_msg + "\n" + range_msg] == [e.value for e in at.error]
    assert _stored("resolution_on_time_rate") == (0.90, 0.05)  # unchanged
    # 92.5 % with 2.5 pt amber is stored as 0.925 / 0.025; the score as it is
    edited["frame"] = pd.DataFrame([
        {"kpi": "resolution_on_time_rate", "business_line": None, "company": None, "unit": "%", "target": 92.5,
         "amber": 2.5},
        {"kpi": "satisfaction_score", "business_line": None, "company": None, "unit": "", "target": 82.0,
         "amber": 3.0}])
    at.button(key="admin_targets_save").click().run()
    assert not at.exception, at.exception
    assert ("已保存，共 2 条。" if lang == "zh" else "Saved: 2 in all.") in [s.value for s in at.success]
    target, amber = _stored("resolution_on_time_rate")
    assert target == pytest.approx(0.925) and amber == pytest.approx(0.025)
    assert _stored("satisfaction_score") == (82.0, 3.0)
