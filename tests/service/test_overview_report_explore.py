"""Issue #7: the overview, Explore and the monthly report show the KPIs worked out by hand on
tests/fixtures.py (issue #28: not the CLI's numbers, which come from the same lib.kpis), on SQLite and
PostgreSQL; targets colour values as documented; saved views are private."""
import io
from dataclasses import replace
from datetime import date

import pytest
from openpyxl import load_workbook

from lib import config
from lib.db import session_scope
from lib.errors import NotFound, ValidationFailed
from lib.kpis.common import KpiFilter
from lib.schema import init_db
from lib.services import explore, overview, reports, seed, targets
from lib.services.targets import Target, colour
from tests import fixtures

TODAY = date(2026, 11, 23)


@pytest.fixture
def demo(engine, monkeypatch):
    """Demo data (the movers need enough of it for a significant change), read-only."""
    init_db(engine)
    with session_scope(engine) as writer:
        seed.seed_demo(session=writer, complaints=1200, seed=3, today=TODAY, employees=150, survey_per_month=45)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    config.get_settings.cache_clear()
    with session_scope(engine, readonly=True) as reader:
        yield reader
    config.get_settings.cache_clear()


YEAR = KpiFilter(date(2025, 1, 1), date(2025, 12, 31))


@pytest.fixture
def hand(session):
    """tests/fixtures.py's four areas on one organisation, with answers worked out by hand below.

    Complaints of 2025 (C5 void): A公司 C1, C2, C3, C11, C12; B公司 C4, C6, C10 → 8. Resolved: C1, C2, C4,
    C10. Resolved by the due time: C1, C4, C10; every other due time has passed by today (2026 on) → 3 of 8.
    Follow-up scores 5 (C1) and 3 (C2) → 1 of 2 satisfied. None in 2024.
    Surveys of 2025: 100, 0, 70, 75 on 0–100 → 61.25, top-2-box 2 of 4; 2024: one 3 of 5 → 50.0, 0 of 1.
    Listening 2025: staff E1, E2, E6 (E1, E6 took part) → 2/3; management E3 (took part) → 1.0.
    2024: staff E1, E6 (none took part) → 0.0; management E3, E4 (E4 took part) → 1/2.
    Supervisor issues (all 2025, A公司): I1 closed by its due day, I3 closed late, I2 open → closure 2/3,
    on time 1/3. None in 2024.
    """
    fixtures.all_areas_fixture(session)
    fixtures.no_minimum_sample(session)  # a few cases a company: the figures are tested, not the minimum
    session.flush()
    return session


CARDS_2025 = {"resolution_rate": 4 / 8, "resolution_on_time_rate": 3 / 8, "followup_satisfaction": 1 / 2,
              "satisfaction_score": 61.25, "satisfaction_rate": 2 / 4, "participation_rate_staff": 2 / 3,
              "participation_rate_management": 1.0, "issue_closure_rate": 2 / 3, "on_time_closure_rate": 1 / 3}
CARDS_2024 = {"resolution_rate": None, "resolution_on_time_rate": None, "followup_satisfaction": None,
              "satisfaction_score": 50.0, "satisfaction_rate": 0.0, "participation_rate_staff": 0.0,
              "participation_rate_management": 1 / 2, "issue_closure_rate": None, "on_time_closure_rate": None}


def _approx(value):
    return None if value is None else pytest.approx(value)


def test_overview_cards_are_the_hand_worked_kpis(hand):
    cards = overview.cards(YEAR, session=hand)
    assert [c.kpi for c in cards] == [h.kpi for h in targets.HEADLINES]
    for card in cards:
        assert card.value == _approx(CARDS_2025[card.kpi]), card.kpi
        assert card.previous == _approx(CARDS_2024[card.kpi]), card.kpi  # 2024: the previous year-long period
        assert card.last_year == _approx(CARDS_2024[card.kpi]), card.kpi


def test_overview_board_is_the_hand_worked_kpis(hand):
    board = overview.board(YEAR, session=hand)
    for card in board.cards:
        assert card.value == _approx(CARDS_2025[card.kpi]), card.kpi
        assert card.previous == _approx(CARDS_2024[card.kpi]), card.kpi
    # January: C1, C2, C3, C4, C10 (1 Jan 00:00:00); February: C6, C11 (28 Feb 23:59:59); March: C12
    assert dict(zip(board.trend["month"], board.trend["complaints"], strict=True)) == {
        "2025-01": 5, "2025-02": 2, "2025-03": 1}
    assert board.counts["complaints"] == 8 and board.counts["responses"] == 4
    assert board.counts["headcount"] == 4 and board.counts["issues_raised"] == 3


