"""Issue #23 on the pages (AppTest, the session's seeded demo database): a value below the admin's minimum
sample is greyed "样本不足" and not ranked (item 1), the unfinished month is marked in the trends
(item 2), and charts captioned with a rate draw the rate (item 4)."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date

import streamlit as st

from lib.config import get_settings
from lib.db import local_now, make_engine, session_scope
from lib.services import overview, seed, settings
from tests.pages.conftest import app
from tests.pages.test_pages import _charts_on


@contextmanager
def minimum(**values: int):
    """The admin's minimum sample set to `values` for the test, the defaults again after it."""
    engine = make_engine(get_settings().database_url)
    with session_scope(engine) as session:
        settings.put("min_sample", {**settings.DEFAULTS["min_sample"], **values}, session=session, actor="test")
    st.cache_data.clear()
    try:
        yield
    finally:
        with session_scope(engine) as session:
            settings.put("min_sample", settings.DEFAULTS["min_sample"], session=session, actor="test")
        st.cache_data.clear()


def _table(at, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_the_league_greys_a_kpi_below_the_minimum_and_ranks_no_company_without_one():
    big = 10 ** 6  # more cases than any company has
    with minimum(**dict.fromkeys(settings.DEFAULTS["min_sample"], big)):
        at = app("app.py", "exec1").run()
        assert not at.exception, at.exception
        league = _table(at, "排名")
        # every company with a value reads 样本不足 (one an earlier test imported with no data: —)
        for column in ("解决率", "满意度得分"):
            assert "样本不足" in set(league[column]) and set(league[column]) <= {"样本不足", "—"}
        assert set(league["排名"]) == {"—"} and set(league["综合得分"]) == {"—"}
        assert any("样本不足" in c.value and "n ≥ 1000000" in c.value for c in at.caption)
    at = app("app.py", "exec1").run()  # the defaults: the demo companies have enough cases
    league = _table(at, "排名")
    # the demo companies have enough cases; a small company another page test imported may not
    demo = league[league["公司"].isin([name for name, _, _ in seed.COMPANIES])]
    assert len(demo) == len(seed.COMPANIES) and "样本不足" not in set(demo["解决率"])
    assert league["排名"].iloc[0].startswith("1 / ")


def test_the_unfinished_month_is_marked_in_the_complaints_trend():
    at = app("pages/1_Complaints.py", "staff1").run()
    assert not at.exception, at.exception
    trend = [(spec, data) for spec, data in _charts_on(at)
             if any(p.get("name") == "pick" and p["select"].get("fields") == ["month"] for p in spec.get("params", []))]
    spec, datasets = trend[0]
    (frame,) = datasets.values()
    today = local_now().date()  # the page's business date (China): the server's UTC date is a day behind after 16:00
    this_month = f"{today:%Y-%m}"
    expected = overview.month_is_partial(this_month, start=date(today.year, today.month, 1), end=today, today=today)
    partial = dict(zip(frame["month"], frame["partial"], strict=True))
    assert bool(partial[this_month]) == expected  # today is not the month's last day: it is unfinished
    # whole months between the first and the last are never marked
    assert not any(partial[m] for m in sorted(partial)[1:-1])
    text = str(spec)
    assert "strokeDash" in text and "不完整月份" in text
    if expected:
        assert any("虚线/浅色" in c.value and today.isoformat() in c.value for c in at.caption)


def test_a_rate_chart_draws_the_rate_with_its_n():
    at = app("pages/1_Complaints.py", "staff1").run()
    rate_specs = [spec for spec, _ in _charts_on(at) if "n_label" in str(spec)]
    assert rate_specs, "the breakdowns and the SLA chart draw rates"
    for spec in rate_specs:
        bars = spec["layer"][0]
        assert bars["encoding"]["x"]["field"] == "resolution_rate"
        assert bars["encoding"]["x"]["axis"]["format"] == "%"
        assert bars["encoding"]["x"]["scale"]["domain"] == [0, 1]


def test_surveys_heat_map_drivers_and_touchpoint_legend():
    with minimum(satisfaction_score=10 ** 6):
        at = app("pages/6_Surveys.py", "exec1").run()
        assert not at.exception, at.exception
        charts = _charts_on(at)
        heat = [data for spec, data in charts if "few" in str(spec) and "shown" in str(spec)]
        (frame,) = heat[0].values()
        assert set(frame["shown"]) == {"样本不足"} and frame["few"].all()
    at = app("pages/6_Surveys.py", "exec1").run()
    charts = _charts_on(at)
    (frame,) = [data for spec, data in charts if "few" in str(spec) and "shown" in str(spec)][0].values()
    # the default minimum, 10 answers: exactly the cells with fewer read "样本不足"
    assert list(frame["few"]) == [n < 10 for n in frame["n"]] and not frame["few"].all()
    assert all((s == "样本不足") == few for s, few in zip(frame["shown"], frame["few"], strict=True))
    drivers = [spec for spec, _ in charts if "importance" in str(spec)][0]
    scales = {layer["encoding"][axis]["field"]: layer["encoding"][axis].get("scale")
              for layer in drivers["layer"][:1] for axis in ("x", "y")}
    assert scales["performance"] == {"domain": [0, 100]} and scales["importance"]["domain"][1] == 1
    trend = [spec for spec, _ in charts if "series_pick" in str(spec)][0]
    legend = next(p for p in trend["params"] if p["name"] == "series_pick")
    assert legend["bind"] == "legend"


def test_the_admin_sets_the_minimum_sample():
    at = app("pages/9_Admin.py", "admin1").run()
    assert not at.exception, at.exception
    field = at.number_input(key="admin_min_resolution_rate")
    assert field.label == "解决率" and field.value == 10  # the default
    field.set_value(3)
    submit = next(b for b in at.button if b.proto.form_id == "admin_min_sample_form")
    submit.click().run()
    assert not at.exception, at.exception
    assert "最低样本量已保存。" in [s.value for s in at.success]
    try:
        with session_scope(make_engine(get_settings().database_url), readonly=True) as session:
            assert settings.min_sample(session=session)["resolution_rate"] == 3
    finally:
        with session_scope(make_engine(get_settings().database_url)) as session:
            settings.put("min_sample", settings.DEFAULTS["min_sample"], session=session, actor="test")
        st.cache_data.clear()
