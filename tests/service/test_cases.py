"""Typical-case reviews (issue #25 item 2, SPEC §14) on SQLite and PostgreSQL.

Hand-built: A公司/深圳花园 (property_management) and B公司/广州华府 (development) from tests.fixtures.
    K1 on 深圳花园, maintenance   → case, tags 渗漏 + 交付, 2 preventive actions
    K2 on 广州华府, housing_quality → case, tag 交付, 1 action
    K3 on 深圳花园, void           → refused
So: tag 交付 finds K1, K2; tag 渗漏 K1; category housing_quality K2; business line development K2;
company A公司 K1; the word 防水层 (only in K2's root cause) K2. K1 closes once both its actions are
`closed` in the tracker (issues.transition through open → … → closed).
"""
from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from lib import scope
from lib.db import local_now, session_scope
from lib.errors import InvalidTransition, ValidationFailed
from lib.models import AuditLog, Complaint, SupervisorIssue, TypicalCase
from lib.services import cases, issues, reports, users
from tests.fixtures import complaint, org

TODAY = local_now().date()
DUE = TODAY + timedelta(days=30)
LIFECYCLE = ["acknowledged", "in_progress", "resolved", "feedback_given", "closed"]


def _review(*actions: tuple[str, str], tags=(), cause="防水层施工不规范", lessons="交付前闭水试验") -> cases.Review:
    return cases.Review(what_happened="业主报卫生间渗水，两次维修未果", root_cause=cause, lessons=lessons,
                        tags=list(tags), actions=[cases.Action(d, dept, DUE) for d, dept in actions])


@pytest.fixture
def world(engine):
    with session_scope(engine) as s:
        p1, p2 = org(s)
        complaint(s, p1, "K1", datetime(2025, 3, 3, 9), "hotline", "ordinary", True, "closed",
                  complainant_name="张三丰", complainant_phone="13812345678")
        k2 = complaint(s, p2, "K2", datetime(2025, 3, 4, 9), "hotline", "ordinary", True, "resolved")
        k2.category = "housing_quality"
        complaint(s, p1, "K3", datetime(2025, 3, 5, 9), "hotline", "ordinary", True, "void")
        users.add_user(session=s, username="staff_a", role="staff", name="staff_a", password="pass-word-1234",
                       scope=scope.parse(["company:A公司"]))
        users.add_user(session=s, username="hq", role="staff", name="hq", password="pass-word-1234")
        s.flush()
        reach_a = scope.reach(scope.parse(["company:A公司"]), session=s)
    with session_scope(engine) as s:
        cases.mark_typical("K1", _review(("统一闭水试验标准", "工程管理部"), ("维修回访双人复核", "客户服务部"),
                                         tags=["渗漏", "交付", "渗漏"], cause="闭水试验缺失"),
                           session=s, actor="staff_a", reach=reach_a)
        cases.mark_typical("K2", _review(("复核外墙防水层", "设计部"), tags=["交付"], lessons="样板先行"),
                           session=s, actor="hq", reach=scope.Reach(None, None))
    return engine, reach_a


def _refs(frame) -> list[str]:
    return sorted(frame["complaint_ref"])


