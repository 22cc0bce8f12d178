"""The analytic mirror (lib.analytics) gives the hand-worked answers of tests/fixtures.py, sees every
write at once (insert, update, delete, uncommitted in the reader's own transaction), rebuilds and
forgets old change notes, never copies personal data, and is never shared between databases."""
from dataclasses import replace
from datetime import date, datetime

import duckdb
import pytest
from sqlalchemy import delete, func, select, update

from lib import analytics
from lib.db import make_engine, session_scope
from lib.kpis import complaints, surveys
from lib.kpis.common import KpiFilter
from lib.models import AnalyticsChange, AnalyticsState, Complaint, SurveyResponse
from lib.schema import init_db
from lib.services import backup
from lib.services import complaints as complaint_service
from tests import fixtures

NOW = datetime(2025, 3, 1)
JAN_FEB = KpiFilter(date(2025, 1, 1), date(2025, 2, 28))
YEAR = KpiFilter(date(2025, 1, 1), date(2025, 12, 31))


@pytest.fixture(autouse=True)
def mirror_on(monkeypatch, tmp_path):
    monkeypatch.setenv("CRHQ_ANALYTICS", "on")
    monkeypatch.setenv("CRHQ_ANALYTICS_DIR", str(tmp_path / "analytics"))


@pytest.fixture(params=["on", "off"])
def mode(request, monkeypatch) -> str:
    """The test runs once through the mirror and once on the row store."""
    monkeypatch.setenv("CRHQ_ANALYTICS", request.param)
    return request.param


def _through_mirror(session) -> bool:
    with analytics.reading(session, "complaint") as reader:
        return reader.get_bind().dialect.name == "duckdb"


def _complaint_kpis(engine, flt=JAN_FEB):
    with session_scope(engine, readonly=True) as session:
        assert _through_mirror(session)
        return complaints.compute(flt, session=session, now=NOW).kpis


def test_hand_worked_answers_through_the_mirror(engine):
    with session_scope(engine) as session:
        fixtures.complaints_fixture(session)
    analytics.build(engine)
    k = _complaint_kpis(engine)
    # the hand-worked answers of tests/service/test_kpis.py::test_complaint_kpis_by_hand: February is
    # read complaint by complaint (C11 is due after 1 March), so C11 at 23:59:59 on 28 Feb must count
    assert k["complaints"] == 7                                       # C5 void, C12 after the period
    assert k["resolution_rate"] == pytest.approx(4 / 7)
    assert k["first_response_on_time_rate"] == pytest.approx(3 / 6)   # C10 answered exactly on time
    assert k["resolution_on_time_rate"] == pytest.approx(3 / 6)
    assert k["median_hours_to_resolve"] == pytest.approx(42.75, abs=1e-6)  # 12, 24, 61.5, 96
    assert k["p90_hours_to_resolve"] == pytest.approx(85.65, abs=1e-6)   # 61.5 + 0.7 × 34.5
    assert k["reopen_rate"] == pytest.approx(1 / 5)
    assert k["open_backlog"] == 3 and k["overdue_open"] == 2
    with session_scope(engine, readonly=True) as session:
        by_company = {g["key"]: g["kpis"] for g in
                      complaints.compute(JAN_FEB, session=session, by="company", now=NOW).groups}
        by_month = {g["key"]: g["kpis"]["complaints"] for g in
                    complaints.compute(JAN_FEB, session=session, by="month", now=NOW).groups}
    assert by_company["B公司"]["median_hours_to_resolve"] == pytest.approx(36.75, abs=1e-6)  # C4 12 h, C10 61.5 h
    assert by_company["A公司"]["resolution_rate"] == pytest.approx(2 / 4)  # C1, C2 of C1, C2, C3, C11
    assert by_month == {"2025-01": 5, "2025-02": 2}


def test_survey_answers_through_the_mirror(engine):
    with session_scope(engine) as session:
        fixtures.surveys_fixture(session)
    analytics.build(engine)
    with session_scope(engine, readonly=True) as session:
        k = surveys.compute(YEAR, session=session).kpis
    assert k["responses"] == 4
    assert k["satisfaction_score"] == pytest.approx((100 + 0 + 70 + 75) / 4)
    assert k["satisfaction_rate"] == pytest.approx(2 / 4)
    assert k["nps"] == pytest.approx(100 * (2 - 1) / 3)
    assert k["yoy_change"] == pytest.approx(61.25 - 50.0)


