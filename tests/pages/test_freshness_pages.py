"""Issue #27, freshness, as a user sees it: the overview's complaint count after a complaint is written by
another connection (as `lib.cli import` or another server process would) is the new count at the next
view, not the cached one (the cache's TTL is 300 s)."""

from sqlalchemy import select

from lib.config import get_settings
from lib.db import local_now, make_engine, session_scope
from lib.i18n import t
from lib.models import Project
from tests import fixtures
from tests.pages.conftest import app


def _complaints_shown(at) -> int:
    label = t("kpi_complaints", "zh")
    (metric,) = [m for m in at.metric if m.label == label]
    return int(str(metric.value).replace(",", ""))


def test_a_complaint_written_elsewhere_shows_at_the_next_view():
    at = app("app.py", "staff1").run()
    assert not at.exception, at.exception
    before = _complaints_shown(at)
    assert _complaints_shown(at.run()) == before  # control: nothing written, the same (cached) figure

    other = make_engine(get_settings().database_url)  # another process's connection
    with session_scope(other) as session:
        project = session.scalar(select(Project).order_by(Project.id))
        # received now: inside the overview's default period (this year so far)
        fixtures.complaint(session, project, "FRESH-1", local_now(), "hotline", "ordinary",
                           True, "received")
    other.dispose()
    assert _complaints_shown(at.run()) == before + 1  # 1 more than shown before, at the very next run