def test_actions_are_tracker_issues_and_close_the_case(world):
    engine, reach_a = world
    with session_scope(engine) as s:
        record, actions = cases.detail("K1", session=s, role="staff")
        assert len(actions) == 2 and all(r.startswith(f"DX{TODAY.year}") for r in actions["ref"])
        assert list(actions["owner_department"]) == ["工程管理部", "客户服务部"]
        assert set(actions["status"]) == {"open"} and record["closed"] is False
        assert record["tags"] == ["交付", "渗漏"]  # the duplicate 渗漏 kept once
        # they are in the improvement-item tracker, with its source, scope and first responder
        listed = issues.list_frame(issues.KpiFilter(TODAY, TODAY), session=s, source="typical_case")
        assert set(actions["ref"]) <= set(listed["ref"])
        assert set(listed[listed["ref"].isin(actions["ref"])]["first_responder"]) == {"staff_a"}
        first, second = actions["ref"]
    for status in LIFECYCLE:  # the first action through the tracker's whole lifecycle
        with session_scope(engine) as s:
            issues.transition(first, status, session=s, actor="staff_a", role="staff", version=None,
                              told="已告知投诉人" if status == "feedback_given" else None, reach=reach_a)
    with session_scope(engine) as s:
        record, actions = cases.detail("K1", session=s, role="staff")
        assert list(actions["status"]) == ["closed", "open"] and record["closed"] is False
        row = cases.library(cases.LibraryQuery(tag="渗漏"), session=s)
        assert (int(row["actions"].iloc[0]), int(row["actions_closed"].iloc[0])) == (2, 1)
        with pytest.raises(InvalidTransition):  # the tracker's rules hold: open → closed is not a move
            issues.transition(second, "closed", session=s, actor="staff_a", role="staff", version=None)
    for status in LIFECYCLE:
        with session_scope(engine) as s:
            issues.transition(second, status, session=s, actor="staff_a", role="staff", version=None,
                              told="已告知" if status == "feedback_given" else None)
        if status in ("resolved", "feedback_given"):  # done in the tracker's sense, not yet closed
            with session_scope(engine) as s:
                assert cases.detail("K1", session=s)[0]["closed"] is False
                # 2 actions, 1 closed: the resolved one does not count as closed in the library either
                row = cases.library(cases.LibraryQuery(tag="渗漏"), session=s)
                assert int(row["actions_closed"].iloc[0]) == 1
    with session_scope(engine) as s:
        record, actions = cases.detail("K1", session=s, role="staff")
        assert record["closed"] is True
        assert cases.case_of_issue(second, session=s) == "K1"
        logged = s.scalars(select(AuditLog.action).where(AuditLog.entity_id == second)).all()
        assert logged == ["issue_create", *[f"issue_{st}" for st in LIFECYCLE]]
        assert s.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "case_mark", AuditLog.entity_id == "K1")) == 1


def test_library_search(world):
    engine, _ = world
    with session_scope(engine) as s:
        find = lambda **q: _refs(cases.library(cases.LibraryQuery(**q), session=s))  # noqa: E731
        assert find(tag="交付") == ["K1", "K2"]
        assert find(tag="渗漏") == ["K1"]
        assert find(categories=("housing_quality",)) == ["K2"]
        assert find(business_lines=("development",)) == ["K2"]
        assert find(companies=("A公司",)) == ["K1"]
        assert find(search="防水层") == ["K2"]  # K2's root cause only
        assert find(search="样板") == ["K2"]
        assert find(search="漏") == ["K1"]  # a tag (渗漏), by part
        assert find(tag="没有") == []
        assert cases.tag_choices(session=s) == ["交付", "渗漏"]  # 交付 twice, then 渗漏


def test_scope_and_privacy(world):
    engine, reach_a = world
    with session_scope(engine) as s:
        assert _refs(cases.library(cases.LibraryQuery(), session=s, reach=reach_a)) == ["K1"]
        with pytest.raises(scope.OutOfScope):
            cases.library(cases.LibraryQuery(companies=("B公司",)), session=s, reach=reach_a)
        with pytest.raises(scope.OutOfScope):
            cases.detail("K2", session=s, reach=reach_a)
        record, _ = cases.detail("K1", session=s, reach=reach_a, role="executive")
        assert (record["complainant_name"], record["complainant_phone"]) == ("张**", "138****5678")
        assert cases.detail("K1", session=s, role="staff")[0]["complainant_phone"] == "13812345678"
        _, actions = cases.detail("K2", session=s)
        with pytest.raises(scope.OutOfScope):  # A's staff cannot move B's action in the tracker
            issues.transition(actions["ref"].iloc[0], "acknowledged", session=s, actor="staff_a", role="staff",
                              version=None, reach=reach_a)


