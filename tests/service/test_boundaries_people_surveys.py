"""Survey KPIs on their boundaries (SPEC §7), on SQLite and PostgreSQL, through the row store and the
analytic mirror: top-2-box starts at 9 on scales 10 and 11 (an 8 is not top-2) and at 4 on scale 5;
NPS detractors are 0–6 (a 6 is one, a 7 is passive), promoters 9–10; `vs_industry` is taken against the
benchmark of the period's own year; the mirror's stored top-2-box flag is right on scales 10/11.

Hand-made data (tests/fixtures.py avoids every one of these boundaries). Every answer of 2025 is at
深圳花园 (A公司), touchpoint delivery_1m, on 2025-03-15:

    key  scale overall → 0–100          top-2?   recommend
    a1   5     3       (3−1)×25 = 50     no       0   detractor
    a2   5     4       75                yes      6   detractor (the highest one)
    a3   5     5       100               yes      7   passive (the lowest one)
    b1   10    8       7×100/9 = 77.78   no       8   passive
    b2   10    9       8×100/9 = 88.89   yes      9   promoter (the lowest one)
    b3   10    10      100               yes      10  promoter
    c1   11    7       70                no       10  promoter
    c2   11    8       80                no       7   passive
    c3   11    9       90                yes      9   promoter
    c4   11    10      100               yes      —   (no recommend)

responses 10; top-2-box 6 of 10 = 0.6; Σscores = 225 + 2400/9 + 340 → mean 83.1667 (= 565/10 + 240/9);
recommend answered 9 times: promoters b2 b3 c1 c3 = 4, detractors a1 a2 = 2 → NPS 100 × (4 − 2)/9 = 22.22.
2024-03-15 (last year): d1 scale 5 overall 3 → 50, d2 scale 11 overall 6 → 60 → mean 55, top-2 0 of 2.
Benchmarks for overall: 2024 → 40, 2025 → 80 (different on purpose).
"""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete

from lib import analytics
from lib.db import session_scope
from lib.kpis import surveys
from lib.kpis.common import KpiFilter
from lib.models import Benchmark, Company, Project, SurveyResponse, SurveyWave
from lib.services import survey_views
from lib.vocab import normalise_text

YEAR_2025 = KpiFilter(date(2025, 1, 1), date(2025, 12, 31))      # March is summed whole on the mirror
MID_MARCH = KpiFilter(date(2025, 3, 10), date(2025, 3, 20))      # read answer by answer on the mirror
YEAR_2024 = KpiFilter(date(2024, 1, 1), date(2024, 12, 31))

ANSWERS_2025 = [  # (key, scale, overall, recommend)
    ("a1", 5, 3, 0), ("a2", 5, 4, 6), ("a3", 5, 5, 7),
    ("b1", 10, 8, 8), ("b2", 10, 9, 9), ("b3", 10, 10, 10),
    ("c1", 11, 7, 10), ("c2", 11, 8, 7), ("c3", 11, 9, 9), ("c4", 11, 10, None),
]
SCORE_2025 = (50 + 75 + 100 + 700 / 9 + 800 / 9 + 100 + 70 + 80 + 90 + 100) / 10  # 83.1667
SCORE_2024 = (50 + 60) / 2


@pytest.fixture(autouse=True)
def _mirror_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("CRHQ_ANALYTICS_DIR", str(tmp_path / "analytics"))


@pytest.fixture(params=["on", "off"])
def mode(request, monkeypatch) -> str:
    """The test runs once through the analytic mirror and once on the row store."""
    monkeypatch.setenv("CRHQ_ANALYTICS", request.param)
    return request.param


def _org(session) -> Project:
    company = Company(name="A公司", city="深圳", region="华南")
    session.add(company)
    session.flush()
    project = Project(company_id=company.id, name="深圳花园", name_norm=normalise_text("深圳花园"), city="深圳",
                      business_line="property_management")
    session.add(project)
    session.flush()
    return project


