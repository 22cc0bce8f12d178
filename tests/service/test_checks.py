"""HQ call-back checks (issue #25 item 1, SPEC §14) on SQLite and PostgreSQL, with a hand-built fixture.

Period: Mon 3 – Sun 9 March 2025. Settings at their defaults: share 5%, minimum 3.
- 甲公司 (甲花园): 10 complaints resolved in the period (status resolved)       → max(3, ceil(0.5)) = 3
  plus ones that are not candidates: one closed (archived), one resolved on 10 March (outside), one
  in progress.
- 乙公司 (乙华府): 100 resolved in the period (resolved / verified alternately) → max(3, ceil(5.0)) = 5
- 丙公司 (丙苑):   2 resolved in the period                                     → min(2, 3) = 2 (capped)
So a draw takes 3 + 5 + 2 = 10 checks.
"""
from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from sqlalchemy import delete, func, select

from lib import cli, config, scope
from lib.db import session_scope
from lib.errors import ValidationFailed
from lib.models import AuditLog, CheckResult, CheckSample, Company, Complaint, ComplaintEvent, Project
from lib.services import checks, users
from lib.vocab import normalise_text
from tests.fixtures import complaint
from tests.service.test_scope_writes import quick_hashes  # noqa: F401 - a fixture, used by name

START, END = date(2025, 3, 3), date(2025, 3, 9)
RESOLVED = datetime(2025, 3, 5, 15)


def _company(session, name: str, project: str) -> Project:
    c = Company(name=name, city="测试城", region="测试片区")
    session.add(c)
    session.flush()
    p = Project(company_id=c.id, name=project, name_norm=normalise_text(project), city="测试城",
                business_line="property_management")
    session.add(p)
    session.flush()
    return p


def _resolved(session, project: Project, ref: str, status: str = "resolved", resolved_at: datetime = RESOLVED,
              **extra) -> Complaint:
    return complaint(session, project, ref, datetime(2025, 3, 3, 9), "hotline", "ordinary", True, status,
                     first_response_at=datetime(2025, 3, 3, 10), resolved_at=resolved_at,
                     complainant_name="王某某", complainant_phone="13800001234", **extra)


@pytest.fixture
def world(engine):
    with session_scope(engine) as s:
        a, b, c = (_company(s, "甲公司", "甲花园"), _company(s, "乙公司", "乙华府"), _company(s, "丙公司", "丙苑"))
        for i in range(10):
            _resolved(s, a, f"A{i:03d}")
        _resolved(s, a, "A-closed", status="closed", closed_at=datetime(2025, 3, 7))
        _resolved(s, a, "A-late", resolved_at=datetime(2025, 3, 10, 9))
        complaint(s, a, "A-open", datetime(2025, 3, 4, 9), "hotline", "ordinary", True, "in_progress")
        for i in range(100):
            _resolved(s, b, f"B{i:03d}", status="resolved" if i % 2 else "verified",
                      followup_at=datetime(2025, 3, 6) if i % 2 == 0 else None)
        for i in range(2):
            _resolved(s, c, f"C{i:03d}")
    return engine


def _drawn(session) -> dict[str, list[str]]:
    rows = session.execute(select(Company.name, Complaint.ref).select_from(CheckSample)
                           .join(Complaint, Complaint.id == CheckSample.complaint_id)
                           .join(Company, Company.id == CheckSample.company_id).order_by(Complaint.ref)).all()
    out: dict[str, list[str]] = {}
    for company, ref in rows:
        out.setdefault(company, []).append(ref)
    return out


def test_sample_size_rule():
    # max(minimum, ceil(share × resolved)), at most resolved
    assert checks.sample_size(10, 0.05, 3) == 3
    assert checks.sample_size(100, 0.05, 3) == 5
    assert checks.sample_size(101, 0.05, 3) == 6  # ceil(5.05)
    assert checks.sample_size(2, 0.05, 3) == 2
    assert checks.sample_size(0, 0.05, 3) == 0


