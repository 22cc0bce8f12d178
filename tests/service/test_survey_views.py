"""What the Surveys page shows, on the hand-built fixture (mixed scales, blanks, a group of one, an
empty group), on SQLite and PostgreSQL. Expected values are worked out by hand in the comments."""
import io
from datetime import date

import pandas as pd
import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from lib.errors import ValidationFailed
from lib.imports.registry import import_file
from lib.kpis.common import KpiFilter
from lib.models import AuditLog, Benchmark, SurveyResponse
from lib.services import benchmarks, survey_views
from tests import fixtures

YEAR = KpiFilter(date(2025, 1, 1), date(2025, 12, 31))
# Fixture, all at 深圳花园, touchpoint delivery_1m, 2025-03-01 unless said:
#   k1 scale 5  overall 5 → 100, recommend 10           k3 scale 11 overall 7 → 70, housing 9 → 90
#   k2 scale 10 overall 1 → 0,   recommend 6             k4 scale 5  overall 4 → 75, housing 2 → 25, recommend 9
#   k5 scale 5  overall 3 → 50 on 2024-03-01 (last year and the previous period: a group of one)


def test_headline_figures_with_intervals_and_tests(session):
    fixtures.surveys_fixture(session)
    s = survey_views.summary(YEAR, session=session)
    assert (s["responses"], s["responses_previous"], s["responses_last_year"]) == (4, 1, 1)

    score = s["figures"]["satisfaction_score"]
    # mean 61.25; deviations 38.75, −61.25, 8.75, 13.75 → Σd² = 5518.75, s² = 1839.58, s/√4 = 21.445;
    # t(0.975, 3) = 3.18245 → half-width 68.249
    assert score.estimate.value == pytest.approx(61.25)
    assert score.estimate.n == 4
    assert score.estimate.low == pytest.approx(61.25 - 68.249, abs=1e-2)
    assert score.estimate.high == pytest.approx(61.25 + 68.249, abs=1e-2)
    # last year is a group of one: the change is shown (+11.25) but cannot be tested
    assert score.vs_last_year.diff == pytest.approx(11.25)
    assert score.vs_last_year.p_value is None and not score.vs_last_year.significant

    rate = s["figures"]["satisfaction_rate"]
    # top-2-box: k1 (5 of 5) and k4 (4 of 5) → 2 of 4; the 2024 answer (3 of 5) is not → 0 of 1
    assert (rate.estimate.value, rate.estimate.n) == (0.5, 4)
    # Wilson 2/4: centre (0.5 + 0.480183)/1.960365 = 0.5, half = 1.959964/1.960365·√(0.0625+0.060029) = 0.349954
    assert rate.estimate.low == pytest.approx(0.150046, abs=1e-5)
    assert rate.estimate.high == pytest.approx(0.849954, abs=1e-5)
    # z-test 2/4 vs 0/1: pooled 0.4, se √(0.4·0.6·1.25) = 0.547723, z = 0.912871, p = 0.361310
    assert rate.vs_previous.diff == pytest.approx(0.5)
    assert rate.vs_previous.p_value == pytest.approx(0.361310, abs=1e-5)
    assert not rate.vs_previous.significant

    nps = s["figures"]["nps"]
    # recommend answered by k1 (10), k2 (6), k4 (9): 2 promoters, 1 detractor of 3 → 33.33;
    # Var = (1 − (1/3)²)/3 = 0.296296 → se 54.433 pt, half 106.69 → clipped to (−73.35, 100)
    assert nps.estimate.value == pytest.approx(100 / 3)
    assert nps.estimate.n == 3
    assert nps.estimate.low == pytest.approx(100 / 3 - 106.6875, abs=1e-2)
    assert nps.estimate.high == 100.0
    assert nps.vs_last_year.diff is None  # nobody answered recommend last year: an empty group

    housing = s["figures"]["score_housing_quality"]  # blanks skipped: 90 and 25 → 57.5 over 2
    assert (housing.estimate.value, housing.estimate.n) == (57.5, 2)
    maintenance = s["figures"]["score_maintenance"]  # nobody answered it
    assert maintenance.estimate == survey_views.stats.Estimate(None, 0)


def test_an_empty_filter_shows_dashes_not_zeroes(session):
    fixtures.surveys_fixture(session)
    s = survey_views.summary(KpiFilter(date(2025, 1, 1), date(2025, 12, 31), touchpoints=("commercial",)),
                             session=session)
    assert s["responses"] == 0
    for figure in s["figures"].values():
        assert figure.estimate.value is None and figure.vs_previous.diff is None
        assert not figure.vs_previous.significant


def test_trend_by_month_and_touchpoint_with_intervals(session):
    fixtures.surveys_fixture(session)
    trend = survey_views.trend(KpiFilter(date(2024, 1, 1), date(2025, 12, 31)), session=session)
    rows = {(r.month, r.touchpoint): r for r in trend.itertuples()}
    assert set(rows) == {("2024-03", "delivery_1m"), ("2025-03", "delivery_1m")}
    assert rows[("2025-03", "delivery_1m")].value == pytest.approx(61.25)
    assert rows[("2025-03", "delivery_1m")].n == 4
    one = rows[("2024-03", "delivery_1m")]
    assert (one.value, one.n) == (50.0, 1)
    assert pd.isna(one.low) and pd.isna(one.high)  # no band for a single answer


