"""lib.analytics refresh and mode logic the mutation run (scripts/mutate.py) found unpinned."""
from datetime import date

from sqlalchemy import func, select

from lib import analytics
from lib.db import session_scope
from lib.models import AnalyticsState, Complaint
from tests import fixtures


def _token(engine) -> str:
    with session_scope(engine, readonly=True) as session:
        return session.scalar(select(AnalyticsState.token))


def test_refresh_builds_nothing_while_the_mirror_is_not_in_use(engine, monkeypatch, tmp_path):
    monkeypatch.setenv("CRHQ_ANALYTICS_DIR", str(tmp_path / "analytics"))
    monkeypatch.setenv("CRHQ_ANALYTICS", "off")
    with session_scope(engine) as session:
        fixtures.complaints_fixture(session)
    assert analytics.refresh(engine) is None
    assert not (tmp_path / "analytics" / _token(engine)).exists()  # no snapshot written for nobody
    # "auto" below the row threshold is not in use either
    monkeypatch.setenv("CRHQ_ANALYTICS", "auto")
    monkeypatch.setenv("CRHQ_ANALYTICS_MIN_ROWS", "100000")
    assert analytics.refresh(engine) is None
    assert not (tmp_path / "analytics" / _token(engine)).exists()
    # switched on, the first refresh builds the snapshot
    monkeypatch.setenv("CRHQ_ANALYTICS", "on")
    built = analytics.refresh(engine)
    assert built is not None and (tmp_path / "analytics" / built["token"] / built["file"]).is_file()


def test_auto_mode_mirrors_a_table_from_exactly_the_threshold(engine, monkeypatch):
    monkeypatch.setenv("CRHQ_ANALYTICS", "auto")
    with session_scope(engine) as session:
        fixtures.complaints_fixture(session)
    with session_scope(engine, readonly=True) as session:
        top = session.scalar(select(func.max(Complaint.id)))  # the highest id stands for the table's size
        monkeypatch.setenv("CRHQ_ANALYTICS_MIN_ROWS", str(top))
        assert analytics.wanted(session, "complaint")  # exactly at the threshold: mirrored
        monkeypatch.setenv("CRHQ_ANALYTICS_MIN_ROWS", str(top + 1))
        assert not analytics.wanted(session, "complaint")  # one short: the row store answers
        assert not analytics.wanted(session, "survey_response")  # an empty table never is


def test_whole_months_of_a_period_starting_on_the_second():
    # 2 Jan – 28 Feb: January is not whole (its 1st is outside), February is.
    assert analytics.whole_months(date(2025, 1, 2), date(2025, 2, 28)) == ["2025-02"]
    # the days read row by row around it: 2–31 Jan
    assert analytics.days_outside(date(2025, 1, 2), date(2025, 2, 28), ["2025-02"]) == [
        (date(2025, 1, 2), date(2025, 1, 31))]
    # 31 Dec – 1 Mar: January and February whole, single days on both sides
    assert analytics.days_outside(date(2024, 12, 31), date(2025, 3, 1), ["2025-01", "2025-02"]) == [
        (date(2024, 12, 31), date(2024, 12, 31)), (date(2025, 3, 1), date(2025, 3, 1))]


def test_a_project_renamed_after_a_read_shows_its_new_name_through_the_mirror(engine, monkeypatch, tmp_path):
    from lib.kpis import surveys
    from lib.kpis.common import KpiFilter
    from lib.models import Project
    monkeypatch.setenv("CRHQ_ANALYTICS", "on")
    monkeypatch.setenv("CRHQ_ANALYTICS_DIR", str(tmp_path / "analytics"))
    year = KpiFilter(date(2025, 1, 1), date(2025, 12, 31))
    with session_scope(engine) as session:
        fixtures.surveys_fixture(session)
    analytics.build(engine)
    with session_scope(engine, readonly=True) as session:
        before = {g["key"]: g["kpis"]["responses"] for g in surveys.compute(year, session=session, by="project").groups}
    with session_scope(engine) as session:
        project = session.scalar(select(Project).where(Project.name == "深圳花园"))
        project.name = "深圳花园二期"
    with session_scope(engine, readonly=True) as session:
        after = {g["key"]: g["kpis"]["responses"] for g in surveys.compute(year, session=session, by="project").groups}
    assert after == {("深圳花园二期" if k == "深圳花园" else k): v for k, v in before.items()}
    assert "深圳花园二期" in after