def _answers(session, rows, day, project=None, wave=None) -> None:
    project = project or _org(session)
    if wave is None:
        wave = SurveyWave(vendor="零点调查", method="phone")
        session.add(wave)
        session.flush()
    for key, scale, overall, recommend in rows:
        session.add(SurveyResponse(wave_id=wave.id, respondent_key=key, surveyed_on=day, project_id=project.id,
                                   touchpoint="delivery_1m", scale=scale, overall=overall, recommend=recommend))
    session.flush()


def _boundary_data(session) -> None:
    project = _org(session)
    wave = SurveyWave(vendor="零点调查", method="phone")
    session.add(wave)
    session.flush()
    _answers(session, ANSWERS_2025, date(2025, 3, 15), project, wave)
    _answers(session, [("d1", 5, 3, None), ("d2", 11, 6, None)], date(2024, 3, 15), project, wave)
    session.add_all([Benchmark(year=2024, dimension="overall", value=40.0),
                     Benchmark(year=2025, dimension="overall", value=80.0)])
    session.flush()


def _read(engine, mode, fn):
    """`fn(session)` on a read-only session, asserting it went where `mode` says."""
    analytics.build(engine)
    with session_scope(engine, readonly=True) as session:
        with analytics.reading(session, "survey_response") as reader:
            assert (reader.get_bind().dialect.name == "duckdb") == (mode == "on")
        return fn(session)


def test_top2_box_and_nps_on_the_boundaries_of_every_scale(engine, mode):
    with session_scope(engine) as session:
        _boundary_data(session)

    def read(session):
        return ({name: surveys.compute(flt, session=session).kpis for name, flt in
                 (("year", YEAR_2025), ("days", MID_MARCH))},
                surveys.raw_stats(YEAR_2025, session=session, by="month"))
    k, by_month = _read(engine, mode, read)
    for name in ("year", "days"):  # whole month summed and answer-by-answer read agree
        # a2 a3 (4, 5 of 5), b2 b3 (9, 10 of 10), c3 c4 (9, 10 of 0–10): 6 of 10. The 8s (b1 77.8, c2 80)
        # are not top-2: "≥ 8" or "normalised ≥ 75" would make it 8 of 10.
        assert k[name]["responses"] == 10
        assert k[name]["satisfaction_rate"] == pytest.approx(0.6)
        assert k[name]["satisfaction_score"] == pytest.approx(83.1667, abs=1e-4)
        # promoters 9, 10, 10, 9 = 4; detractors 0, 6 = 2; passives 7, 8, 7; 9 answered (c4 blank):
        # NPS = 100 × (4 − 2)/9 = 22.22. Detractors "≤ 7" give 100 × (4 − 4)/9 = 0, promoters "≥ 8" 33.33.
        assert k[name]["nps"] == pytest.approx(200 / 9)
    assert [(r["g"], r["responses"], r["top2"], r["promoters"], r["detractors"], r["recommend_n"])
            for r in by_month] == [("2025-03", 10, 6, 4, 2, 9)]


def test_top2_box_and_nps_one_answer_at_a_time(engine, mode):
    # One project per answer, so grouping by project (the heatmap's grouping) shows each answer's own
    # top-2-box flag (0/1) and NPS (a lone promoter +100, passive 0, detractor −100).
    cases = [  # (scale, overall, recommend, top-2, NPS)
        (5, 3, 5, 0, -100.0), (5, 4, 6, 1, -100.0), (10, 8, 7, 0, 0.0), (10, 9, 8, 1, 0.0),
        (11, 7, 9, 0, 100.0), (11, 8, 10, 0, 100.0), (11, 9, None, 1, None), (11, 10, 6, 1, -100.0)]
    with session_scope(engine) as session:
        company = Company(name="A公司", city="深圳", region="华南")
        session.add(company)
        session.flush()
        wave = SurveyWave(vendor="v", method="phone")
        session.add(wave)
        session.flush()
        for scale, overall, recommend, _, _ in cases:
            name = f"s{scale}x{overall}"
            project = Project(company_id=company.id, name=name, name_norm=name, city="深圳",
                              business_line="property_management")
            session.add(project)
            session.flush()
            _answers(session, [(name, scale, overall, recommend)], date(2025, 3, 15), project, wave)
    groups = _read(engine, mode, lambda s: surveys.compute(YEAR_2025, session=s, by="project").groups)
    found = {g["key"]: (g["kpis"]["satisfaction_rate"], g["kpis"]["nps"]) for g in groups}
    assert found == {f"s{scale}x{overall}": (float(top2), nps) for scale, overall, _, top2, nps in cases}


