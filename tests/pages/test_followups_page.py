"""The Follow-ups page (SPEC §14, issue #25 item 3) under AppTest: KPIs equal to hand-computed values
per role and in both languages, the queue with phones masked, an audited reveal and the record form
for staff only, no full phone anywhere for an executive, and the Surveys page's link to the tasks.

A company of its own in the shared page database, answers of May 2025 imported as a vendor file:
  fp1 scale 5 overall 1 (phone 13955550001)  → task, its due date moved to 20 May 2025: overdue
  fp2 scale 11 overall 9, recommend 5        → task, closed now: recovered
  fp3 scale 5 overall 5, recommend 10        → no task
  fp4 scale 10 overall 2                     → task, closed now without contact: not recovered
KPIs: due 3; closed 2 (fp2 fp4), both by their due date (today + 7); on time 2 / (2 closed + fp1 overdue)
= 66.7%; recovered 1 / 2 closed = 50.0%; overdue open 1.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select, update

from lib.db import local_now, session_scope
from lib.imports.registry import import_file
from lib.models import AuditLog, FollowupTask, SurveyResponse
from lib.services import followups
from tests.pages.conftest import app, page_engine, stored_language

PAGE = "pages/13_Followups.py"
COMPANY, PHONE = "回访页公司", "13955550001"
HEADER = "受访者编号,调查日期,公司,城市,项目,触点,量表,总体满意度,推荐意愿,调查机构,调查方式,联系电话,调查机构编号\n"
ROWS = ("fp1,2025-05-06,{c},回访城,{p},交付后1个月,5,1,,零点调查,电话,{phone},FP-1\n"
        "fp2,2025-05-07,{c},回访城,{p},交付后1个月,11,9,5,零点调查,电话,13955550002,FP-2\n"
        "fp3,2025-05-08,{c},回访城,{p},交付后1个月,5,5,10,零点调查,电话,,\n"
        "fp4,2025-05-09,{c},回访城,{p},交付后1个月,10,2,,零点调查,电话,,FP-4\n")
ZH = {"需回访样本": "3", "按时回访率": "66.7%", "挽回率": "50.0%", "逾期未结": "1"}
EN = {"Answers to follow up": "3", "On-time follow-up rate": "66.7%", "Recovery rate": "50.0%", "Overdue, open": "1"}


def _task(session, key: str) -> int:
    return session.scalar(select(FollowupTask.id).join(SurveyResponse, SurveyResponse.id == FollowupTask.response_id)
                          .where(SurveyResponse.respondent_key == key))


@pytest.fixture(scope="module", autouse=True)
def tasks(app_database):
    import streamlit as st

    engine = page_engine()
    data = {}
    for company, project, prefix in ((COMPANY, "回访页花园", "fp"), ("回访写公司", "回访写花园", "fw")):
        text = HEADER + ROWS.format(c=company, p=project, phone=PHONE).replace("fp", prefix)
        with session_scope(engine) as s:
            assert import_file("survey", text.encode("gb18030"), "vendor.csv", session=s, actor="t").followups_opened == 3
            data[prefix] = {k: _task(s, f"{prefix}{k}") for k in (1, 2, 4)}
            s.execute(update(FollowupTask).where(FollowupTask.id == data[prefix][1]).values(due_on=date(2025, 5, 20)))
        with session_scope(engine) as s:
            followups.record(data[prefix][2], session=s, actor="t", version=None, contacted=True,
                             contacted_at=local_now() - timedelta(hours=1), cause="维修慢", action="上门",
                             outcome="recovered")
            followups.record(data[prefix][4], session=s, actor="t", version=None, contacted=False, contacted_at=None,
                             cause=None, action=None, outcome="not_recovered")
    st.cache_data.clear()
    yield data
    engine.dispose()


def _open(username: str, company: str = COMPANY, task: int | None = None):
    at = app(PAGE, username)
    if task is not None:
        at.session_state["fu_open_task"] = task
    at.query_params.update({"from": "2025-05-01", "to": "2025-05-31", "company": company})
    return at.run()


def _save_button(at):
    return next(b for b in at.button if b.key.startswith("FormSubmitter:fu_act_form"))


def _everything_on(at) -> str:
    parts, stack = [], [at._tree]
    while stack:
        node = stack.pop()
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        stack.extend(getattr(node, "children", {}).values())
    return "\n".join(parts)


@pytest.mark.parametrize("username", ["exec1", "staff1", "admin1"])
def test_the_kpis_are_the_hand_computed_ones_for_every_role(username):
    at = _open(username)
    assert not at.exception, at.exception
    assert {m.label: m.value for m in at.metric} == ZH
    queue = at.dataframe(key="fu_table").value  # the open tasks: fp1 only
    assert list(queue["调查日期"].astype(str)) == ["2025-05-06"]
    assert list(queue["联系电话"]) == ["139****0001"] and list(queue["状态"]) == ["已逾期"]


def test_in_english_the_same_figures_under_english_labels():
    with stored_language("staff1", "en"):
        at = _open("staff1")
    assert not at.exception, at.exception
    assert at.title[0].value == "Dissatisfied-respondent follow-up"
    assert {m.label: m.value for m in at.metric} == EN
    assert list(at.dataframe(key="fu_table").value["Status"]) == ["Overdue"]


def test_an_executive_sees_the_task_masked_with_no_form_and_no_reveal(tasks):
    at = _open("exec1", task=tasks["fp"][1])
    assert not at.exception, at.exception
    text = _everything_on(at)
    assert PHONE not in text and "139****0001" in text  # masked, and the check looked at real data
    assert not re.search(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])", text)
    assert not [b for b in at.button if b.key == "fu_reveal"]
    assert "fu_act_contacted" not in [c.key for c in at.checkbox]


def test_staff_reveal_the_phone_audited_and_record_the_follow_up_which_closes_the_task(tasks):
    task = tasks["fw"][1]
    at = _open("staff1", company="回访写公司", task=task)
    assert not at.exception, at.exception
    assert "139****0001" in [w.value for w in at.text_input if w.key.startswith("fu_fact_contact_phone_")]
    at.button(key="fu_reveal").click().run()
    assert PHONE in [w.value for w in at.text_input if w.key.startswith("fu_fact_contact_phone_")]
    at.checkbox(key="fu_act_contacted").check()
    at.text_area(key="fu_act_cause").input("报修三次无人上门")
    at.text_area(key="fu_act_action").input("工程部次日上门维修")
    at.radio(key="fu_act_outcome").set_value("recovered")
    _save_button(at).click().run()
    assert not at.exception, at.exception
    assert f"回访任务 #{task} 已结案。" in [s.value for s in at.success]
    with session_scope(page_engine()) as s:
        stored = s.get(FollowupTask, task)
        assert (stored.outcome, stored.cause, stored.closed_by, stored.contacted) == (
            "recovered", "报修三次无人上门", "staff1", True)
        audits = s.execute(select(AuditLog.action, AuditLog.actor).where(
            AuditLog.entity == "followup_task", AuditLog.entity_id == str(task))).all()
    assert set(audits) == {("reveal_personal_data", "staff1"), ("followup_close", "staff1")}
    assert {m.label: m.value for m in at.metric}["挽回率"] == "66.7%"  # now 2 recovered of 3 closed
    assert "fu_act_contacted" not in [c.key for c in at.checkbox]  # closed: no form any more


def test_a_refused_record_says_why_in_the_users_language_and_saves_nothing(tasks):
    at = _open("staff1", task=tasks["fp"][1])
    at.radio(key="fu_act_outcome").set_value("recovered")  # recovered without contact
    _save_button(at).click().run()
    errors = [e.value for e in at.error]
    assert any(e.startswith("以下内容有误，未保存：已联系到受访者") for e in errors), errors
    with session_scope(page_engine()) as s:
        assert s.get(FollowupTask, tasks["fp"][1]).closed_at is None


def test_the_surveys_page_links_the_low_answers_to_their_tasks():
    at = app("pages/6_Surveys.py", "staff1")
    at.query_params.update({"from": "2025-05-01", "to": "2025-05-31", "company": COMPANY})
    at.run()
    assert not at.exception, at.exception
    assert "所选条件下有 3 份低分答卷生成了回访任务，其中 1 条未结（1 条逾期）。" in [c.value for c in at.caption]
    link = next(link for link in at.get("page_link") if link.proto.label == "查看回访任务")
    assert link.proto.page == "Followups"
    assert parse_qs(link.proto.query_string) == {"from": ["2025-05-01"], "to": ["2025-05-31"], "view": ["open"],
                                                 "company": [COMPANY]}
    # the link's filter, followed: the same three answers' tasks on the follow-up page
    follow = app(PAGE, "staff1")
    follow.query_params.update({"from": "2025-05-01", "to": "2025-05-31", "company": COMPANY, "view": "all"})
    follow.run()
    assert {m.label: m.value for m in follow.metric} == ZH
    assert len(follow.dataframe(key="fu_table").value) == 3