def test_every_kind_of_write_shows_at_once(engine):
    with session_scope(engine) as session:
        fixtures.complaints_fixture(session)
    built = analytics.build(engine)
    assert _complaint_kpis(engine)["complaints"] == 7
    with session_scope(engine) as session:  # update: C6 (received) is resolved 24 h later
        session.execute(update(Complaint).where(Complaint.ref == "C6").values(
            status="resolved", resolved_at=datetime(2025, 2, 11, 10), first_response_at=datetime(2025, 2, 10, 11)))
    k = _complaint_kpis(engine)
    assert k["resolution_rate"] == pytest.approx(5 / 7) and k["open_backlog"] == 2  # C3, C11 open
    assert k["median_hours_to_resolve"] == pytest.approx(24, abs=1e-6)  # 12, 24, 24, 61.5, 96
    with session_scope(engine) as session:  # delete: C4 goes
        session.execute(delete(Complaint).where(Complaint.ref == "C4"))
    assert _complaint_kpis(engine)["complaints"] == 6
    with session_scope(engine) as session:  # insert, read back inside the same, uncommitted transaction
        p1 = session.scalar(select(fixtures.Project).order_by(fixtures.Project.id))
        fixtures.complaint(session, p1, "C7", datetime(2025, 2, 20, 9), "hotline", "ordinary", True, "received")
        session.flush()
        assert complaints.compute(JAN_FEB, session=session, now=NOW).kpis["complaints"] == 7
        session.rollback()
    assert _complaint_kpis(engine)["complaints"] == 6  # the rollback is honoured too
    with session_scope(engine, readonly=True) as session:
        assert analytics._read_manifest(analytics._root() / session.scalar(select(AnalyticsState.token))) == built


def test_rebuild_after_many_changes_forgets_old_notes(engine, monkeypatch):
    with session_scope(engine) as session:
        fixtures.complaints_fixture(session)
    first = analytics.build(engine)
    with session_scope(engine, readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(AnalyticsChange)) == 0  # the first build keeps none
    monkeypatch.setattr(analytics, "REBUILD_AFTER", 3)
    with session_scope(engine) as session:
        p1 = session.scalar(select(fixtures.Project).order_by(fixtures.Project.id))
        for i in range(4):
            fixtures.complaint(session, p1, f"N{i}", datetime(2025, 2, 1 + i, 9), "hotline", "ordinary", True,
                               "received")
    second = analytics.refresh(engine)
    assert second["generation"] == first["generation"] + 1
    assert _complaint_kpis(engine)["complaints"] == 11
    with session_scope(engine) as session:
        session.execute(update(Complaint).where(Complaint.ref.like("N%")).values(status="void"))
    third = analytics.refresh(engine)
    assert third["generation"] == second["generation"] + 1
    with session_scope(engine, readonly=True) as session:
        notes = session.scalar(select(func.count()).select_from(AnalyticsChange))
    assert notes == 4  # the 4 voids are kept for readers still on the second snapshot; the inserts are gone
    assert _complaint_kpis(engine)["complaints"] == 7
    directory = analytics._root() / third["token"]
    assert sorted(p.name for p in directory.glob("*.duckdb")) == [second["file"], third["file"]]  # first removed
    assert analytics._mirrors[third["token"]].attached == {f"snapshot_{third['generation']}"}  # the reader moved on