def test_draw_respects_the_per_company_minimum_and_is_idempotent(world):
    with session_scope(world) as s:  # a company-scoped reader does not draw HQ's sample
        with pytest.raises(scope.OutOfScope):
            checks.draw(START, END, session=s, actor="local", reach=scope.Reach(frozenset({1}), frozenset({1})))
    with session_scope(world) as s:
        drawn = {d.company: (d.resolved, d.size, d.added) for d in checks.draw(START, END, session=s, actor="hq")}
    assert drawn == {"甲公司": (10, 3, 3), "乙公司": (100, 5, 5), "丙公司": (2, 2, 2)}
    with session_scope(world) as s:
        again = checks.draw(START, END, session=s, actor="hq")
        assert sum(d.added for d in again) == 0
        sample = _drawn(s)
        assert {k: len(v) for k, v in sample.items()} == {"甲公司": 3, "乙公司": 5, "丙公司": 2}
        # never the archived, the late or the open one
        assert not {"A-closed", "A-late", "A-open"} & set(sample["甲公司"])
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "check_draw")) == 2
    # 20 more resolved at 乙公司: 120 → ceil(6.0) = 6, so the next draw tops it up by exactly one
    with session_scope(world) as s:
        b = s.scalar(select(Project).where(Project.name == "乙华府"))
        for i in range(20):
            _resolved(s, b, f"B{100 + i:03d}")
    with session_scope(world) as s:
        top = {d.company: d.added for d in checks.draw(START, END, session=s, actor="hq")}
    assert top == {"甲公司": 0, "乙公司": 1, "丙公司": 0}


def test_the_same_seed_draws_the_same_sample(world):
    with session_scope(world) as s:
        checks.draw(START, END, session=s, actor="hq", seed="march")
        first = _drawn(s)
        s.execute(delete(CheckSample))
    with session_scope(world) as s:
        checks.draw(START, END, session=s, actor="hq", seed="march")
        assert _drawn(s) == first
        s.execute(delete(CheckSample))
    with session_scope(world) as s:
        checks.draw(START, END, session=s, actor="hq", seed="april")
        other = _drawn(s)
    # 丙公司's two are drawn whatever the seed; 乙公司's 5 of 100 differ (C(100,5) ≈ 75 million samples)
    assert other["丙公司"] == first["丙公司"]
    assert other["乙公司"] != first["乙公司"]


def _input(**changes) -> checks.CheckInput:
    base = dict(reached=True, attempts=1, resolution_confirmed=True, satisfaction=5, first_response_in_time=True,
                root_cause_recorded=True, corrective_action_recorded=True, followup_done=True, finding="")
    return checks.CheckInput(**(base | changes))


def _samples(session, company: str) -> list[int]:
    return list(session.scalars(select(CheckSample.id).join(Company, Company.id == CheckSample.company_id)
                                .where(Company.name == company).order_by(CheckSample.id)))


def test_a_failed_check_reopens_the_complaint_with_the_finding(world):
    with session_scope(world) as s:
        checks.draw(START, END, session=s, actor="hq")
        sample_id = _samples(s, "甲公司")[0]
    with session_scope(world) as s:
        with pytest.raises(ValidationFailed):  # failed without a finding: refused, nothing written
            checks.record(sample_id, _input(resolution_confirmed=False, satisfaction=2), session=s, actor="hq")
    with session_scope(world) as s:
        assert s.get(CheckSample, sample_id).status == "pending"
        assert s.scalar(select(func.count()).select_from(CheckResult)) == 0
        with pytest.raises(scope.OutOfScope):  # a company does not check itself
            checks.record(sample_id, _input(), session=s, actor="hq",
                          reach=scope.Reach(frozenset({1}), frozenset({1})))
    with session_scope(world) as s:
        outcome = checks.record(sample_id, _input(resolution_confirmed=False, satisfaction=2, finding="仍在漏水"),
                                session=s, actor="hq", at=datetime(2025, 3, 12, 10))
    assert outcome == "failed"
    with session_scope(world) as s:
        sample = s.get(CheckSample, sample_id)
        c = s.get(Complaint, sample.complaint_id)
        assert (sample.status, c.status, c.reopen_count, c.resolved_at) == ("failed", "in_progress", 1, None)
        actions = {e.action: e.note for e in s.scalars(select(ComplaintEvent).where(ComplaintEvent.complaint_id == c.id))}
        assert actions["check_failed"] == "仍在漏水" and "仍在漏水" in actions["reopen"]
        audited = set(s.scalars(select(AuditLog.action).where(AuditLog.entity_id == c.ref)))
        assert {"check_record", "complaint_check_failed", "complaint_reopen"} <= audited
        with pytest.raises(Exception, match="err_chk_done"):
            checks.record(sample_id, _input(), session=s, actor="hq")