def test_overview_for_one_company_is_that_companys_kpis(hand):
    cards = {c.kpi: c.value for c in overview.cards(replace(YEAR, companies=("A公司",)), session=hand)}
    assert cards["resolution_rate"] == pytest.approx(2 / 5)   # C1, C2 of C1, C2, C3, C11, C12
    assert cards["satisfaction_score"] == pytest.approx(61.25)  # every answer is A公司's
    cards = {c.kpi: c.value for c in overview.cards(replace(YEAR, companies=("B公司",)), session=hand)}
    assert cards["resolution_rate"] == pytest.approx(2 / 3)   # C4, C10 of C4, C6, C10
    assert cards["satisfaction_score"] is None and cards["issue_closure_rate"] is None


def test_league_composite_is_the_mean_attainment_capped_at_120_percent(hand):
    targets.save([{"kpi": "resolution_rate", "target": 0.6}, {"kpi": "satisfaction_score", "target": 80}],
                 session=hand, actor="admin")
    league = overview.league(YEAR, session=hand).set_index("company")
    # B公司: resolution 2/3 of a 0.6 target = 111.1 % (under the 120 % cap), nothing else with a target
    assert league.loc["B公司", "composite"] == pytest.approx(100 * (2 / 3) / 0.6)
    # A公司: resolution 0.4 / 0.6 and satisfaction 61.25 / 80 → mean of 66.67 % and 76.5625 %
    assert league.loc["A公司", "composite"] == pytest.approx(100 * (0.4 / 0.6 + 61.25 / 80) / 2)
    assert league.loc["B公司", "rank"] == 1 and league.loc["A公司", "rank"] == 2
    targets.save([{"kpi": "resolution_rate", "target": 0.5}], session=hand, actor="admin")
    league = overview.league(YEAR, session=hand).set_index("company")
    assert league.loc["B公司", "composite"] == pytest.approx(120.0)  # (2/3) / 0.5 = 133 % capped


def test_movers_are_significant_and_ranked_by_size(demo):
    moves = overview.movers(KpiFilter(date(2026, 1, 1), TODAY), session=demo)
    assert len(moves) <= 5
    assert (moves["p_value"] < 0.05).all()
    sizes = list(moves["change_points"].abs())
    assert sizes == sorted(sizes, reverse=True)


def test_monthly_report_shows_the_hand_worked_kpis(hand):
    # January 2025: C1, C2, C3 (A公司), C4, C10 (B公司) → resolved C1, C2, C4, C10 = 4 of 5;
    # A公司 2 of 3, B公司 2 of 2. No surveys in January; March: the four answers, 61.25.
    wb = load_workbook(io.BytesIO(reports.monthly_report("2025-01", session=hand)))
    assert wb.sheetnames == ["概览 Summary", "投诉 Complaints", "满意度 Surveys", "倾听 Listening", "监督小组 Supervisors",
                             "抽查回访 Checks", "不满意回访 Follow-ups", "典型案例 Typical cases"]
    sheet = wb["投诉 Complaints"]
    rows = {sheet.cell(row=r, column=1).value: sheet.cell(row=r, column=2).value for r in range(1, 80)}
    assert rows["解决率 Resolution rate"] == pytest.approx(4 / 5)
    assert rows["投诉量 Complaints"] == 5
    assert rows["A公司"] == pytest.approx(2 / 3) and rows["B公司"] == pytest.approx(1.0)
    assert sheet._charts, "the company breakdown has a native Excel chart"
    # February 2025: C6 and C11 (received 23:59:59 on 28 Feb), both open → 2 complaints, resolution 0.0
    sheet = load_workbook(io.BytesIO(reports.monthly_report("2025-02", session=hand)))["投诉 Complaints"]
    rows = {sheet.cell(row=r, column=1).value: sheet.cell(row=r, column=2).value for r in range(1, 40)}
    assert rows["投诉量 Complaints"] == 2 and rows["解决率 Resolution rate"] == pytest.approx(0.0)
    summary = load_workbook(io.BytesIO(reports.monthly_report("2025-03", session=hand)))["概览 Summary"]
    assert summary.cell(row=4, column=3).value == "本月 This month"
    cells = {summary.cell(row=r, column=2).value: summary.cell(row=r, column=3).value for r in range(5, 20)}
    assert cells["满意度得分 Satisfaction score"] == pytest.approx(61.25)
    # March 2024 (same month last year): k5 alone, 50.0 → change +11.25
    last = {summary.cell(row=r, column=2).value: summary.cell(row=r, column=6).value for r in range(5, 20)}
    assert last["满意度得分 Satisfaction score"] == pytest.approx(50.0)


def test_explore_pivots_are_the_hand_worked_kpis(hand):
    by_company = explore.pivot("complaints", YEAR, "kpi:resolution_rate", "company", session=hand)
    assert dict(zip(by_company["company"], by_company["value"], strict=True)) == pytest.approx(
        {"A公司": 2 / 5, "B公司": 2 / 3})
    two = explore.pivot("surveys", YEAR, "kpi:satisfaction_score", "month", "touchpoint", session=hand)
    assert [tuple(r) for r in two[["month", "touchpoint"]].itertuples(index=False)] == [("2025-03", "delivery_1m")]
    assert list(two["value"]) == [pytest.approx(61.25)]
    counts = explore.pivot("complaints", YEAR, "count", "channel", session=hand)
    # hotline C1, C2, C6, C11, C12 (C5 void); forum C3; wechat C4, C10
    assert dict(zip(counts["channel"], counts["value"], strict=True)) == {"hotline": 5, "forum": 1, "wechat": 2}
    listening = explore.pivot("listening", YEAR, "kpi:participation_rate_staff", "company", session=hand)
    assert dict(zip(listening["company"], listening["value"], strict=True)) == pytest.approx({"A公司": 2 / 3})


