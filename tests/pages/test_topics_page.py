"""The Topics page (客户之声, issue #26) and the register's category suggestion in the running app (AppTest).

A company of its own in the session's shared database (the seeded demo rows stay as they are), filtered
on by name so other tests' rows never count: 话题测试公司/话题花园, May 2024, three complaints logged
through the service (so their terms are stored as a form stores them):
  T1 "业主王小明反映外墙渗水，电话13900002222"  (name 王小明, phone 13900002222)
  T2 "外墙渗水严重"
  T3 "电梯噪音"
→ 3 records; 外墙 and 渗水 in 2 (66.7%), 电梯, 噪音, 严重, 业主, 反映, 电话 in 1 each.
"""
from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from sqlalchemy import select

from lib.config import get_settings
from lib.db import make_engine, session_scope
from lib.models import AuditLog, Company, Complaint, Project
from lib.services import complaints as svc
from lib.vocab import normalise_text
from tests.pages.conftest import app, stored_language

PAGE = "pages/14_Topics.py"
COMPANY, PROJECT = "话题测试公司", "话题花园"
NAME, PHONE = "王小明", "13900002222"
TEXTS = [(f"业主{NAME}反映外墙渗水，电话{PHONE}", NAME, PHONE), ("外墙渗水严重", None, None), ("电梯噪音", None, None)]


@pytest.fixture(scope="module", autouse=True)
def topics_world(app_database):
    engine = make_engine(get_settings().database_url)
    with session_scope(engine) as s:
        c = Company(name=COMPANY, city="话题城", region="话题片区")
        s.add(c)
        s.flush()
        p = Project(company_id=c.id, name=PROJECT, name_norm=normalise_text(PROJECT), city="话题城",
                    business_line="property_management")
        s.add(p)
        s.flush()
        for k, (text, name, phone) in enumerate(TEXTS):
            svc.create(svc.NewComplaint(received_at=datetime(2024, 5, 6 + k, 10), channel="hotline", project_id=p.id,
                                        category="other", responsible=False, severity=None, description=text,
                                        complainant_name=name, complainant_phone=phone, ref=f"TOPIC{k + 1}"),
                       session=s, actor="staff1")
    yield
    engine.dispose()


def _open(username: str, lang: str = "zh"):
    if lang != "zh":
        with stored_language(username, lang):
            return _open_page(username)
    return _open_page(username)


def _open_page(username: str):
    at = app(PAGE, username)
    at.session_state["topics_period"] = "period_custom"
    at.session_state["topics_from"] = date(2024, 5, 1)
    at.session_state["topics_to"] = date(2024, 5, 31)
    at.session_state["topics_company"] = [COMPANY]
    return at.run()


def _all_text(at) -> str:
    frames = [d.value.to_csv() for d in at.dataframe]
    parts = [e.value for e in at.markdown] + [e.value for e in at.caption] + [e.value for e in at.info]
    return "\n".join(frames + [str(p) for p in parts])


@pytest.mark.parametrize("username", ["exec1", "staff1", "admin1"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_topics_per_role_andstored_language(username, lang):
    at = _open(username, lang)
    assert not at.exception, at.exception
    title = at.title[0].value
    assert ("客户之声" in title) == (lang == "zh")
    assert (not any("\u4e00" <= ch <= "\u9fff" for ch in title)) == (lang == "en")
    captions = [c.value for c in at.caption]
    assert any(("共 3 条" if lang == "zh" else "3 records") in c for c in captions), captions
    top = at.dataframe[0].value
    counts = dict(zip(top.iloc[:, 0], top.iloc[:, 1], strict=True))
    assert counts["外墙"] == 2 and counts["渗水"] == 2 and counts["电梯"] == 1
    assert top.set_index(top.columns[0]).loc["外墙"].iloc[1] == pytest.approx(200 / 3)  # 2 of 3, in %
    assert NAME not in counts  # a complainant's name is never a topic
    # the admin's word lists: on the page for admins only
    labels = [e.label for e in at.expander]
    assert any(("分词词表" if lang == "zh" else "Word lists") in lbl for lbl in labels) == (username == "admin1")


@pytest.mark.parametrize("username", ["exec1", "staff1"])
def test_a_term_drills_down_to_its_records_with_quotes_masked(username):
    at = _open(username)
    at.selectbox(key="topics_term").select("渗水").run()
    assert not at.exception, at.exception
    assert any("包含“渗水”的记录：2 条" in c.value for c in at.caption)
    rows = at.dataframe[-1].value
    assert sorted(rows.iloc[:, 0]) == ["TOPIC1", "TOPIC2"]
    shown = _all_text(at)
    assert PHONE not in shown and NAME not in shown  # neither in the rows nor anywhere else on the page
    assert "139****2222" in shown and "王**" in shown
    assert not re.search(r"1[3-9]\d{9}", shown)


def test_a_bad_word_list_is_refused_and_a_good_one_saved_audited(app_database):
    at = _open("admin1")
    at.text_area(key="topics_userdict").set_value("空鼓\n两个 词 太多").run()
    at.button(key="topics_lists_save").click().run()
    assert [e.value for e in at.error] and "两个 词 太多" in at.error[0].value
    at = _open("admin1")
    at.text_area(key="topics_userdict").set_value("空鼓\n墙皮起砂").run()
    at.button(key="topics_lists_save").click().run()
    assert not at.error and any("词表已保存" in s.value for s in at.success)
    engine = make_engine(get_settings().database_url)
    with session_scope(engine) as s:
        changed = s.scalars(select(AuditLog.entity_id).where(AuditLog.action == "setting_change",
                                                             AuditLog.actor == "admin1")).all()
    assert "text_userdict" in changed
    at = _open("admin1")
    at.button(key="topics_lists_reset").click().run()  # back to the shipped lists for the other tests
    assert not at.error


def test_staff_take_the_suggested_category_on_the_register():
    at = app("pages/2_Complaint_Register.py", "staff1")
    at.session_state["reg_open_ref"] = "TOPIC2"
    at.run()
    assert not at.exception, at.exception
    # the demo's housing-quality complaints say 外墙开裂 and 卫生间渗水: 外墙渗水 reads as housing quality
    assert any("房屋质量" in i.value for i in at.info), [i.value for i in at.info]
    at.button(key="reg_take_suggestion").click().run()
    engine = make_engine(get_settings().database_url)
    with session_scope(engine) as s:
        assert s.scalar(select(Complaint.category).where(Complaint.ref == "TOPIC2")) == "housing_quality"
        assert s.scalar(select(AuditLog.id).where(AuditLog.action == "complaint_edit", AuditLog.entity_id == "TOPIC2"))
    at = app("pages/2_Complaint_Register.py", "exec1")
    at.session_state["reg_open_ref"] = "TOPIC3"
    at.run()
    with pytest.raises(KeyError):
        at.button(key="reg_take_suggestion")  # executives never edit