def test_a_failed_check_of_an_archived_complaint_writes_nothing(world):
    with session_scope(world) as s:
        checks.draw(START, END, session=s, actor="hq")
        sample_id = _samples(s, "丙公司")[0]
        s.get(Complaint, s.get(CheckSample, sample_id).complaint_id).status = "closed"
    with session_scope(world) as s:
        with pytest.raises(Exception, match="err_chk_cannot_reopen"):
            checks.record(sample_id, _input(followup_done=False, finding="未回访"), session=s, actor="hq")
    with session_scope(world) as s:
        assert s.get(CheckSample, sample_id).status == "pending"
        assert s.scalar(select(func.count()).select_from(CheckResult)) == 0


def _record_scenario(engine) -> None:
    """甲: passed, failed (not confirmed), pending.  乙: unreached, failed (no root cause), passed, 2 pending.
    丙: 2 pending."""
    with session_scope(engine) as s:
        checks.draw(START, END, session=s, actor="hq")
        a, b = _samples(s, "甲公司"), _samples(s, "乙公司")
    plan = [(a[0], _input()), (a[1], _input(resolution_confirmed=False, satisfaction=1, finding="没修好")),
            (b[0], _input(reached=False, attempts=3, resolution_confirmed=None, satisfaction=None)),
            (b[1], _input(root_cause_recorded=False, satisfaction=4, finding="原因分析空白")), (b[2], _input())]
    for sample_id, data in plan:
        with session_scope(engine) as s:
            checks.record(sample_id, data, session=s, actor="hq", at=datetime(2025, 3, 12, 10))


@pytest.fixture
def cli_db(world, monkeypatch):
    _record_scenario(world)
    with session_scope(world) as s:
        users.add_user(session=s, username="jia_staff", role="staff", name="甲", password="pass-word-1234",
                       scope=scope.parse(["company:甲公司"]))
    monkeypatch.setenv("DATABASE_URL", world.url.render_as_string(hide_password=False))
    config.get_settings.cache_clear()
    yield world
    config.get_settings.cache_clear()


