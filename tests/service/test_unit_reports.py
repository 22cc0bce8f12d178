"""Monthly unit reports (issue #25 item 4, SPEC §14) on SQLite and PostgreSQL, with the clock passed in.

Hand-built: A公司 (深圳花园), B公司 (广州华府), C公司 (no project). Month reported: March 2025, so the
report is due on 28 April 2025 (setting unit_report_due_day = 28; April has 30 days).
A公司 has 3 complaints received in March (RA1–RA3), B公司 one (RB1): the snapshot's `complaints` is 3
for A, and 4 after a fourth (RA4) arrives and A resubmits.
"""
from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from lib import cli, config, scope
from lib.db import session_scope
from lib.errors import ValidationFailed
from lib.models import AuditLog, Company, UnitReport
from lib.services import unit_reports as ur
from tests.fixtures import complaint, org

MONTH = "2025-03"
DUE = date(2025, 4, 28)


@pytest.fixture
def world(engine):
    with session_scope(engine) as s:
        p1, p2 = org(s)
        s.add(Company(name="C公司", city="佛山", region="华南"))
        for ref, day in (("RA1", 3), ("RA2", 10), ("RA3", 31)):
            complaint(s, p1, ref, datetime(2025, 3, day, 9), "hotline", "ordinary", True, "received")
        complaint(s, p2, "RB1", datetime(2025, 3, 5, 9), "hotline", "ordinary", True, "received")
        complaint(s, p1, "RA0", datetime(2025, 4, 1, 9), "hotline", "ordinary", True, "received")  # April: not in
        s.flush()
        ids = {c.name: c.id for c in s.scalars(select(Company))}
    return engine, ids


def _reach(ids, *names):
    return scope.Reach(frozenset(), frozenset(ids[n] for n in names), frozenset(names))


GROUP = scope.Reach(None, None)


def test_due_day_and_states_on_the_28th_and_29th(world):
    engine, ids = world
    with session_scope(engine) as s:
        assert ur.due_on(MONTH, session=s) == DUE
        assert ur.due_on("2025-01", session=s) == date(2025, 2, 28)
        # A at 23:59 on the 28th: on time; B at 00:01 on the 29th: late
        ur.submit("A公司", MONTH, analysis="分析A", actions="措施A", session=s, actor="sa", reach=_reach(ids, "A公司"),
                  now=datetime(2025, 4, 28, 23, 59))
        ur.submit("B公司", MONTH, analysis="分析B", actions="措施B", session=s, actor="sb", reach=_reach(ids, "B公司"),
                  now=datetime(2025, 4, 29, 0, 1))
    with session_scope(engine) as s:
        on_28 = ur.status(MONTH, session=s, today=date(2025, 4, 28))
        on_29 = ur.status(MONTH, session=s, today=date(2025, 4, 29))
    by = lambda st: dict(zip(st.companies["company"], st.companies["state"], strict=True))  # noqa: E731
    assert by(on_28) == {"A公司": "submitted", "B公司": "late", "C公司": "pending"}
    assert by(on_29) == {"A公司": "submitted", "B公司": "late", "C公司": "missing"}
    assert on_29.counts == {"submitted": 1, "late": 1, "returned": 0, "missing": 1, "pending": 0}
    assert on_28.counts["pending"] == 1 and on_28.counts["missing"] == 0


def test_state_rule_by_hand():
    assert ur.state_of("submitted", datetime(2025, 4, 28, 23, 59), DUE, date(2025, 5, 1)) == "submitted"
    assert ur.state_of("submitted", datetime(2025, 4, 29, 0, 0), DUE, date(2025, 5, 1)) == "late"
    assert ur.state_of(None, None, DUE, date(2025, 4, 28)) == "pending"
    assert ur.state_of(None, None, DUE, date(2025, 4, 29)) == "missing"
    assert ur.state_of("returned", datetime(2025, 4, 2), DUE, date(2025, 4, 29)) == "returned"