def test_vs_industry_is_against_the_benchmark_of_the_periods_own_year_on_the_kpis_and_the_page(engine, mode):
    with session_scope(engine) as session:
        _boundary_data(session)

    def read(session):
        return (surveys.compute(YEAR_2025, session=session).kpis, surveys.compute(YEAR_2024, session=session).kpis,
                survey_views.summary(YEAR_2025, session=session),
                survey_views.versus_benchmark(YEAR_2025, session=session).set_index("dimension"))
    k25, k24, page, bench = _read(engine, mode, read)
    # 2025: 83.1667 − 80 (2025's benchmark) = 3.1667; against 2024's 40 it would be 43.17
    assert k25["vs_industry"] == pytest.approx(SCORE_2025 - 80.0)
    assert k25["vs_industry"] == pytest.approx(3.1667, abs=1e-4)
    assert bench.loc["overall", "benchmark"] == 80.0
    assert bench.loc["overall", "vs_industry"] == pytest.approx(3.1667, abs=1e-4)
    # 2024: (50 + 60)/2 = 55 − 40 = 15; yoy 2025: 83.1667 − 55 = 28.1667
    assert k24["vs_industry"] == pytest.approx(15.0)
    assert k25["yoy_change"] == pytest.approx(28.1667, abs=1e-4)
    assert k24["satisfaction_rate"] == 0.0  # 3 of 5 and 6 of 0–10: neither is top-2

    # The page's headline figures on the same answers: top-2-box 6/10, NPS 22.22 over 9.
    f = page["figures"]
    assert (f["satisfaction_rate"].estimate.value, f["satisfaction_rate"].estimate.n) == (0.6, 10)
    assert f["nps"].estimate.value == pytest.approx(200 / 9) and f["nps"].estimate.n == 9
    # top-2-box 6/10 vs last year's 0/2: pooled 6/12 = 0.5, se = √(0.25 × (1/10 + 1/2)) = 0.387298,
    # z = 0.6/0.387298 = 1.549193, two-sided p = 0.121335: not significant
    assert f["satisfaction_rate"].vs_last_year.diff == pytest.approx(0.6)
    assert f["satisfaction_rate"].vs_last_year.p_value == pytest.approx(0.121335, abs=1e-5)
    assert not f["satisfaction_rate"].vs_last_year.significant

    # Without a 2025 benchmark, 2025 has no vs_industry (never 2024's).
    with session_scope(engine) as session:
        session.execute(delete(Benchmark).where(Benchmark.year == 2025))
    k25 = _read(engine, mode, lambda s: surveys.compute(YEAR_2025, session=s).kpis)
    assert k25["vs_industry"] is None and k25["satisfaction_score"] == pytest.approx(SCORE_2025)


