"""Issue #23, numbers that mislead: survey groups carry yoy_change (item 15), the minimum sample per KPI
(item 1), partial periods (item 2) and the monthly report's like-with-like listening comparison (item 5)."""
from __future__ import annotations

import io
import json
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from lib import charts, cli, config
from lib.db import session_scope
from lib.kpis.common import KpiFilter
from lib.models import Employee, ListeningActivity, SurveyResponse, SurveyWave
from lib.services import overview, reports, settings, survey_views, targets
from tests import fixtures

MARCH = ["--from", "2025-03-01", "--to", "2025-03-31"]


@pytest.fixture
def survey_db(engine, monkeypatch):
    """March 2025 against March 2024, scale 5 ((x − 1) × 25):
    A公司 delivery_1m: 2025 5, 4 (100, 75 → 87.5); 2024 3 (50).
    B公司 signing_6m: 2025 2 (25); 2024 4 (75). B公司 signing_1m: 2025 5 (100), nothing in 2024."""
    with session_scope(engine) as session:
        p1, p2 = fixtures.org(session)
        wave = SurveyWave(vendor="零点", method="phone")
        session.add(wave)
        session.flush()
        for i, (project, touchpoint, day, overall) in enumerate((
                (p1, "delivery_1m", date(2025, 3, 3), 5), (p1, "delivery_1m", date(2025, 3, 4), 4),
                (p1, "delivery_1m", date(2024, 3, 5), 3),
                (p2, "signing_6m", date(2025, 3, 6), 2), (p2, "signing_6m", date(2024, 3, 7), 4),
                (p2, "signing_1m", date(2025, 3, 8), 5))):
            session.add(SurveyResponse(wave_id=wave.id, respondent_key=f"k{i}", surveyed_on=day,
                                       project_id=project.id, touchpoint=touchpoint, scale=5, overall=overall))
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    config.get_settings.cache_clear()
    yield engine
    config.get_settings.cache_clear()


