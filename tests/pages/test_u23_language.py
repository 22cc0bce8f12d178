"""Issue 23 item 9: the language switch has one source of truth and shows it."""
from __future__ import annotations

import json

from lib.config import get_settings
from lib.db import make_engine, session_scope
from lib.services import users
from tests.pages.conftest import PASSWORDS, app, stored_language


def _stored(username: str) -> str:
    with session_scope(make_engine(get_settings().database_url), readonly=True) as session:
        return users.get_user(session=session, username=username).language


def _log_in(at, username: str):
    at.text_input(key="crhq_login_user").input(username)
    at.text_input(key="crhq_login_password").input(PASSWORDS[username])
    at.button[0].click().run()
    assert at.session_state["authentication_status"] is True
    return at


def test_english_chosen_on_the_login_page_is_kept_after_login_and_stored():
    with stored_language("staff1", "zh"):
        at = app("app.py").run()
        assert at.radio(key="crhq_lang_switch").value == "zh"
        at.radio(key="crhq_lang_switch").set_value("en").run()
        assert at.subheader[0].value == "Log in"
        _log_in(at, "staff1")
        assert "HQ customer-relations overview" in [x.value for x in at.title]  # not 中文 from the stored preference
        assert at.radio(key="crhq_lang_switch").value == "en"
        assert _stored("staff1") == "en"
        at.run()  # and it stays so on the next run
        assert "HQ customer-relations overview" in [x.value for x in at.title]


def test_without_a_choice_on_the_login_page_the_stored_preference_applies_and_the_radio_shows_it():
    with stored_language("staff1", "en"):
        at = _log_in(app("app.py").run(), "staff1")
        at.run()
        assert "HQ customer-relations overview" in [x.value for x in at.title]
        assert at.radio(key="crhq_lang_switch").value == "en"  # was 中文 over an English UI


def test_with_english_stored_the_radio_shows_english_and_clicking_chinese_switches_and_is_stored():
    with stored_language("exec1", "en"):
        at = app("app.py", "exec1").run()  # a session restored from the login cookie
        assert "HQ customer-relations overview" in [x.value for x in at.title]
        assert at.radio(key="crhq_lang_switch").value == "en"
        at.radio(key="crhq_lang_switch").set_value("zh").run()
        assert "总部客户关系总览" in [x.value for x in at.title]
        assert at.radio(key="crhq_lang_switch").value == "zh"
        assert _stored("exec1") == "zh"


def test_the_admin_page_reads_times_in_business_time_and_defaults_the_audit_filter_to_the_business_date(
        monkeypatch):
    """At 01:30 in Beijing the server's UTC date is still the day before: the filter's default is the
    business date, and the log and users' created_at say once that they are Beijing time."""
    from datetime import date, datetime, timedelta

    import lib.db

    business_day = date.today() + timedelta(days=1)
    monkeypatch.setattr(lib.db, "local_now", lambda: datetime.combine(business_day, datetime.min.time()).replace(
        hour=1, minute=30))
    at = app("pages/9_Admin.py", "admin1").run()
    assert not at.exception, at.exception
    assert at.date_input(key="admin_audit_to").value == business_day
    assert at.date_input(key="admin_audit_from").value == business_day - timedelta(days=30)
    headers = {c for d in at.dataframe for c in d.value.columns}
    assert {"时间（北京时间）", "创建时间（北京时间）", "操作", "详情", "用户名", "角色"} <= headers
    assert not {"at", "created_at", "username", "role", "ID"} & headers


def test_the_supervisor_picker_and_the_filters_offer_no_select_all():
    """One click on Streamlit's "Select all" attached 232 supervisors to one issue; the filters' empty
    choice already means all. The proto's select_all threshold 0 draws no such option."""
    at = app("pages/4_Issues.py", "staff1").run()
    assert not at.exception, at.exception
    picker = at.multiselect(key="iss_new_supervisors")
    assert len(picker.options) > 1 and picker.proto.select_all == 0
    assert at.multiselect(key="iss_company").proto.select_all == 0  # ui.multi / org filters


def test_the_targets_and_benchmarks_editors_name_indicators_in_words():
    """The editors showed "KPI" and codes (resolution_rate, housing_quality) with a code = label legend."""
    at = app("pages/9_Admin.py", "admin1").run()
    assert not at.exception, at.exception
    parts, stack = [], [at._tree]
    while stack:
        node = stack.pop()
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "columns"):  # an editor's column config (JSON)
            parts.append(json.dumps(json.loads(proto.columns), ensure_ascii=False))
        stack.extend(getattr(node, "children", {}).values())
    configs = " ".join(parts)
    assert '"label": "指标"' in configs, configs[:400]
    assert '"KPI"' not in configs
    assert "解决率" in configs and "房屋质量" in configs  # resolution_rate, housing_quality as their names
    assert not [c.value for c in at.caption if " = " in c.value]  # no "code = label" legend any more
