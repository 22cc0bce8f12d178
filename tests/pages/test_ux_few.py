"""Issue #23 item 1 beyond the overview: the minimum sample greys a value as 样本不足 / too few on the
Explore heat map and in the Listening league (by company), which then ranks only the values with enough
people; the values themselves are unchanged."""
from __future__ import annotations

from collections import Counter
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import select

from lib.config import get_settings
from lib.db import local_now, make_engine, session_scope
from lib.models import Company, Complaint, Project
from lib.services import few
from tests.pages.conftest import app, stored_language
from tests.pages.test_pages import _charts_on
from tests.pages.test_u23_numbers_pages import _table, minimum

TOO_FEW = {"zh": "样本不足", "en": "too few"}


def _heat(at) -> pd.DataFrame:
    frames = [data for spec, data in _charts_on(at) if "few_text" in str(spec)]
    assert frames, "the Explore heat map is drawn"
    (frame,) = frames[0].values()
    return frame


def _explore(lang: str):
    at = app("pages/7_Explore.py", "staff1", lang)
    at.session_state["exp_dataset"] = "complaints"
    at.session_state["exp_measure"] = "kpi:resolution_rate"
    at.session_state["exp_by"] = "company"
    at.session_state["exp_by2"] = "month"
    at.session_state["exp_chart"] = "heatmap"
    return at.run()


def _complaints_by_company_month() -> Counter:
    """Independently of the KPI code: non-void complaints this year to date, by company and month."""
    today = local_now().date()  # the business date the page uses (China), not the server's UTC date
    with session_scope(make_engine(get_settings().database_url), readonly=True) as session:
        rows = session.execute(select(Company.name, Complaint.received_at).join(Project, Project.id == Complaint.project_id)
                               .join(Company, Company.id == Project.company_id)
                               .where(Complaint.status != "void")).all()
    return Counter((name, f"{at:%Y-%m}") for name, at in rows
                   if date(today.year, 1, 1) <= at.date() <= today)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_explore_heat_map_greys_cells_below_the_minimum(lang):
    with stored_language("staff1", lang), minimum(resolution_rate=10 ** 6):
        frame = _heat(_explore(lang))
        assert frame["few"].all() and set(frame["few_text"]) == {TOO_FEW[lang]}
        assert frame["coloured"].isna().all() and frame["value"].notna().all()  # not coloured; value kept
    with stored_language("staff1", lang), minimum(resolution_rate=8):
        at = _explore(lang)
        assert not at.exception, at.exception
        frame = _heat(at)
        counts = _complaints_by_company_month()
        # n is each cell's complaints; exactly the cells with fewer than 8 are grey
        assert [int(n) for n in frame["n"]] == [counts[(c, m)] for c, m in zip(frame["company"], frame["month"],
                                                                                strict=True)]
        assert list(frame["few"]) == [n < 8 for n in frame["n"]]
        assert all((t == TOO_FEW[lang]) == f for t, f in zip(frame["few_text"], frame["few"], strict=True))
        if frame["few"].any():
            assert any(("n ≥ 8") in c.value for c in at.caption)


@pytest.mark.parametrize("lang,company,rate,headcount", [("zh", "公司", "参与率", "在职人数"),
                                                         ("en", "Company", "Participation rate", "Headcount")])
def test_the_listening_league_greys_and_does_not_rank_companies_with_too_few_people(lang, company, rate,
                                                                                  headcount):
    with stored_language("exec1", lang):
        at = app("pages/5_Listening.py", "exec1", lang).run().run()
        league = _table(at, rate)
        sizes = sorted(league[headcount].dropna().astype(int))
        threshold = sizes[len(sizes) // 2] + 1  # about half the companies have fewer people than this
        with minimum(participation_rate_staff=threshold):
            at = app("pages/5_Listening.py", "exec1", lang).run().run()
            assert not at.exception, at.exception
            league = _table(at, rate)
            few_rows = league[headcount].fillna(0).astype(int) < threshold
            assert few_rows.any() and not few_rows.all()
            assert (league.loc[few_rows, rate] == TOO_FEW[lang]).all()
            assert league.loc[~few_rows, rate].str.endswith("%").all()
            # the ranked companies first, by rate; the too-few ones after them
            first_few = list(few_rows).index(True)
            assert not few_rows.iloc[first_few:].eq(False).any()
            ranked = [float(v.rstrip("%")) for v in league.loc[~few_rows, rate]]
            assert ranked == sorted(ranked, reverse=True)
            assert company in league.columns


def test_listening_rows_by_hand():
    # staff minimum 5, management 3: A has 4 people (2 staff, 2 management) → every rate too few
    # (overall and six-ones read the whole headcount 4 < 5; staff 2 < 5; management 2 < 3);
    # B has 10 (7 staff, 3 management) → none; C has no rate; B ranks first, then A, then C
    groups = [
        {"key": "A", "kpis": {"headcount": 4, "headcount_staff": 2, "headcount_management": 2, "participants": 4,
                              "findings": 0, "participation_rate": 1.0, "participation_rate_staff": 1.0,
                              "participation_rate_management": 1.0, "six_ones_completion_rate": 0.5}},
        {"key": "C", "kpis": {"headcount": 0, "participation_rate": None}},
        {"key": "B", "kpis": {"headcount": 10, "headcount_staff": 7, "headcount_management": 3, "participants": 5,
                              "findings": 1, "participation_rate": 0.5, "participation_rate_staff": 3 / 7,
                              "participation_rate_management": 2 / 3, "six_ones_completion_rate": 0.1}}]
    rows = few.listening_rows(groups, {"participation_rate_staff": 5, "participation_rate_management": 3})
    assert list(rows["key"]) == ["B", "A", "C"]
    a = rows.set_index("key").loc["A"]
    assert all(a[f"{r}__few"] for r in few.LISTENING)
    b = rows.set_index("key").loc["B"]
    assert not any(b[f"{r}__few"] for r in few.LISTENING)