def _kpi(capsys, *args: str) -> dict:
    assert cli.main(["kpi", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_survey_groups_carry_their_own_yoy_change(survey_db, capsys):
    by_company = {g["key"]: g["kpis"] for g in _kpi(capsys, "surveys", *MARCH, "--by", "company")["groups"]}
    assert by_company["A公司"]["satisfaction_score"] == pytest.approx(87.5)
    assert by_company["A公司"]["yoy_change"] == pytest.approx(87.5 - 50)
    # B: (25 + 100) / 2 = 62.5 against 75
    assert by_company["B公司"]["yoy_change"] == pytest.approx(62.5 - 75)
    by_touchpoint = {g["key"]: g["kpis"] for g in _kpi(capsys, "surveys", *MARCH, "--by", "touchpoint")["groups"]}
    assert by_touchpoint["delivery_1m"]["yoy_change"] == pytest.approx(37.5)
    assert by_touchpoint["signing_6m"]["yoy_change"] == pytest.approx(25 - 75)
    assert by_touchpoint["signing_1m"]["yoy_change"] is None  # nothing a year earlier
    whole = _kpi(capsys, "surveys", *MARCH, "--by", "month")
    # (100 + 75 + 25 + 100) / 4 = 75 against (50 + 75) / 2 = 62.5; the month against March 2024
    assert whole["kpis"]["yoy_change"] == pytest.approx(12.5)
    assert whole["groups"] == [{"key": "2025-03", "kpis": pytest.approx(whole["groups"][0]["kpis"])}]
    assert whole["groups"][0]["kpis"]["yoy_change"] == pytest.approx(12.5)


# ---- item 1 (minimum sample) and item 5 (the report's like-with-like listening, changes in pt) ----

MARCH_2025 = KpiFilter(date(2025, 3, 1), date(2025, 3, 31))  # previous period: 29 Jan – 28 Feb


@pytest.fixture
def small_and_big(session):
    """A公司: ten complaints in March, six resolved (60%); ten in February, all resolved.
    B公司: one complaint in March, unresolved (0%); five in February, all resolved (100%) — a 100 → 0 drop
    of z = 2.45, p = 0.014 on 1 and 5 cases. A公司's five staff all took part in January, none in March.
    Surveys: 深圳花园 (A) two answers in March. Targets: resolution 60%, staff participation 45%."""
    p1, p2 = fixtures.org(session)

    def add(project, ref, day, done):
        fixtures.complaint(session, project, ref, datetime(2025, day[0], day[1], 9), "hotline", "ordinary", True,
                           "closed" if done else "in_progress",
                           **({"first_response_at": datetime(2025, day[0], day[1], 10),
                               "resolved_at": datetime(2025, day[0], day[1], 12),
                               "closed_at": datetime(2025, day[0], day[1], 13)} if done else {}))
    for i in range(10):
        add(p1, f"A3{i}", (3, 3 + i), i < 6)
        add(p1, f"A2{i}", (2, 3 + i), True)
    add(p2, "B30", (3, 5), False)
    for i in range(5):
        add(p2, f"B2{i}", (2, 3 + i), True)
    for i in range(5):
        e = Employee(employee_no=f"E{i}", name=f"E{i}", company_id=p1.company_id, department="客服部",
                     is_management=False, joined_on=date(2020, 1, 1))
        session.add(e)
        session.flush()
        session.add(ListeningActivity(employee_id=e.id, activity_date=date(2025, 1, 10), activity_type="visit_customer"))
    wave = SurveyWave(vendor="零点", method="phone")
    session.add(wave)
    session.flush()
    for i, overall in enumerate((5, 4)):
        session.add(SurveyResponse(wave_id=wave.id, respondent_key=f"s{i}", surveyed_on=date(2025, 3, 10),
                                   project_id=p1.id, touchpoint="delivery_1m", scale=5, overall=overall))
    targets.save([{"kpi": "resolution_rate", "target": 0.6, "amber": 0.0},
                  {"kpi": "participation_rate_staff", "target": 0.45, "amber": 0.05}], session=session, actor="test")
    session.flush()
    return session


def test_a_company_below_the_minimum_is_greyed_and_not_ranked(small_and_big):
    s = small_and_big
    assert settings.min_sample(session=s)["resolution_rate"] == 10  # the default
    league = overview.league(MARCH_2025, session=s).set_index("company")
    # A公司: resolution 60% of a 60% target on 10 complaints → 100%; March staff participation 0 of 5
    # against 45% → 0%: composite 50%, ranked 1 of the 1 ranked
    assert league.loc["A公司", "composite"] == pytest.approx(50.0)
    assert (league.loc["A公司", "rank"], league.loc["A公司", "of"]) == (1, 1)
    # B公司: one complaint, 0% — too few: no colour, no composite, no rank
    assert bool(league.loc["B公司", "resolution_rate__few"]) is True
    assert not isinstance(league.loc["B公司", "resolution_rate__colour"], str)  # no colour
    assert league.loc["B公司", "rank"] is None and league.loc["B公司", "composite"] != league.loc["B公司", "composite"]
    # the KPI itself is unchanged (SPEC §7)
    assert league.loc["B公司", "resolution_rate"] == pytest.approx(0.0)
    settings.put("min_sample", {"resolution_rate": 1}, session=s, actor="admin")
    league = overview.league(MARCH_2025, session=s).set_index("company")
    assert (league.loc["A公司", "rank"], league.loc["B公司", "rank"], league.loc["A公司", "of"]) == (1, 2, 2)


def test_a_mover_below_the_minimum_is_not_tested(small_and_big):
    s = small_and_big
    moves = overview.movers(MARCH_2025, session=s)
    # A公司 100% → 60% on 10 and 10 (z = 2.39, p = 0.017) is a mover; B公司's 100% → 0% on 5 and 1 is not
    assert list(zip(moves["company"], moves["kpi"], strict=True)) == [("A公司", "resolution_rate")]
    assert moves.loc[0, "change_points"] == pytest.approx(-40.0)
    settings.put("min_sample", {"resolution_rate": 1}, session=s, actor="admin")
    moves = overview.movers(MARCH_2025, session=s)
    assert list(moves["company"]) == ["B公司", "A公司"]  # −100 pt, then −40 pt
    assert moves.loc[0, "p_value"] == pytest.approx(0.0143, abs=1e-3)


def test_a_heat_map_cell_below_the_minimum_is_too_few(small_and_big):
    heat = survey_views.heatmap(MARCH_2025, session=small_and_big)
    overall = heat[heat["dimension"] == "overall"].iloc[0]
    assert (overall["key"], overall["n"], bool(overall["few"])) == ("深圳花园", 2, True)
    spec = charts.spec(charts.heatmap(heat.assign(label=heat["dimension"]), row_title="p", value_title="v",
                                      few_label="样本不足"))
    cells = spec["datasets"] if "datasets" in spec else spec["data"]["values"]
    values = cells if isinstance(cells, list) else next(iter(cells.values()))
    assert [v["shown"] for v in values if v["dimension"] == "overall"] == ["样本不足"]
    settings.put("min_sample", {"satisfaction_score": 2}, session=small_and_big, actor="admin")
    heat = survey_views.heatmap(MARCH_2025, session=small_and_big)
    assert not heat["few"].any()


def _sheet_rows(ws) -> dict:
    return {ws.cell(row=r, column=1).value: [ws.cell(row=r, column=c) for c in range(1, 10)]
            for r in range(1, 80) if ws.cell(row=r, column=1).value is not None}


def test_the_report_greys_too_few_and_compares_listening_year_to_date(small_and_big):
    wb = load_workbook(io.BytesIO(reports.monthly_report("2025-03", session=small_and_big)))
    complaints_sheet = _sheet_rows(wb["投诉 Complaints"])
    assert complaints_sheet["A公司"][1].value == pytest.approx(0.6)
    assert complaints_sheet["B公司"][1].value == "样本不足 too few"  # one complaint
    summary = wb["概览 Summary"]
    texts = [summary.cell(row=r, column=c).value for r in range(1, 40) for c in range(1, 4)]
    assert "1 / 1" in texts and "— 样本不足 too few" in texts  # A ranked of one; B not ranked
    rows = {summary.cell(row=r, column=2).value: [summary.cell(row=r, column=c) for c in range(1, 10)]
            for r in range(5, 14)}
    staff = rows["员工参与率 Staff participation"]
    # March alone: 0 of 5 took part; the year to date (January on): 5 of 5 against the annual 45% → on target
    assert staff[2].value == pytest.approx(0.0)
    assert staff[7].value == pytest.approx(1.0)
    assert staff[4].value == "达标 On target"
    assert staff[8].value == "年初至今 vs 年度目标 Year to date vs annual target"
    resolution = rows["解决率 Resolution rate"]
    assert resolution[8].value == "本月 vs 目标 This month vs target"
    # a change of a rate is in points: staff participation March 2025 (0 of 5) against March 2024 (0 of 5)
    listening_sheet = _sheet_rows(wb["倾听 Listening"])
    change = listening_sheet["员工参与率 Staff participation"][5]
    assert change.value == pytest.approx(0.0) and change.number_format == reports.POINTS == '+0.0" pt";-0.0" pt";0.0" pt"'
    assert listening_sheet["员工参与率 Staff participation"][6].value == pytest.approx(1.0)  # year to date


def test_a_change_of_a_rate_is_in_points():
    assert reports._change("resolution_rate", 0.62, 0.60) == (pytest.approx(2.0), reports.POINTS)
    assert reports._change("satisfaction_score", 80.0, 78.5) == (pytest.approx(1.5), "+0.0;-0.0;0.0")