def test_figures_snapshot_return_and_resubmit(world):
    engine, ids = world
    a = _reach(ids, "A公司")
    with session_scope(engine) as s:
        ur.submit("A公司", MONTH, analysis="渗水集中", actions="排查", session=s, actor="sa", reach=a,
                  now=datetime(2025, 4, 10, 9))
    with session_scope(engine) as s:
        p1 = s.scalar(select(Company).where(Company.name == "A公司"))
        from lib.models import Project
        project = s.scalar(select(Project).where(Project.company_id == p1.id))
        complaint(s, project, "RA4", datetime(2025, 3, 20, 9), "hotline", "ordinary", True, "received")
    with session_scope(engine) as s:
        # the snapshot keeps 3 (RA1–RA3) although March now holds 4 complaints of A公司
        assert ur.detail("A公司", MONTH, session=s, reach=a)["figures"]["complaints"] == 3
        with pytest.raises(ValidationFailed) as twice:
            ur.submit("A公司", MONTH, analysis="x", actions="y", session=s, actor="sa", reach=a,
                      now=datetime(2025, 4, 11, 9))
        assert twice.value.key == "urep_err_already"
    with session_scope(engine) as s:
        with pytest.raises(scope.OutOfScope) as not_hq:
            ur.return_report("A公司", MONTH, comment="补充原因", session=s, actor="sa", reach=a)
        assert not_hq.value.key == "urep_err_hq_only"
        with pytest.raises(ValidationFailed):  # comments are required
            ur.return_report("A公司", MONTH, comment="  ", session=s, actor="hq", reach=GROUP)
        ur.return_report("A公司", MONTH, comment="请补充原因分析", session=s, actor="hq", reach=GROUP)
    with session_scope(engine) as s:
        st_ = ur.status(MONTH, session=s, today=date(2025, 4, 20))
        assert dict(zip(st_.companies["company"], st_.companies["state"], strict=True))["A公司"] == "returned"
        with pytest.raises(ValidationFailed) as again:
            ur.return_report("A公司", MONTH, comment="再退", session=s, actor="hq", reach=GROUP)
        assert again.value.key == "urep_err_not_submitted"
        # resubmitted after the due day: still on time (first submission 10 April), figures refreshed to 4
        ur.submit("A公司", MONTH, analysis="渗水集中，原因：防水层", actions="排查+返修", session=s, actor="sa",
                  reach=a, now=datetime(2025, 5, 2, 9))
    with session_scope(engine) as s:
        d = ur.detail("A公司", MONTH, session=s, reach=a)
        assert (d["status"], d["figures"]["complaints"], d["resubmissions"]) == ("submitted", 4, 1)
        st_ = ur.status(MONTH, session=s, today=date(2025, 5, 2))
        assert dict(zip(st_.companies["company"], st_.companies["state"], strict=True))["A公司"] == "submitted"
        actions = s.scalars(select(AuditLog.action).where(AuditLog.entity == "unit_report").order_by(AuditLog.id)).all()
        assert actions == ["unit_report_submit", "unit_report_return", "unit_report_resubmit"]


def test_scope_and_bad_input_write_nothing(world):
    engine, ids = world
    a = _reach(ids, "A公司")
    with session_scope(engine) as s:
        with pytest.raises(scope.OutOfScope):  # A's staff cannot submit B's
            ur.submit("B公司", MONTH, analysis="x", actions="y", session=s, actor="sa", reach=a,
                      now=datetime(2025, 4, 2))
        with pytest.raises(ValidationFailed) as early:  # March is not over on 31 March
            ur.submit("A公司", MONTH, analysis="x", actions="y", session=s, actor="sa", reach=a,
                      now=datetime(2025, 3, 31, 23))
        assert early.value.key == "urep_err_not_over"
        with pytest.raises(ValidationFailed) as blank:
            ur.submit("A公司", MONTH, analysis="x", actions=" ", session=s, actor="sa", reach=a,
                      now=datetime(2025, 4, 2))
        assert blank.value.params["fields"] == "urep_actions"
        with pytest.raises(ValidationFailed) as month:
            ur.submit("A公司", "2025-13", analysis="x", actions="y", session=s, actor="sa", reach=a)
        assert month.value.key == "urep_err_month"
        # A's reach sees only A's row
        assert list(ur.status(MONTH, session=s, reach=a, today=DUE).companies["company"]) == ["A公司"]
        with pytest.raises(scope.OutOfScope):
            ur.detail("B公司", MONTH, session=s, reach=a)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(UnitReport)) == 0


def test_cli_status_json(world, monkeypatch):
    engine, ids = world
    with session_scope(engine) as s:
        ur.submit("B公司", MONTH, analysis="分析B", actions="措施B", session=s, actor="sb",
                  now=datetime(2025, 4, 29, 10))
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    config.get_settings.cache_clear()
    try:
        out = io.StringIO()
        with redirect_stdout(out):
            assert cli.main(["unit-reports", "status", "--month", MONTH, "--today", "2025-04-29"]) == 0
        printed = json.loads(out.getvalue())
        out28 = io.StringIO()
        with redirect_stdout(out28):
            assert cli.main(["unit-reports", "status", "--month", MONTH, "--today", "2025-04-28"]) == 0
        assert cli.main(["unit-reports", "status", "--month", "2025-3x"]) == 2
    finally:
        config.get_settings.cache_clear()
    assert printed["due_on"] == "2025-04-28"
    states = {r["company"]: r["state"] for r in printed["companies"]}
    assert states == {"A公司": "missing", "B公司": "late", "C公司": "missing"}
    assert printed["counts"] == {"submitted": 0, "late": 1, "returned": 0, "missing": 2, "pending": 0}
    assert {r["company"]: r["state"] for r in json.loads(out28.getvalue())["companies"]}["A公司"] == "pending"