def test_movers_hold_the_hand_worked_significant_changes_and_only_those(engine, mode):
    # February 2025 against its previous period (28 days before: 4 – 31 January), answers on 15 Jan / 15 Feb.
    # A公司, scale 11 (0–10): January 10, then nine 8s → top-2 1/10, score (100 + 9 × 80)/10 = 82;
    #   February 10 ×5, 9 ×4, 8 → top-2 9/10, score (500 + 360 + 80)/10 = 94.
    #   rate: pooled 0.5, se = √(0.25 × 0.2) = 0.223607, z = 0.8/0.223607 = 3.578 → p = 0.00035: a mover, +80 pt
    #   score: s² Jan (18² + 9 × 2²)/9 = 40, Feb (5 × 6² + 4 × 4² + 14²)/9 = 48.89; se = √(4 + 4.889) = 2.9814,
    #   t = 12/2.9814 = 4.025, df 17.8 → p ≈ 0.0008: a mover, +12
    #   (were an 8 top-2, the rate would be 10/10 both times: no rate mover at all)
    # B公司, scale 5: January 4, 4, 2, 2 (top-2 2/4, score 50) → February 4, 4, 4, 2 (3/4, 62.5):
    #   rate z = 0.25/√(0.625 × 0.375 × 0.5) = 0.730, p = 0.47; score t = 12.5/19.094 = 0.655: neither moves
    from lib.services import overview
    with session_scope(engine) as session:
        a = _org(session)
        b_company = Company(name="B公司", city="广州", region="华南")
        session.add(b_company)
        session.flush()
        b = Project(company_id=b_company.id, name="广州华府", name_norm=normalise_text("广州华府"), city="广州",
                    business_line="development")
        session.add(b)
        session.flush()
        wave = SurveyWave(vendor="v", method="phone")
        session.add(wave)
        session.flush()
        for project, scale, day, values in [(a, 11, date(2025, 1, 15), [10] + [8] * 9),
                                            (a, 11, date(2025, 2, 15), [10] * 5 + [9] * 4 + [8]),
                                            (b, 5, date(2025, 1, 15), [4, 4, 2, 2]),
                                            (b, 5, date(2025, 2, 15), [4, 4, 4, 2])]:
            _answers(session, [(f"{project.name}{day}{i}", scale, v, None) for i, v in enumerate(values)], day,
                     project, wave)
    moves = _read(engine, mode, lambda s: overview.movers(KpiFilter(date(2025, 2, 1), date(2025, 2, 28)),
                                                           session=s))
    assert [(r.kpi, r.company) for r in moves.itertuples()] == [("satisfaction_rate", "A公司"),
                                                                ("satisfaction_score", "A公司")]
    rate, score = moves.iloc[0], moves.iloc[1]
    assert (rate["value"], rate["previous"]) == (pytest.approx(0.9), pytest.approx(0.1))
    assert rate["change_points"] == pytest.approx(80.0)
    assert rate["p_value"] == pytest.approx(0.000346, abs=2e-6)
    assert (score["value"], score["previous"], score["change_points"]) == (
        pytest.approx(94.0), pytest.approx(82.0), pytest.approx(12.0))
    assert score["p_value"] == pytest.approx(0.0008, abs=5e-5)


def test_answers_on_the_first_and_last_day_of_a_period_count_and_the_days_outside_do_not(engine, mode):
    """MID_MARCH is 10–20 March: answers on the 10th and the 20th count, the 9th and the 21st do not.
    Scale 5: the 9th (overall 1 → 0), 10th (5 → 100), 20th (3 → 50), 21st (1 → 0): responses 2, score 75,
    top-2-box 1 of 2 (the 5)."""
    with session_scope(engine) as session:
        project = _org(session)
        wave = SurveyWave(vendor="零点调查", method="phone")
        session.add(wave)
        session.flush()
        for key, day, overall in (("e9", 9, 1), ("e10", 10, 5), ("e20", 20, 3), ("e21", 21, 1)):
            _answers(session, [(key, 5, overall, None)], date(2025, 3, day), project, wave)
    k = _read(engine, mode, lambda s: surveys.compute(MID_MARCH, session=s).kpis)
    assert k["responses"] == 2
    assert k["satisfaction_score"] == pytest.approx(75.0)
    assert k["satisfaction_rate"] == pytest.approx(0.5)
