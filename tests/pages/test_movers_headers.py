"""The overview's movers table speaks the reader's language: no "KPI" or bare "p" header (#23 item 10)."""
from __future__ import annotations

import time

import pytest

from lib import auth
from tests.pages.conftest import app


@pytest.mark.parametrize(("lang", "indicator", "p"), [("zh", "指标", "显著性（p 值）"), ("en", "Indicator", "Significance (p)")])
def test_movers_headers_are_labels(lang, indicator, p):
    at = app("app.py", "exec1", lang=lang)
    at.session_state[auth.AUTH_AT] = time.time()  # signed in on this page now: the switch's language stands
    at.run()
    assert not at.exception, at.exception
    tables = [df.value for df in at.dataframe]
    movers = [t for t in tables if p in getattr(t, "columns", [])]
    assert movers, "the seeded data has significant movers: the table must be drawn"
    assert indicator in movers[0].columns
    assert not {"KPI", "p"} & set(movers[0].columns)
