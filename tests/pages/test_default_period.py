"""The period a page opens on (lib.ui.filters.default_period): the year so far, except in the first two weeks
of January, when "this year" holds a few days and HQ reads last year's close. The clock is the business
clock the picker reads (patched here: the page runs in this process)."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from lib.ui import filters
from tests.pages.conftest import app


@pytest.mark.parametrize(("today", "expected"), [
    (date(2027, 1, 1), "period_last_year"), (date(2027, 1, 14), "period_last_year"),
    (date(2027, 1, 15), "period_ytd"), (date(2026, 12, 31), "period_ytd"), (date(2027, 2, 1), "period_ytd"),
])
def test_the_default_period_by_date(today, expected):
    assert filters.default_period(today) == expected


def _open_listening_on(monkeypatch, moment: datetime):
    monkeypatch.setattr(filters, "local_now", lambda: moment)
    at = app("pages/5_Listening.py", "exec1")
    at.run()
    assert not at.exception, at.exception
    return at


def test_on_5_january_the_page_opens_on_last_year_and_the_year_so_far_is_kept_in_the_link(monkeypatch):
    at = _open_listening_on(monkeypatch, datetime(2027, 1, 5, 9, 0))
    assert at.segmented_control(key="lis_period").value == "period_last_year"
    assert "period" not in at.query_params  # the day's default: a link without a period
    at.segmented_control(key="lis_period").set_value("period_ytd").run()
    # the year so far is not the default that day: the link must say so, or a refresh would open on last year
    assert at.query_params.get("period") in ("period_ytd", ["period_ytd"])


def test_from_15_january_the_page_opens_on_the_year_so_far(monkeypatch):
    at = _open_listening_on(monkeypatch, datetime(2027, 1, 15, 9, 0))
    assert at.segmented_control(key="lis_period").value == "period_ytd"
    assert "period" not in at.query_params
