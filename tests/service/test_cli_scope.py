"""SPEC §11 on the command line, on SQLite and PostgreSQL: `user add … --scope`, `user scope` (audited,
sessions ended), `user list` with scopes, and `--as USERNAME` on kpi, export and report.

The data is the hand-built organisation of test_scope_writes (深圳公司 with 深圳花园 and 深圳湾, 广州公司,
上海公司) plus survey answers, so every area has figures inside and outside 深圳公司.
"""
from __future__ import annotations

import io
import json
from datetime import date

import pytest
from sqlalchemy import select

from lib import cli, config, scope
from lib.db import session_scope
from lib.models import AuditLog, SupervisionActivity, SurveyResponse, SurveyWave, User
from lib.services import users
from tests.service.test_scope_writes import build_org, quick_hashes  # noqa: F401 - a fixture, used by name

MARCH = ["--from", "2025-03-01", "--to", "2025-03-31"]
AREA_GROUPS = {"complaints": (None, "month", "company", "project", "channel"),
               "surveys": (None, "month", "company", "project", "touchpoint"),
               "listening": (None, "month", "company", "department"),
               "supervisors": (None, "month", "company", "project")}


@pytest.fixture
def cli_db(engine, monkeypatch):
    with session_scope(engine) as session:
        made = build_org(session)
        wave = SurveyWave(vendor="零点", method="phone")
        session.add(wave)
        session.flush()
        for key, project, overall in (("k1", "深圳花园", 5), ("k2", "深圳湾", 3), ("k3", "广州华府", 1),
                                      ("k4", "上海苑", 2)):
            session.add(SurveyResponse(wave_id=wave.id, respondent_key=key, surveyed_on=date(2025, 3, 8),
                                       project_id=made[project].id, touchpoint="delivery_1m", scale=5,
                                       overall=overall))
        for project, people in (("深圳花园", 10), ("广州华府", 30)):
            session.add(SupervisionActivity(activity_date=date(2025, 3, 9), project_id=made[project].id,
                                            activity_type="meeting", participants=people))
        users.add_user(session=session, username="gone", role="staff", name="gone", password="pass-word-1234",
                       scope=scope.parse(["company:深圳公司"]))
        users.set_active(session=session, username="gone", active=False, actor="test")
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    config.get_settings.cache_clear()
    yield engine
    config.get_settings.cache_clear()


def _kpi(capsys, *args: str) -> tuple[int, dict | None, str]:
    code = cli.main(["kpi", *args])
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if code == 0 else None), captured.err


@pytest.mark.parametrize("area", list(AREA_GROUPS))
def test_kpi_as_a_company_user_equals_kpi_for_that_company(cli_db, capsys, area):
    for by in AREA_GROUPS[area]:
        grouping = [] if by is None else ["--by", by]
        code, as_user, err = _kpi(capsys, area, *MARCH, "--as", "sz", *grouping)
        assert code == 0, err
        code, for_company, err = _kpi(capsys, area, *MARCH, "--company", "深圳公司", *grouping)
        assert code == 0, err
        assert as_user["kpis"] == for_company["kpis"], (area, by)
        assert as_user["groups"] == for_company["groups"], (area, by)
        assert as_user["as"] == "sz"
        if by == "company":
            assert [g["key"] for g in as_user["groups"]] == ["深圳公司"]  # never another company's row


def test_kpi_as_user_hand_computed(cli_db, capsys):
    """March 2025: 深圳公司 has SZ1 and SZ2 (the group five), answers 5 and 3 on the 1–5 scale (100 and
    50 → mean 75; the group's four: (100+50+0+25)/4 = 43.75), and one meeting of 10 (the group 40)."""
    _, mine, _ = _kpi(capsys, "complaints", *MARCH, "--as", "sz")
    _, group, _ = _kpi(capsys, "complaints", *MARCH)
    assert (mine["kpis"]["complaints"], group["kpis"]["complaints"]) == (2, 5)
    _, mine, _ = _kpi(capsys, "surveys", *MARCH, "--as", "sz")
    _, group, _ = _kpi(capsys, "surveys", *MARCH)
    assert (mine["kpis"]["satisfaction_score"], group["kpis"]["satisfaction_score"]) == (75.0, 43.75)
    _, garden, _ = _kpi(capsys, "complaints", *MARCH, "--as", "garden")  # project scope: SZ1 only
    assert garden["kpis"]["complaints"] == 1


@pytest.mark.parametrize("args", [["--company", "广州公司"], ["--project", "上海苑"], ["--city", "广州"],
                                  ["--company", "深圳公司,广州公司"]])
def test_an_out_of_scope_filter_exits_non_zero_with_the_message(cli_db, capsys, args):
    code, _, err = _kpi(capsys, "complaints", *MARCH, "--as", "sz", *args)
    assert code != 0
    assert "不在您的数据范围内" in err and "outside your data scope" in err
    assert args[1].split(",")[-1] in err