def _kpi(capsys, *args: str) -> dict:
    assert cli.main(["kpi", "checks", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_kpi_checks_on_the_cli_equals_hand_computed_values(cli_db, capsys):
    out = _kpi(capsys, "--from", "2025-03-01", "--to", "2025-03-31", "--by", "company")
    # due 3 + 5 + 2 = 10; done 2 (甲) + 3 (乙) = 5; reached 甲2 + 乙2 = 4; confirmed 甲1 + 乙2 = 3;
    # all four handling checks: 甲 both, 乙 the unreached and the passed one = 4; failed 甲1 + 乙1 = 2
    assert out["kpis"] == {"checks_due": 10, "checks_done": 5, "checks_reached": 4, "checks_failed": 2,
                           "check_coverage": 0.5, "confirmed_resolution_rate": 0.75,
                           "handling_compliance_rate": 0.8}
    groups = {g["key"]: g["kpis"] for g in out["groups"]}
    assert groups["甲公司"]["check_coverage"] == pytest.approx(2 / 3)
    assert groups["甲公司"]["confirmed_resolution_rate"] == 0.5  # 1 confirmed / 2 reached
    assert groups["甲公司"]["handling_compliance_rate"] == 1.0  # 2 / 2
    assert groups["乙公司"]["check_coverage"] == 0.6  # 3 / 5
    assert groups["乙公司"]["confirmed_resolution_rate"] == 1.0  # 2 / 2
    assert groups["乙公司"]["handling_compliance_rate"] == pytest.approx(2 / 3)
    assert groups["丙公司"] | {} == {"checks_due": 2, "checks_done": 0, "checks_reached": 0, "checks_failed": 0,
                                    "check_coverage": 0.0, "confirmed_resolution_rate": None,
                                    "handling_compliance_rate": None}
    # dated by the resolution: the failed checks' complaints are reopened (no resolved_at now) and still count
    assert _kpi(capsys, "--from", "2025-03-05", "--to", "2025-03-05")["kpis"]["checks_due"] == 10
    empty = _kpi(capsys, "--from", "2025-03-06", "--to", "2025-03-31")["kpis"]
    assert (empty["checks_due"], empty["check_coverage"]) == (0, None)
    # a company-scoped user's view is its company's own row
    mine = _kpi(capsys, "--from", "2025-03-01", "--to", "2025-03-31", "--as", "jia_staff")["kpis"]
    assert (mine["checks_due"], mine["checks_done"], mine["checks_failed"]) == (3, 2, 1)


def test_checks_draw_on_the_cli(world, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", world.url.render_as_string(hide_password=False))
    config.get_settings.cache_clear()
    try:
        assert cli.main(["checks", "draw", "--from", "2025-03-03", "--to", "2025-03-09", "--seed", "x"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["added"] == 10
        assert {c["company"]: c["size"] for c in out["companies"]} == {"甲公司": 3, "乙公司": 5, "丙公司": 2}
        assert cli.main(["checks", "draw", "--from", "2025-03-03", "--to", "2025-03-09", "--seed", "x"]) == 0
        assert json.loads(capsys.readouterr().out)["added"] == 0
        from lib.cli_checks import previous_working_day

        # the cron default period starts at the previous working day of the statutory calendar:
        # Mon 10 Mar 2025 → Fri 7 Mar; Thu 9 Oct 2025 (National Day 1–8 Oct off) → Tue 30 Sep
        assert previous_working_day(date(2025, 3, 10)) == date(2025, 3, 7)
        assert previous_working_day(date(2025, 10, 9)) == date(2025, 9, 30)
        assert cli.main(["checks", "draw", "--from", "2025-03-03"]) == 2  # both or neither
    finally:
        config.get_settings.cache_clear()


def test_the_monthly_report_and_the_league_carry_the_checks(cli_db):
    import io

    from openpyxl import load_workbook

    from lib.kpis.common import KpiFilter
    from lib.services import overview, reports

    with session_scope(cli_db) as s:
        wb = load_workbook(io.BytesIO(reports.monthly_report("2025-03", session=s)))
        sheet = wb["抽查回访 Checks"]
        values = {sheet.cell(row=r, column=1).value: sheet.cell(row=r, column=2).value for r in range(1, 40)}
        assert values["抽查完成率 Check coverage"] == 0.5  # 5 done / 10 due, as above
        assert values["处理合规率 Handling compliance rate"] == 0.8
        league = overview.league(KpiFilter(date(2025, 3, 1), date(2025, 3, 31)), session=s).set_index("company")
        assert league.loc["乙公司", "check_coverage"] == 0.6
        assert league.loc["甲公司", "confirmed_resolution_rate"] == 0.5


def test_the_admins_sample_rule_sets_the_sizes(world):
    with session_scope(world) as s:
        for share, minimum in ((0, 3), (150, 3), (5, -1)):
            with pytest.raises(ValidationFailed):
                checks.set_sample_rule(share, minimum, session=s, actor="admin")
        checks.set_sample_rule(10, 4, session=s, actor="admin")
    with session_scope(world) as s:
        sizes = {d.company: d.size for d in checks.draw(START, END, session=s, actor="hq")}
    # 10%, at least 4: 甲 max(4, ceil(1.0)) = 4; 乙 max(4, ceil(10.0)) = 10; 丙 min(2, 4) = 2
    assert sizes == {"甲公司": 4, "乙公司": 10, "丙公司": 2}