def test_dimensions_against_the_benchmark_of_the_periods_year(session):
    fixtures.surveys_fixture(session)
    session.add_all([Benchmark(year=2025, dimension="overall", value=60.0),
                     Benchmark(year=2025, dimension="housing_quality", value=70.0),
                     Benchmark(year=2024, dimension="overall", value=99.0)])
    session.flush()
    table = survey_views.versus_benchmark(YEAR, session=session).set_index("dimension")
    assert table.loc["overall", "vs_industry"] == pytest.approx(1.25)
    assert table.loc["housing_quality", "vs_industry"] == pytest.approx(57.5 - 70.0)
    assert pd.isna(table.loc["maintenance", "value"])  # nobody answered it
    assert pd.isna(table.loc["property_service", "benchmark"])  # no benchmark entered


def test_heatmap_has_one_cell_per_project_and_answered_dimension(session):
    fixtures.surveys_fixture(session)
    heat = survey_views.heatmap(YEAR, session=session)
    cells = {(r.key, r.dimension): (r.value, r.n) for r in heat.itertuples()}
    assert cells == {("深圳花园", "overall"): (61.25, 4), ("深圳花园", "housing_quality"): (57.5, 2)}


def test_drivers_rank_by_correlation_with_overall(session):
    p1, _ = fixtures.org(session)
    from lib.models import SurveyWave
    wave = SurveyWave(vendor="v", method="phone")
    session.add(wave)
    session.flush()
    # overall 5,4,2,1 → 100,75,25,0; housing 5,3,3,1 → 100,50,50,0 (r = 2/√5 = 0.8944);
    # maintenance 1,2,4,5 → 0,25,75,100 (r = −1); property_service only twice (too few: no r)
    for key, overall, housing, maintenance, prop in [("a", 5, 5, 1, 5), ("b", 4, 3, 2, None),
                                                     ("c", 2, 3, 4, None), ("d", 1, 1, 5, 1)]:
        session.add(SurveyResponse(wave_id=wave.id, respondent_key=key, surveyed_on=date(2025, 5, 1),
                                   project_id=p1.id, touchpoint="delivery_6m", scale=5, overall=overall,
                                   housing_quality=housing, maintenance=maintenance, property_service=prop))
    session.flush()
    drivers = survey_views.drivers(YEAR, session=session).set_index("dimension")
    assert drivers.loc["housing_quality", "importance"] == pytest.approx(0.894427, abs=1e-6)
    assert drivers.loc["housing_quality", "performance"] == pytest.approx(50.0)
    assert drivers.loc["maintenance", "importance"] == pytest.approx(-1.0)
    assert drivers.loc["property_service", "n"] == 2
    assert pd.isna(drivers.loc["property_service", "importance"])


def test_responses_behind_a_cell_carry_no_respondent_key(session):
    fixtures.surveys_fixture(session)
    rows = survey_views.responses(YEAR, session=session)
    assert len(rows) == 4
    assert "respondent_key" not in rows.columns
    assert not rows.isin(["k1", "k2", "k3", "k4"]).any().any()
    assert sorted(rows["scale"]) == [5, 5, 10, 11]


def test_benchmarks_save_replaces_the_table_all_or_nothing_and_is_audited(session):
    kept = benchmarks.save([{"year": 2025, "dimension": "overall", "value": 80.5},
                            {"year": 2025, "dimension": "房屋质量", "value": 75},
                            {"year": None, "dimension": None, "value": None}], session=session, actor="admin1")
    assert kept == 2
    stored = {(b.year, b.dimension): b.value for b in session.scalars(select(Benchmark))}
    assert stored == {(2025, "overall"): 80.5, (2025, "housing_quality"): 75.0}
    for bad in ([{"year": 2025, "dimension": "overall", "value": 101}],
                [{"year": 2025, "dimension": "happiness", "value": 50}],
                [{"year": 2025, "dimension": "overall", "value": 50}, {"year": 2025, "dimension": "overall",
                                                                         "value": 60}]):
        with pytest.raises(ValidationFailed):
            benchmarks.save(bad, session=session, actor="admin1")
    assert {(b.year, b.dimension): b.value for b in session.scalars(select(Benchmark))} == stored
    benchmarks.save([{"year": 2025, "dimension": "overall", "value": 81}], session=session, actor="admin1")
    assert {(b.year, b.dimension): b.value for b in session.scalars(select(Benchmark))} == {(2025, "overall"): 81.0}
    audited = session.scalars(select(AuditLog).where(AuditLog.action == "benchmarks_saved")).all()
    assert len(audited) == 2 and all(a.actor == "admin1" for a in audited)


def test_survey_excel_with_a_merged_title_row_imports(session):
    wb = Workbook()
    ws = wb.active
    ws.append(["2025年3月 交付后1个月 满意度调查（第三方）"])
    ws.merge_cells("A1:K1")
    ws.append(["受访者编号", "调查日期", "公司", "城市", "项目", "触点", "量表", "总体满意度", "房屋质量",
               "调查机构", "调查方式"])
    ws.append(["h01", date(2025, 3, 1), "深圳公司", "深圳", "海景花园", "交付后1个月", 10, 9, None, "零点", "电话"])
    ws.append(["h02", date(2025, 3, 2), "深圳公司", "深圳", "海景花园", "交付后1个月", 11, 0, 7, "零点", "电话"])
    buf = io.BytesIO()
    wb.save(buf)
    result = import_file("survey", buf.getvalue(), "vendor.xlsx", session=session, actor="t")
    assert result.inserted == 2
    k = survey_views.summary(KpiFilter(date(2025, 3, 1), date(2025, 3, 31)), session=session)["figures"]
    assert k["satisfaction_score"].estimate.value == pytest.approx((100 * 8 / 9 + 0) / 2)
    assert k["score_housing_quality"].estimate.n == 1
    assert session.scalar(select(func.count()).select_from(SurveyResponse)) == 2
