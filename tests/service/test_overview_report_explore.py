"""Issue #7: the overview, Explore and the monthly report show the CLI's `kpi` numbers for the same filter
(on demo data, SQLite and PostgreSQL); targets colour values as documented; saved views are private."""
import io
import json
from contextlib import redirect_stdout
from datetime import date

import pytest
from openpyxl import load_workbook

from lib import cli, config
from lib.db import session_scope
from lib.errors import NotFound, ValidationFailed
from lib.kpis.common import KpiFilter
from lib.schema import init_db
from lib.services import explore, overview, reports, seed, targets
from lib.services.targets import Target, colour

TODAY = date(2026, 11, 23)


@pytest.fixture
def demo(engine, monkeypatch):
    """Demo data, and a read-only session beside which the CLI (another connection) may run."""
    init_db(engine)
    with session_scope(engine) as writer:
        seed.seed_demo(session=writer, complaints=1200, seed=3, today=TODAY, employees=150, survey_per_month=45)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    config.get_settings.cache_clear()
    with session_scope(engine, readonly=True) as reader:
        yield reader
    config.get_settings.cache_clear()


def run_cli(*args: str) -> dict:
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(list(args)) == 0
    return json.loads(out.getvalue())


def cli_kpis(area: str, flt: KpiFilter, *extra: str) -> dict:
    return run_cli("kpi", area, "--from", flt.start.isoformat(), "--to", flt.end.isoformat(), *extra)


FILTERS = [KpiFilter(date(2026, 1, 1), TODAY), KpiFilter(date(2025, 10, 1), date(2025, 10, 31)),
           KpiFilter(date(2025, 4, 1), date(2025, 6, 30))]


@pytest.mark.parametrize("flt", FILTERS, ids=["ytd", "month", "quarter"])
def test_overview_cards_equal_the_cli(demo, flt):
    cards = overview.cards(flt, session=demo)
    assert len(cards) == len(targets.HEADLINES)
    by_area = {area: cli_kpis(area, flt)["kpis"] for area in ("complaints", "surveys", "listening", "supervisors")}
    last_year = {area: cli_kpis(area, flt.shifted(years=-1))["kpis"]
                 for area in ("complaints", "surveys", "listening", "supervisors")}
    assert sum(card.value is not None for card in cards) >= 8
    for card in cards:
        assert card.value == pytest.approx(by_area[card.area][card.kpi], nan_ok=True), card.kpi
        assert card.last_year == pytest.approx(last_year[card.area][card.kpi], nan_ok=True), card.kpi


@pytest.mark.parametrize("flt", [FILTERS[0], KpiFilter(date(2025, 3, 1), date(2026, 2, 28))], ids=["ytd", "year"])
def test_overview_board_equals_the_cli(demo, flt):
    # The page's one read: now and the previous period once each, a year-long period's year-ago cards
    # taken from its previous period (the same dates), the trend from the same grouped read.
    if flt.end.month == 2:
        assert flt.shifted(years=-1) == flt.previous_period()  # the shortcut this case is about
    board = overview.board(flt, session=demo)
    areas_ = ("complaints", "surveys", "listening", "supervisors")
    now = {area: cli_kpis(area, flt)["kpis"] for area in areas_}
    before = {area: cli_kpis(area, flt.previous_period())["kpis"] for area in areas_}
    last_year = {area: cli_kpis(area, flt.shifted(years=-1))["kpis"] for area in areas_}
    for card in board.cards:
        assert card.value == pytest.approx(now[card.area][card.kpi], nan_ok=True), card.kpi
        assert card.previous == pytest.approx(before[card.area][card.kpi], nan_ok=True), card.kpi
        assert card.last_year == pytest.approx(last_year[card.area][card.kpi], nan_ok=True), card.kpi
    by_month = {g["key"]: g["kpis"]["complaints"] for g in cli_kpis("complaints", flt, "--by", "month")["groups"]}
    assert dict(zip(board.trend["month"], board.trend["complaints"], strict=True)) == by_month
    assert board.counts["complaints"] == now["complaints"]["complaints"] > 0


def test_overview_for_one_company_equals_the_cli_with_that_company(demo):
    flt = KpiFilter(date(2026, 1, 1), TODAY, companies=("杭州公司",))
    cards = {c.kpi: c.value for c in overview.cards(flt, session=demo)}
    cli_values = cli_kpis("complaints", flt, "--company", "杭州公司")["kpis"]
    assert 0 < cli_values["resolution_rate"] < 1
    assert cards["resolution_rate"] == pytest.approx(cli_values["resolution_rate"])
    league = overview.league(KpiFilter(date(2026, 1, 1), TODAY), session=demo).set_index("company")
    by_company = {g["key"]: g["kpis"] for g in cli_kpis("complaints", FILTERS[0], "--by", "company")["groups"]}
    assert league.loc["杭州公司", "resolution_rate"] == pytest.approx(by_company["杭州公司"]["resolution_rate"])