def test_snapshot_holds_no_personal_data(engine):
    with session_scope(engine) as session:
        fixtures.complaints_fixture(session)
    manifest = analytics.build(engine)
    with duckdb.connect(str(analytics._root() / manifest["token"] / manifest["file"]), read_only=True) as snapshot:
        tables = {name for (name,) in snapshot.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        columns = {table: {name for name, *_ in snapshot.execute(f"DESCRIBE {table}").fetchall()} for table in tables}
    assert tables == {"complaint", "survey_response", "complaint__months", "survey_response__months"}
    assert {"received_at", "status"} <= columns["complaint"]
    personal = {"complainant_name", "complainant_phone", "description", "root_cause", "assignee", "respondent_key"}
    assert not set().union(*columns.values()) & personal
    assert {"surveyed_on", "overall"} <= columns["survey_response"]
    assert {"received_month", "project_id", "complaints"} <= columns["complaint__months"]


def test_a_restored_database_has_its_own_mirror(engine, tmp_path):
    with session_scope(engine) as session:
        fixtures.complaints_fixture(session)
    analytics.build(engine)
    backup.backup(engine, tmp_path / "b.zip")
    other = make_engine(f"sqlite:///{tmp_path / 'restored.db'}")
    init_db(other)
    backup.restore(other, tmp_path / "b.zip")
    with session_scope(engine, readonly=True) as a, session_scope(other, readonly=True) as b:
        assert a.scalar(select(AnalyticsState.token)) != b.scalar(select(AnalyticsState.token))
    with session_scope(other) as session:  # change only the copy: the original's mirror must not see it
        session.execute(update(Complaint).where(Complaint.ref == "C6").values(status="void"))
    assert _complaint_kpis(other)["complaints"] == 6  # 7 counted (test_kpis.py), less C6
    assert _complaint_kpis(engine)["complaints"] == 7
    other.dispose()


def test_survey_delete_and_update_show_at_once(engine):
    with session_scope(engine) as session:
        fixtures.surveys_fixture(session)
    analytics.build(engine)
    for _ in range(2):  # the second read comes from the mirror's memo of results
        with session_scope(engine, readonly=True) as session:
            assert surveys.compute(YEAR, session=session).kpis["responses"] == 4
    with session_scope(engine) as session:
        session.execute(delete(SurveyResponse).where(SurveyResponse.respondent_key == "k2"))  # the 0 score
        session.execute(update(SurveyResponse).where(SurveyResponse.respondent_key == "k3").values(overall=10))
        # Inside the writing transaction the change shows; it is never remembered for others.
        assert surveys.compute(YEAR, session=session).kpis["responses"] == 3
        session.rollback()
    with session_scope(engine, readonly=True) as session:
        assert surveys.compute(YEAR, session=session).kpis["responses"] == 4
    with session_scope(engine) as session:
        session.execute(delete(SurveyResponse).where(SurveyResponse.respondent_key == "k2"))
        session.execute(update(SurveyResponse).where(SurveyResponse.respondent_key == "k3").values(overall=10))
    with session_scope(engine, readonly=True) as session:
        k = surveys.compute(YEAR, session=session).kpis
    assert k["responses"] == 3
    assert k["satisfaction_score"] == pytest.approx((100 + 100 + 75) / 3)


def test_a_reused_highest_id_reads_as_the_new_row(engine):
    # SQLite hands the highest id out again once its row is gone; inserts there are found by id
    # (migration 0005), so the delete's note must make the newcomer replace the snapshot's row.
    with session_scope(engine) as session:
        fixtures.complaints_fixture(session)
    analytics.build(engine)
    with session_scope(engine) as session:
        old_id = session.scalar(select(Complaint.id).where(Complaint.ref == "C6"))
        session.execute(delete(Complaint).where(Complaint.ref == "C6"))  # the highest id, received 10 Feb
    with session_scope(engine) as session:
        p1 = session.scalar(select(fixtures.Project).order_by(fixtures.Project.id))
        fixtures.complaint(session, p1, "C8", datetime(2025, 2, 12, 9), "hotline", "ordinary", True, "received")
    with session_scope(engine, readonly=True) as session:
        new_id = session.scalar(select(Complaint.id).where(Complaint.ref == "C8"))
    if engine.dialect.name == "sqlite":
        assert new_id == old_id  # the case this test is about
    assert _complaint_kpis(engine)["complaints"] == 7  # C6 gone, C8 in: not 6 (C8 lost) nor 8 (C6 kept)


def test_complaint_lists_found_through_the_mirror_come_whole_from_the_row_store(engine):
    # The mirror picks the page of rows (newest first, ties by id), the row store gives them with the
    # personal columns the mirror never holds; an update not yet in the snapshot is seen at once.
    with session_scope(engine) as session:
        fixtures.complaints_fixture(session)
        session.execute(update(Complaint).where(Complaint.ref == "C3").values(complainant_name="王女士"))
    analytics.build(engine)
    with session_scope(engine) as session:
        session.execute(update(Complaint).where(Complaint.ref == "C4").values(status="in_progress"))
    with session_scope(engine, readonly=True) as session:
        assert _through_mirror(session)
        every = complaint_service.list_frame(JAN_FEB, session=session)
        open_ones = complaint_service.list_frame(JAN_FEB, session=session, statuses=("received", "in_progress"))
        newest_two = complaint_service.list_frame(JAN_FEB, session=session, limit=2)
        overdue = complaint_service.list_frame(JAN_FEB, session=session, overdue_only=True)
    # C5 is void, C12 after the period; C1 and C2 came in together (ties: the higher id first)
    assert list(every["ref"]) == ["C11", "C6", "C4", "C3", "C2", "C1", "C10"]
    assert list(open_ones["ref"]) == ["C11", "C6", "C4", "C3"]
    assert list(newest_two["ref"]) == ["C11", "C6"]
    assert list(overdue["ref"]) == ["C11", "C6", "C4", "C3"]  # all four were due in 2025
    assert every.set_index("ref").loc["C3", "complainant_name"] == "王女士"


def test_several_groupings_in_one_read_give_the_hand_worked_answers(engine, mode):
    # The Complaints page's cards, trend and breakdowns in one read (GROUPING SETS on the mirror,
    # one query per grouping on the row store); a NULL severity is a group of its own.
    with session_scope(engine) as session:
        fixtures.complaints_fixture(session)
    analytics.build(engine)
    with session_scope(engine, readonly=True) as session:
        assert _through_mirror(session) == (mode == "on")
        sets = complaints.compute_many(JAN_FEB, (None, "month", "company", "severity"), session=session, now=NOW)
    total = sets[None].kpis  # as tests/service/test_kpis.py::test_complaint_kpis_by_hand
    assert total["complaints"] == 7 and total["open_backlog"] == 3 and total["overdue_open"] == 2
    assert total["resolution_rate"] == pytest.approx(4 / 7)
    assert total["first_response_on_time_rate"] == pytest.approx(3 / 6)
    assert total["median_hours_to_resolve"] == pytest.approx(42.75, abs=1e-6)
    # January: C1, C2, C3, C4, C10 (1 Jan 00:00:00); February: C6, C11 (28 Feb 23:59:59)
    assert {g["key"]: g["kpis"]["complaints"] for g in sets["month"].groups} == {"2025-01": 5, "2025-02": 2}
    by_company = {g["key"]: g["kpis"] for g in sets["company"].groups}
    assert by_company["A公司"]["resolution_rate"] == pytest.approx(2 / 4)
    assert by_company["B公司"]["complaints"] == 3
    assert {g["key"]: g["kpis"]["complaints"] for g in sets["severity"].groups} == {
        "ordinary": 5, "important": 1, None: 1}
    assert sets["company"].kpis["complaints"] == 7


def test_survey_groupings_in_one_read_give_the_hand_worked_answers(engine, mode):
    # The Surveys page's totals, month × touchpoint trend and project heatmap in one read on the mirror.
    with session_scope(engine) as session:
        fixtures.surveys_fixture(session)
        wave = session.scalar(select(fixtures.SurveyWave))
        p2 = session.scalar(select(fixtures.Project).where(fixtures.Project.name == "广州华府"))
        for key, overall in (("k6", 2), ("k7", 5)):  # 25 and 100 on 0–100
            session.add(SurveyResponse(wave_id=wave.id, respondent_key=key, surveyed_on=date(2025, 4, 10),
                                       project_id=p2.id, touchpoint="signing_1m", scale=5, overall=overall))
    analytics.build(engine)
    with session_scope(engine, readonly=True) as session:
        assert _through_mirror(session) == (mode == "on")
        sets = surveys.raw_stats_sets(YEAR, (None, ("month", "touchpoint"), ("project",), "company"), session=session)
    assert sets[None][0]["responses"] == 6
    assert sets[None][0]["overall_sum"] == pytest.approx(100 + 0 + 70 + 75 + 25 + 100)
    assert [(r["month"], r["touchpoint"], r["responses"]) for r in sets[("month", "touchpoint")]] == [
        ("2025-03", "delivery_1m", 4), ("2025-04", "signing_1m", 2)]
    by_project = {r["project"]: r for r in sets[("project",)]}
    assert by_project["深圳花园"]["overall_sum"] == pytest.approx(245)
    assert by_project["广州华府"]["top2"] == 1  # only the 5 of 5 is top-2-box
    assert {r["g"]: r["responses"] for r in sets["company"]} == {"A公司": 4, "B公司": 2}


def test_medians_of_two_periods_in_one_read(engine, mode):
    # January: C4 12 h, C1 24 h, C10 61.5 h, C2 96 h resolved → median (24 + 61.5) / 2 = 42.75, p90 at
    # rank 1 + 0.9 × 3 = 3.7: 61.5 + 0.7 × 34.5 = 85.65. February: nothing resolved.
    with session_scope(engine) as session:
        fixtures.complaints_fixture(session)
    analytics.build(engine)
    jan, feb = KpiFilter(date(2025, 1, 1), date(2025, 1, 31)), KpiFilter(date(2025, 2, 1), date(2025, 2, 28))
    with session_scope(engine, readonly=True) as session:
        assert _through_mirror(session) == (mode == "on")
        after, before = complaints.period_percentiles((feb, jan), session=session)
        overlapping = complaints.period_percentiles((JAN_FEB, jan), session=session)
        one_company = complaints.period_percentiles((replace(feb, companies=("A公司",)),
                                                     replace(jan, companies=("A公司",))), session=session)
    assert before["median_hours_to_resolve"] == pytest.approx(42.75, abs=1e-6)
    assert before["p90_hours_to_resolve"] == pytest.approx(85.65, abs=1e-6)
    assert after.get("median_hours_to_resolve") is None
    assert overlapping[0]["median_hours_to_resolve"] == pytest.approx(42.75, abs=1e-6)  # the same four
    assert overlapping[1]["p90_hours_to_resolve"] == pytest.approx(85.65, abs=1e-6)
    assert one_company[1]["median_hours_to_resolve"] == pytest.approx(60, abs=1e-6)  # C1 24 h, C2 96 h


def test_an_outdated_mirror_is_rebuilt_when_the_app_starts(engine):
    # After an upgrade that changes the snapshot's format, the app's start rebuilds it on a thread,
    # so the first person to open a page does not wait for it.
    import json
    import threading

    from lib import ui
    with session_scope(engine) as session:
        fixtures.complaints_fixture(session)
    built = analytics.build(engine)
    with session_scope(engine, readonly=True) as session:
        token = session.scalar(select(AnalyticsState.token))
    manifest = analytics._root() / token / "manifest.json"
    manifest.write_text(json.dumps({**built, "format": analytics.FORMAT - 1}), encoding="utf-8")
    ui.engine_for.clear()
    started = ui.engine_for(engine.url.render_as_string(hide_password=False), False)
    try:
        for thread in threading.enumerate():
            if thread.name == "crhq-analytics-refresh":
                thread.join(timeout=60)
        rebuilt = json.loads(manifest.read_text(encoding="utf-8"))
        assert rebuilt["format"] == analytics.FORMAT
        assert rebuilt["generation"] == built["generation"] + 1
    finally:
        ui.engine_for.clear()
        started.dispose()


def test_whole_months_of_a_period():
    assert analytics.whole_months(date(2025, 1, 15), date(2025, 3, 10)) == ["2025-02"]
    assert analytics.whole_months(date(2025, 1, 1), date(2025, 1, 31)) == ["2025-01"]
    assert analytics.whole_months(date(2025, 1, 1), date(2025, 1, 30)) == []
    assert analytics.whole_months(date(2024, 12, 1), date(2025, 2, 28)) == ["2024-12", "2025-01", "2025-02"]
    assert analytics.whole_months(date(2025, 3, 2), date(2025, 3, 1)) == []


def test_survey_sums_of_whole_months_and_single_days_meet_exactly_with_every_kind_of_write(engine, mode):
    # 15 Jan – 10 Mar: February is read from the mirror's monthly sums, the other days answer by answer.
    period = KpiFilter(date(2025, 1, 15), date(2025, 3, 10))
    with session_scope(engine) as session:
        p1, _ = fixtures.org(session)
        wave = fixtures.SurveyWave(vendor="零点调查", method="phone")
        session.add(wave)
        session.flush()
        for key, day, overall in (("before", date(2025, 1, 14), 2), ("jan31", date(2025, 1, 31), 5),
                                  ("feb10", date(2025, 2, 10), 1), ("feb20", date(2025, 2, 20), 4),
                                  ("mar10", date(2025, 3, 10), 5), ("after", date(2025, 3, 11), 1)):
            session.add(SurveyResponse(wave_id=wave.id, respondent_key=key, surveyed_on=day, project_id=p1.id,
                                       touchpoint="delivery_1m", scale=5, overall=overall))  # 0-100: (x-1)*25
    analytics.build(engine)

    def read():
        with session_scope(engine, readonly=True) as session:
            assert _through_mirror(session) == (mode == "on")
            sets = surveys.raw_stats_sets(period, (None, "month"), session=session)
        total = sets[None][0]
        return (total["responses"], total["overall_sum"], total["top2"],
                [(r["g"], r["responses"]) for r in sets["month"]])

    assert read() == (4, pytest.approx(100 + 0 + 75 + 100), 3, [("2025-01", 1), ("2025-02", 2), ("2025-03", 1)])
    with session_scope(engine) as session:  # a new answer in February, and a February answer changed
        session.add(SurveyResponse(wave_id=wave.id, respondent_key="feb25", surveyed_on=date(2025, 2, 25),
                                   project_id=p1.id, touchpoint="delivery_1m", scale=5, overall=2))
        session.execute(update(SurveyResponse).where(SurveyResponse.respondent_key == "feb10").values(overall=5))
    assert read() == (5, pytest.approx(100 + 100 + 75 + 25 + 100), 4,
                      [("2025-01", 1), ("2025-02", 3), ("2025-03", 1)])
    with session_scope(engine) as session:  # a February answer moved out of the period, one deleted
        session.execute(update(SurveyResponse).where(SurveyResponse.respondent_key == "feb20")
                        .values(surveyed_on=date(2025, 3, 20)))
        session.execute(delete(SurveyResponse).where(SurveyResponse.respondent_key == "jan31"))
    assert read() == (3, pytest.approx(100 + 25 + 100), 2, [("2025-02", 2), ("2025-03", 1)])


def test_days_of_a_period_outside_its_summed_months():
    assert analytics.days_outside(date(2025, 1, 15), date(2025, 3, 10), ["2025-02"]) == [
        (date(2025, 1, 15), date(2025, 1, 31)), (date(2025, 3, 1), date(2025, 3, 10))]
    assert analytics.days_outside(date(2025, 1, 1), date(2025, 4, 30), ["2025-01", "2025-03"]) == [
        (date(2025, 2, 1), date(2025, 2, 28)), (date(2025, 4, 1), date(2025, 4, 30))]
    assert analytics.days_outside(date(2024, 12, 1), date(2025, 1, 31), ["2024-12", "2025-01"]) == []


def test_complaint_sums_of_whole_months_wait_for_their_due_times(engine, mode):
    # The mirror sums a month's complaints as if every due time had passed: a month with a complaint due
    # after `now` (February here, at 1 March) is read complaint by complaint, and so is any month when
    # `now` is earlier than its due times.
    with session_scope(engine) as session:
        p1, _ = fixtures.org(session)

        def add(ref, received, status, fr_due, res_due, **fields):
            session.add(Complaint(ref=ref, received_at=received, channel="hotline", project_id=p1.id,
                                  business_line=p1.business_line, category="maintenance", severity="ordinary",
                                  responsible=True, status=status, first_response_due_at=fr_due,
                                  resolution_due_at=res_due, escalation_level=0, reopen_count=0, **fields))
        add("A", datetime(2025, 1, 10, 9), "received", datetime(2025, 1, 11, 9), datetime(2025, 1, 20, 9))
        add("D", datetime(2025, 1, 20, 9), "void", datetime(2025, 1, 21, 9), datetime(2025, 1, 30, 9))
        add("B", datetime(2025, 2, 5, 9), "received", datetime(2025, 2, 6, 9), datetime(2025, 3, 5, 9))
        add("C", datetime(2025, 2, 6, 9), "resolved", datetime(2025, 2, 7, 9), datetime(2025, 2, 15, 9),
            first_response_at=datetime(2025, 2, 6, 12), resolved_at=datetime(2025, 2, 7, 9))
    analytics.build(engine)

    def read(now):
        with session_scope(engine, readonly=True) as session:
            assert _through_mirror(session) == (mode == "on")
            sets = complaints.compute_many(JAN_FEB, (None, "month"), session=session, now=now, with_percentiles=False)
        k = sets[None].kpis
        return (k["complaints"], k["first_response_on_time_rate"], k["resolution_on_time_rate"], k["open_backlog"],
                k["overdue_open"], [(g["key"], g["kpis"]["complaints"]) for g in sets["month"].groups])

    months = [("2025-01", 1), ("2025-02", 2)]
    assert read(datetime(2025, 3, 1)) == (3, pytest.approx(1 / 3), pytest.approx(1 / 2), 2, 1, months)
    assert read(datetime(2025, 3, 10)) == (3, pytest.approx(1 / 3), pytest.approx(1 / 3), 2, 2, months)
    assert read(datetime(2025, 1, 15)) == (3, pytest.approx(1 / 2), pytest.approx(1 / 1), 2, 0, months)