@pytest.mark.parametrize("who", ["nobody", "gone"])
def test_an_unknown_or_disabled_user_exits_non_zero(cli_db, capsys, who):
    for command in (["kpi", "complaints", *MARCH, "--as", who], ["export", "complaints", "/dev/null", "--as", who]):
        assert cli.main(command) != 0
        err = capsys.readouterr().err
        assert f"“{who}”" in err and "不存在或已停用" in err and "does not exist or is disabled" in err


def test_export_as_a_company_user_holds_its_rows_only(cli_db, capsys, tmp_path):
    out = tmp_path / "mine.csv"
    assert cli.main(["export", "complaints", str(out), "--as", "sz"]) == 0
    text = out.read_text(encoding="utf-8-sig")
    assert "SZ1" in text and "SZ2" in text
    assert not any(ref in text for ref in ("GZ1", "GZ2", "SH1", "广州", "上海"))
    assert cli.main(["export", "complaints", str(tmp_path / "all.csv")]) == 0
    assert "GZ1" in (tmp_path / "all.csv").read_text(encoding="utf-8-sig")
    with session_scope(cli_db, readonly=True) as session:
        row = session.scalars(select(AuditLog).where(AuditLog.action == "export").order_by(AuditLog.id)).all()[-2]
    assert json.loads(row.detail)["as"] == "sz"
    assert cli.main(["export", "audit", str(tmp_path / "audit.csv"), "--as", "sz"]) != 0  # the admin's only
    assert cli.main(["export", "complaints", str(tmp_path / "boss.csv"), "--as", "boss"]) != 0  # no rows (§8)


def test_report_as_a_company_user(cli_db, capsys, tmp_path):
    out = tmp_path / "report.xlsx"
    assert cli.main(["report", "--month", "2025-03", "--out", str(out), "--as", "sz"]) == 0
    assert out.stat().st_size > 0


def test_user_add_with_scopes_and_user_list(cli_db, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-pass-1\n"))
    assert cli.main(["user", "add", "south", "--role", "executive", "--name", "华南", "--scope", "region:华南",
                     "--scope", "company:上海公司", "--password-stdin"]) == 0
    assert "region:华南; company:上海公司" in capsys.readouterr().out
    with session_scope(cli_db, readonly=True) as session:
        assert users.get_user(session=session, username="south").scope == scope.Scope(
            regions=("华南",), companies=("上海公司",))
    assert cli.main(["user", "list"]) == 0
    listed = capsys.readouterr().out
    assert "region:华南; company:上海公司" in listed and "company:深圳公司" in listed
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-pass-1\n"))
    assert cli.main(["user", "add", "x", "--role", "staff", "--name", "x", "--scope", "company:北京公司",
                     "--password-stdin"]) != 0
    err = capsys.readouterr().err
    assert "company:北京公司" in err and "不存在" in err and "does not exist" in err
    assert cli.main(["user", "add", "y", "--role", "admin", "--name", "y", "--scope", "company:深圳公司",
                     "--password-stdin"]) != 0  # an admin is always group
    with session_scope(cli_db, readonly=True) as session:
        assert users.get_user(session=session, username="x") is None
        assert users.get_user(session=session, username="y") is None


def test_user_scope_revokes_sessions_and_is_audited(cli_db, capsys):
    with session_scope(cli_db, readonly=True) as session:
        before = session.scalar(select(User.sessions_valid_after).where(User.username == "sz"))
    assert cli.main(["user", "scope", "sz", "company:广州公司", "project:深圳公司/深圳花园"]) == 0
    assert "scope of sz: company:广州公司; project:深圳公司/深圳花园 (sessions ended)" in capsys.readouterr().out
    with session_scope(cli_db, readonly=True) as session:
        user = session.scalar(select(User).where(User.username == "sz"))
        assert user.sessions_valid_after > before
        assert users.get_user(session=session, username="sz").scope == scope.Scope(
            companies=("广州公司",), projects=(("深圳公司", "深圳花园"),))
        row = session.scalars(select(AuditLog).where(AuditLog.action == "user_scope")
                              .order_by(AuditLog.id.desc())).first()
    detail = json.loads(row.detail) if isinstance(row.detail, str) else row.detail
    assert (row.actor, row.entity_id) == ("cli", "sz")
    assert detail == {"from": ["company:深圳公司"], "to": ["company:广州公司", "project:深圳公司/深圳花园"]}
    # what it now sees follows at once
    code, out, _ = _kpi(capsys, "complaints", *MARCH, "--as", "sz")
    assert out["kpis"]["complaints"] == 3  # GZ1, GZ2 and SZ1
    assert cli.main(["user", "scope", "sz", "group"]) == 0
    capsys.readouterr()
    assert _kpi(capsys, "complaints", *MARCH, "--as", "sz")[1]["kpis"]["complaints"] == 5
    assert cli.main(["user", "scope", "nobody", "group"]) != 0