def test_explore_refuses_what_does_not_apply(hand):
    with pytest.raises(ValidationFailed):
        explore.pivot("listening", YEAR, "kpi:participation_rate", "channel", session=hand)
    with pytest.raises(ValidationFailed):
        explore.pivot("listening", YEAR, "count", "company", session=hand)


def test_saved_views_are_private(session):
    explore.save_view("alice", "BL by month", {"exp_dataset": "complaints", "exp_by": "month"}, session=session)
    explore.save_view("alice", "BL by month", {"exp_dataset": "surveys"}, session=session)  # saving again updates
    assert explore.views("alice", session=session) == ["BL by month"]
    assert explore.load_view("alice", "BL by month", session=session) == {"exp_dataset": "surveys"}
    assert explore.views("bob", session=session) == []
    with pytest.raises(NotFound):
        explore.load_view("bob", "BL by month", session=session)
    with pytest.raises(ValidationFailed):
        explore.save_view("alice", "  ", {}, session=session)
    explore.delete_view("alice", "BL by month", session=session)
    assert explore.views("alice", session=session) == []


@pytest.mark.parametrize(("value", "expected"), [(0.98, "green"), (0.99, "green"), (0.965, "amber"),
                                                  (0.96, "amber"), (0.959, "red"), (None, None)])
def test_colour_against_target_with_amber_band(value, expected):
    assert colour(value, Target(0.98, 0.02, "higher")) == expected


def test_lower_is_better_and_no_target():
    assert colour(3.0, Target(5.0, 1.0, "lower")) == "green"
    assert colour(5.5, Target(5.0, 1.0, "lower")) == "amber"
    assert colour(7.0, Target(5.0, 1.0, "lower")) == "red"
    assert colour(0.5, None) is None


def test_most_specific_target_wins(session):
    from tests import fixtures
    fixtures.org(session)
    targets.save([{"kpi": "resolution_rate", "target": 0.95, "amber": 0.03},
                  {"kpi": "resolution_rate", "business_line": "property_management", "target": 0.98},
                  {"kpi": "resolution_rate", "company": "A公司", "target": 0.9}], session=session, actor="admin")
    table = targets.lookup_table(session=session)
    assert targets.resolve(table, "resolution_rate").target == 0.95
    assert targets.resolve(table, "resolution_rate", business_line="property_management").target == 0.98
    assert targets.resolve(table, "resolution_rate", company="A公司").target == 0.9
    assert targets.resolve(table, "satisfaction_score") is None
    for bad in ([{"kpi": "resolution_rate", "target": 1.5}], [{"kpi": "made_up", "target": 0.5}],
                [{"kpi": "resolution_rate", "company": "Z公司", "target": 0.5}]):
        with pytest.raises(ValidationFailed):
            targets.save(bad, session=session, actor="admin")
    assert len(targets.table(session=session)) == 3  # a refused save changes nothing


def test_report_month_must_be_a_month():
    with pytest.raises(ValueError):
        reports.month_filter("2025-13")


def test_a_formula_in_a_company_name_stays_text_in_the_report_and_the_pivot_export(session):
    from lib import exports
    from lib.models import Company, Complaint, Project

    evil = '=HYPERLINK("http://x","y")'
    company = Company(name=evil, city="深圳", region="华南")
    session.add(company)
    session.flush()
    project = Project(company_id=company.id, name="P", name_norm="p", city="深圳", business_line="property_management")
    session.add(project)
    session.flush()
    session.add(Complaint(ref="TS1", received_at=date(2025, 10, 8), channel="hotline", project_id=project.id,
                          business_line="property_management", category="maintenance", severity="ordinary",
                          responsible=True, status="received", escalation_level=0, reopen_count=0,
                          first_response_due_at=date(2025, 10, 9), resolution_due_at=date(2025, 10, 10)))
    session.flush()
    book = load_workbook(io.BytesIO(reports.monthly_report("2025-10", session=session)))
    sheet = book["投诉 Complaints"]
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells and all(c.data_type == "s" and c.value == "'" + evil for c in cells)

    pivot = explore.pivot("complaints", KpiFilter(date(2025, 10, 1), date(2025, 10, 31)), "count", "company",
                          session=session)
    exported = load_workbook(io.BytesIO(exports.to_bytes(pivot, "xlsx"))).active
    assert exported["A2"].value == "'" + evil and exported["A2"].data_type == "s"
    assert exports.to_bytes(pivot, "csv").decode("utf-8-sig").splitlines()[1].startswith("\"'=HYPERLINK")