def test_league_composite_is_the_mean_attainment_capped_at_120_percent(demo):
    flt = FILTERS[0]
    league = overview.league(flt, session=demo)
    assert list(league["rank"]) == list(range(1, len(league) + 1))
    assert list(league["composite"]) == sorted(league["composite"], reverse=True)
    table = targets.lookup_table(session=demo)
    groups = {area: {g["key"]: g["kpis"] for g in cli_kpis(area, flt, "--by", "company")["groups"]}
              for area in ("complaints", "surveys", "listening", "supervisors")}
    top = league.iloc[0]
    parts = []
    for h in targets.HEADLINES:
        value = groups[h.area].get(top["company"], {}).get(h.kpi)
        target = targets.resolve(table, h.kpi, company=top["company"])
        if value is not None and target is not None:
            parts.append(min(value / target.target, 1.2))
    assert top["composite"] == pytest.approx(100 * sum(parts) / len(parts))


def test_movers_are_significant_and_ranked_by_size(demo):
    moves = overview.movers(FILTERS[0], session=demo)
    assert len(moves) <= 5
    assert (moves["p_value"] < 0.05).all()
    sizes = list(moves["change_points"].abs())
    assert sizes == sorted(sizes, reverse=True)


def test_monthly_report_equals_the_cli(demo, tmp_path):
    out = tmp_path / "report.xlsx"
    run_text = io.StringIO()
    with redirect_stdout(run_text):
        assert cli.main(["report", "--month", "2025-10", "--out", str(out)]) == 0
    wb = load_workbook(out)
    assert wb.sheetnames == ["概览 Summary", "投诉 Complaints", "满意度 Surveys", "倾听 Listening", "监督小组 Supervisors"]
    month = KpiFilter(date(2025, 10, 1), date(2025, 10, 31))
    expected = cli_kpis("complaints", month)["kpis"]
    sheet = wb["投诉 Complaints"]
    found = {sheet.cell(row=r, column=1).value: sheet.cell(row=r, column=2).value for r in range(4, 40)}
    assert found["解决率 Resolution rate"] == pytest.approx(expected["resolution_rate"])
    assert found["投诉量 Complaints"] == expected["complaints"]
    assert sheet._charts, "the company breakdown has a native Excel chart"
    companies = {g["key"]: g["kpis"] for g in cli_kpis("complaints", month, "--by", "company")["groups"]}
    rows = {sheet.cell(row=r, column=1).value: sheet.cell(row=r, column=2).value for r in range(1, 80)}
    for name, kpis in companies.items():
        assert rows[name] == pytest.approx(kpis["resolution_rate"], nan_ok=True)
    summary = wb["概览 Summary"]
    assert summary.cell(row=4, column=3).value == "本月 This month"
    surveys = cli_kpis("surveys", month)["kpis"]
    cells = {summary.cell(row=r, column=2).value: summary.cell(row=r, column=3).value for r in range(5, 20)}
    assert cells["满意度得分 Satisfaction score"] == pytest.approx(surveys["satisfaction_score"])


def test_explore_pivots_equal_the_cli(demo):
    flt = FILTERS[0]
    by_company = explore.pivot("complaints", flt, "kpi:resolution_rate", "company", session=demo)
    expected = {g["key"]: g["kpis"]["resolution_rate"] for g in cli_kpis("complaints", flt, "--by", "company")["groups"]}
    assert len(expected) == 12
    assert dict(zip(by_company["company"], by_company["value"], strict=True)) == pytest.approx(expected)

    two = explore.pivot("surveys", flt, "kpi:satisfaction_score", "month", "touchpoint", session=demo)
    cell = two[(two["touchpoint"] == "delivery_1m")].set_index("month")["value"]
    cli_months = {g["key"]: g["kpis"]["satisfaction_score"]
                  for g in run_cli("kpi", "surveys", "--from", flt.start.isoformat(), "--to", flt.end.isoformat(),
                                   "--touchpoint", "delivery_1m", "--by", "month")["groups"]}
    assert len(cli_months) == 11 and all(v is not None for v in cli_months.values())
    assert dict(cell) == pytest.approx(cli_months)

    counts = explore.pivot("complaints", flt, "count", "channel", session=demo)
    cli_counts = {g["key"]: g["kpis"]["complaints"] for g in cli_kpis("complaints", flt, "--by", "channel")["groups"]}
    assert dict(zip(counts["channel"], counts["value"], strict=True)) == cli_counts

    listening = explore.pivot("listening", flt, "kpi:participation_rate_staff", "company", session=demo)
    cli_l = {g["key"]: g["kpis"]["participation_rate_staff"]
             for g in cli_kpis("listening", flt, "--by", "company")["groups"]}
    assert dict(zip(listening["company"], listening["value"], strict=True)) == pytest.approx(cli_l, nan_ok=True)


def test_explore_refuses_what_does_not_apply(demo):
    with pytest.raises(ValidationFailed):
        explore.pivot("listening", FILTERS[0], "kpi:participation_rate", "channel", session=demo)
    with pytest.raises(ValidationFailed):
        explore.pivot("listening", FILTERS[0], "count", "company", session=demo)


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