def test_bad_input_writes_nothing(world):
    engine, reach_a = world
    with session_scope(engine) as s:
        before = (s.scalar(select(func.count()).select_from(TypicalCase)),
                  s.scalar(select(func.count()).select_from(SupervisorIssue)))
        k3 = s.scalar(select(Complaint).where(Complaint.ref == "K3"))
        assert k3.status == "void"
    for ref, review, key, fields in (
            ("K3", _review(("x", "工程部")), "case_err_void", None),
            ("K1", _review(("x", "工程部")), "case_err_already", None),
            ("K2", _review(), "err_fields", "case_actions"),
            ("K2", _review(("x", " ")), "err_fields", "case_owner_department"),
            ("K2", _review(("x", "工程部"), cause=" "), "err_fields", "case_root_cause")):
        with session_scope(engine) as s:
            with pytest.raises(ValidationFailed) as err:
                cases.mark_typical(ref, review, session=s, actor="hq")
            assert err.value.key == key and (fields is None or err.value.params["fields"] == fields)
    with session_scope(engine) as s:
        past = cases.Review("a", "b", "c", actions=[cases.Action("x", "工程部", TODAY - timedelta(days=1))])
        with pytest.raises(ValidationFailed):
            cases.add_actions("K1", past.actions, session=s, actor="hq")
        with pytest.raises(scope.OutOfScope):  # K2 is B公司's
            cases.add_actions("K2", [cases.Action("x", "工程部", DUE)], session=s, actor="staff_a", reach=reach_a)
    with session_scope(engine) as s:
        after = (s.scalar(select(func.count()).select_from(TypicalCase)),
                 s.scalar(select(func.count()).select_from(SupervisorIssue)))
    assert after == before


def test_update_add_and_monthly_report(world):
    engine, reach_a = world
    with session_scope(engine) as s:
        version = cases.detail("K1", session=s)[0]["version"]
        cases.update_review("K1", cases.Review("经过", "原因", "教训", tags=["交付", "返修"]), session=s,
                            actor="staff_a", version=version, reach=reach_a)
        refs = cases.add_actions("K1", [cases.Action("季度复盘", "客户服务部", DUE)], session=s, actor="staff_a",
                                 reach=reach_a)
    with session_scope(engine) as s:
        record, actions = cases.detail("K1", session=s)
        assert record["tags"] == ["交付", "返修"] and record["lessons"] == "教训"
        assert len(actions) == 3 and actions["ref"].iloc[2] == refs[0]
        from lib.errors import Conflict
        with pytest.raises(Conflict):  # the version shown before the edit is stale
            cases.update_review("K1", cases.Review("a", "b", "c"), session=s, actor="hq", version=version)
        book = load_workbook(io.BytesIO(reports.monthly_report(f"{TODAY:%Y-%m}", session=s)))
        sheet = book["典型案例 Typical cases"]
        values = [c.value for row in sheet.iter_rows() for c in row]
        assert "K1" in values and "K2" in values
        scoped = load_workbook(io.BytesIO(reports.monthly_report(f"{TODAY:%Y-%m}", session=s, reach=reach_a)))
        values = [c.value for row in scoped["典型案例 Typical cases"].iter_rows() for c in row]
        assert "K1" in values and "K2" not in values


def test_cli_cases_list(world, monkeypatch):
    import json
    from contextlib import redirect_stdout

    from lib import cli, config
    engine, _ = world
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    config.get_settings.cache_clear()
    try:
        out = io.StringIO()
        with redirect_stdout(out):
            assert cli.main(["cases", "list", "--tag", "交付", "--category", "housing_quality"]) == 0
        printed = json.loads(out.getvalue())
        assert cli.main(["cases", "list", "--as", "staff_a", "--company", "B公司"]) == 2  # outside the scope
        out = io.StringIO()
        with redirect_stdout(out):
            assert cli.main(["cases", "list", "--as", "staff_a"]) == 0
        scoped = json.loads(out.getvalue())
    finally:
        config.get_settings.cache_clear()
    assert printed["count"] == 1 and printed["cases"][0]["complaint_ref"] == "K2"  # 交付 and housing_quality
    assert printed["cases"][0]["tags"] == "交付" and printed["cases"][0]["actions"] == 1
    assert [c["complaint_ref"] for c in scoped["cases"]] == ["K1"]
