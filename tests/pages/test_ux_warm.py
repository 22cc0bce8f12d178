"""Issue #23 item 14: the overview's first view after a server start is drawn from a cache computed off
any request, and a page's reads are computed again before their generation ends (lib.warm)."""
from __future__ import annotations

import pytest

from lib import config, ui, warm
from lib.services import overview
from lib.ui import cache
from tests.pages.conftest import app


@pytest.fixture
def board_calls(monkeypatch):
    """Counts the overview's board computations (the real one runs)."""
    calls = []
    real = overview.board

    def counted(*args, **kwargs):
        calls.append(kwargs.get("reach"))
        return real(*args, **kwargs)

    counted.__module__, counted.__qualname__ = real.__module__, real.__qualname__
    monkeypatch.setattr(overview, "board", counted)
    ui.clear_caches()
    cache._warmer(config.get_settings().database_url).reads.clear()  # reads other page tests left in this process
    yield calls
    ui.clear_caches()


@pytest.mark.parametrize("username,lang", [("admin1", "zh"), ("exec1", "en")])
def test_the_overview_after_start_is_read_from_the_warmed_cache(board_calls, username, lang):
    url = config.get_settings().database_url
    cache._warm_overviews(url, ui.get_engine())  # what the server does when it starts, off any request
    warmed = len(board_calls)
    assert warmed >= 1  # the group's overview (every active user's scope: the demo users are all group)
    at = app("app.py", username, lang)
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value in ("总部客户关系总览", "HQ customer-relations overview")
    assert len(board_calls) == warmed  # drawn from the cache: not computed in the user's wait


def test_a_used_read_is_computed_again_before_its_generation_ends(board_calls):
    at = app("app.py", "admin1")
    at.run()
    assert not at.exception, at.exception
    assert len(board_calls) == 1
    url = config.get_settings().database_url
    warmer = cache._warmer(url)
    now = warm.generation() * warm.STEP
    # mid-generation nothing is due; LEAD seconds before the next one starts, the page's reads are
    assert not [r for _, r in warmer.due(now + warm.STEP / 2) if r.target == "lib.services.overview:board"]
    assert warmer.tick(now + warm.STEP - warm.LEAD / 2) >= 1
    assert len(board_calls) >= 2  # computed by the warmer, for the next generation
    assert warmer.tick(now + warm.STEP - warm.LEAD / 4) == 0  # once
