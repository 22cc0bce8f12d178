"""Dissatisfied-respondent follow-up (SPEC §14, issue #25 item 3) on SQLite and PostgreSQL: the survey
import opens one task per low answer and none on a re-import; the thresholds at their boundaries; the
new columns in GB18030 CSV and .xlsx with Chinese headers; the record rules; `kpi followups` on the CLI
equal to hand-computed values."""
from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select, update

from lib import cli, config, scope
from lib.db import local_now, session_scope
from lib.errors import Conflict, ValidationFailed
from lib.imports.reader import ImportRejected
from lib.imports.registry import import_file
from lib.kpis.common import KpiFilter
from lib.models import AuditLog, FollowupTask, SurveyResponse
from lib.services import followups

HEADER = "respondent_key,surveyed_on,company,city,project,touchpoint,scale,overall,recommend,vendor,method\n"
# key: (scale, overall, recommend, opens?) — the boundaries of SPEC §14's default thresholds
BOUNDARIES = {
    "b5_2": (5, 2, "", "overall"), "b5_3": (5, 3, "", None),        # scale 5: 1–2 opens, 3 does not
    "b10_2": (10, 2, "", "overall"), "b10_3": (10, 3, "", None),    # scale 10: 1–2 opens, 3 does not
    "b11_1": (11, 1, "", "overall"), "b11_2": (11, 2, "", None),    # scale 11 (0–10): 0–1 opens, 2 does not
    "r6": (5, 4, 6, "recommend"), "r7": (5, 4, 7, None),            # recommend 0–6 opens, 7 does not
    "both": (5, 1, 0, "both"),
}


def _file(rows: dict[str, tuple], day: str = "2025-03-03", company: str = "回访甲公司", project: str = "回访甲花园") -> bytes:
    lines = [f"{key},{day},{company},甲城,{project},交付后1个月,{scale},{overall},{recommend},零点调查,电话"
             for key, (scale, overall, recommend, _) in rows.items()]
    return (HEADER + "\n".join(lines) + "\n").encode("utf-8")


def _tasks(session, keys) -> dict[str, str]:
    rows = session.execute(select(SurveyResponse.respondent_key, FollowupTask.trigger)
                           .join(FollowupTask, FollowupTask.response_id == SurveyResponse.id)
                           .where(SurveyResponse.respondent_key.in_(list(keys)))).all()
    return dict(rows)


def test_each_low_answer_opens_exactly_one_task_and_a_reimport_opens_none(engine):
    data = _file(BOUNDARIES)
    with session_scope(engine) as s:
        first = import_file("survey", data, "wave.csv", session=s, actor="t")
    assert (first.inserted, first.followups_opened) == (9, 5)
    with session_scope(engine) as s:
        # exactly the answers at or below the thresholds, each once, with why
        assert _tasks(s, BOUNDARIES) == {k: v[3] for k, v in BOUNDARIES.items() if v[3]}
        task = s.scalar(select(FollowupTask).join(SurveyResponse, SurveyResponse.id == FollowupTask.response_id)
                        .where(SurveyResponse.respondent_key == "b5_2"))
        assert task.due_on == task.opened_at.date() + timedelta(days=7) and task.closed_at is None
        assert task.opened_at.date() == local_now().date()  # due 7 days after the import, not after surveyed_on
        detail = json.loads(s.scalars(select(AuditLog.detail).where(AuditLog.action == "import")).all()[-1])
        assert detail["followups_opened"] == 5
    with session_scope(engine) as s:
        again = import_file("survey", data, "wave.csv", session=s, actor="t")
    assert (again.inserted, again.unchanged, again.followups_opened) == (0, 9, 0)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(FollowupTask)) == 5


def test_a_dry_run_and_a_refused_file_open_no_task(engine):
    with session_scope(engine) as s:
        preview = import_file("survey", _file(BOUNDARIES), "wave.csv", session=s, actor="t", dry_run=True)
    assert preview.followups_opened == 5  # what the import would do …
    bad = _file({"x1": (5, 1, "", None)}).decode() + "x2,2025-03-03,回访甲公司,甲城,回访甲花园,交付后1个月,5,9,,零点调查,电话\n"
    with session_scope(engine) as s, pytest.raises(ImportRejected):
        import_file("survey", bad.encode(), "bad.csv", session=s, actor="t")
    with session_scope(engine) as s:  # … but nothing was written
        assert s.scalar(select(func.count()).select_from(FollowupTask)) == 0
        assert s.scalar(select(func.count()).select_from(SurveyResponse)) == 0


def test_a_reimport_that_makes_an_answer_low_opens_its_task_and_a_task_stays_once_opened(engine):
    with session_scope(engine) as s:
        import_file("survey", _file({"u1": (5, 4, 8, None), "u2": (5, 1, "", None)}), "a.csv", session=s, actor="t")
    with session_scope(engine) as s:
        # the vendor's corrected file: u1 was 2 (low), u2 was 5
        result = import_file("survey", _file({"u1": (5, 2, 8, None), "u2": (5, 5, "", None)}), "b.csv", session=s,
                             actor="t")
    assert (result.updated, result.followups_opened) == (2, 1)
    with session_scope(engine) as s:
        assert _tasks(s, ["u1", "u2"]) == {"u1": "overall", "u2": "overall"}


CHINESE = "受访者编号,调查日期,公司,城市,项目,触点,量表,总体满意度,推荐意愿,调查机构,调查方式,联系电话,调查机构编号\n"


def test_contact_columns_in_a_gb18030_csv_and_an_xlsx_with_chinese_headers(engine):
    csv = (CHINESE + "g1,2025/03/04,回访甲公司,甲城,回访甲花园,交付后1个月,5,1,3,零点调查,电话,139 1234 0001,LD-0001\n"
                     "g2,2025/03/04,回访甲公司,甲城,回访甲花园,交付后1个月,5,5,9,零点调查,电话,,\n")
    frame = pd.DataFrame([["x1", "2025-03-05", "回访甲公司", "甲城", "回访甲花园", "商业客户", 11, 0, 2, "赛惟", "线上",
                           13912340002, "SW-77"]], columns=CHINESE.strip().split(","))
    buf = io.BytesIO()
    frame.to_excel(buf, index=False)
    with session_scope(engine) as s:
        assert import_file("survey", csv.encode("gb18030"), "vendor.csv", session=s, actor="t").followups_opened == 1
        assert import_file("survey", buf.getvalue(), "vendor.xlsx", session=s, actor="t").followups_opened == 1
    with session_scope(engine) as s:
        stored = {r.respondent_key: (r.contact_phone, r.vendor_case_id) for r in s.scalars(select(SurveyResponse))}
    # an Excel number arrives as its digits (no ".0"), a CSV phone as typed
    assert stored == {"g1": ("139 1234 0001", "LD-0001"), "g2": (None, None), "x1": ("13912340002", "SW-77")}


@pytest.mark.parametrize("phone", ["abc12345", "1234", "138-1234-5678-9999-0000-1", "=HYPERLINK(1)"])
def test_a_bad_contact_phone_refuses_the_file_with_its_row_and_column(engine, phone):
    text = CHINESE + f"p1,2025/03/04,回访甲公司,甲城,回访甲花园,交付后1个月,5,1,3,零点调查,电话,{phone},C1\n"
    with session_scope(engine) as s, pytest.raises(ImportRejected) as refused:
        import_file("survey", text.encode("gb18030"), "vendor.csv", session=s, actor="t")
    assert [(e.row, e.column, e.header) for e in refused.value.errors] == [(2, "contact_phone", "联系电话")]
    assert "电话号码" in refused.value.errors[0].reason_zh and "phone" in refused.value.errors[0].reason_en


def _task_id(session, key: str) -> int:
    return session.scalar(select(FollowupTask.id).join(SurveyResponse, SurveyResponse.id == FollowupTask.response_id)
                          .where(SurveyResponse.respondent_key == key))


def test_recording_rules_close_and_audit(engine):
    with session_scope(engine) as s:
        import_file("survey", _file({"c1": (5, 1, "", None), "c2": (5, 2, "", None)}), "a.csv", session=s, actor="t")
        one, two = _task_id(s, "c1"), _task_id(s, "c2")
    called = local_now() - timedelta(hours=1)

    def rec(task, **kw):
        args = {"contacted": True, "contacted_at": called, "cause": "维修慢", "action": "上门", "outcome": None,
                "version": None} | kw
        with session_scope(engine) as s:
            return followups.record(task, session=s, actor="staff_a", **args)

    for bad, fields in (({"contacted": False, "outcome": "recovered"}, "fu_contacted"),  # recovered needs contact
                        ({"contacted_at": None}, "fu_contacted_at"),
                        ({"contacted_at": local_now() + timedelta(hours=2)}, "fu_contacted_at"),  # in the future
                        ({"contacted_at": datetime(2025, 3, 2, 10)}, "fu_contacted_at"),  # before the survey day
                        ({"cause": "  ", "outcome": "not_recovered"}, "fu_cause"),
                        ({"outcome": "maybe"}, "fu_outcome")):
        with pytest.raises(ValidationFailed) as refused:
            rec(one, **bad)
        assert refused.value.params["fields"] == fields, bad
    assert rec(one)["contacted"] == ["False", "True"]  # saved, still open
    with pytest.raises(Conflict):
        rec(one, version=1, outcome="recovered")  # drawn before the save above
    rec(one, outcome="recovered", version=2)
    rec(two, contacted=False, contacted_at=None, cause=None, outcome="not_recovered")  # unreachable: closes
    with pytest.raises(ValidationFailed) as refused:
        rec(one, action="again")
    assert refused.value.key == "fu_err_closed"
    with session_scope(engine) as s:
        task = s.get(FollowupTask, one)
        assert (task.outcome, task.closed_by, task.contacted_at) == ("recovered", "staff_a", called)
        assert task.closed_at.date() == local_now().date()
        actions = s.scalars(select(AuditLog.action).where(AuditLog.entity == "followup_task")
                            .order_by(AuditLog.id)).all()
        assert actions == ["followup_update", "followup_close", "followup_close"]


def test_a_scoped_writer_reads_and_records_only_tasks_of_its_projects(engine):
    with session_scope(engine) as s:
        import_file("survey", _file({"s1": (5, 1, "", None)}), "a.csv", session=s, actor="t")
        import_file("survey", _file({"s2": (5, 1, "", None)}, company="回访乙公司", project="回访乙华府"), "b.csv",
                    session=s, actor="t")
        reach = scope.reach(scope.parse("company:回访甲公司"), session=s)
        mine, other = _task_id(s, "s1"), _task_id(s, "s2")
        assert followups.detail(mine, session=s, reach=reach)["company"] == "回访甲公司"
        with pytest.raises(scope.OutOfScope):
            followups.detail(other, session=s, reach=reach)
        with pytest.raises(scope.OutOfScope):
            followups.record(other, session=s, actor="a", version=None, contacted=False, contacted_at=None,
                             cause=None, action=None, outcome="not_recovered", reach=reach)
        flt = scope.limited(KpiFilter(date(2025, 3, 1), date(2025, 3, 31)), reach)
        assert list(followups.queue(flt, session=s, view="all")["id"]) == [mine]


# ---- kpi followups on the command line ---------------------------------------------------------------
def _kpi(capsys, *args: str) -> dict:
    assert cli.main(["kpi", "followups", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_kpi_followups_on_the_cli_equals_the_hand_computed_values(engine, monkeypatch, capsys):
    """March 2025, tasks by the answer's survey day (a task closed "now" by the record form):
      甲 t1 (3 Mar) closed on time, recovered · t2 (10 Mar) due 1 Apr 2025, closed now: late, not recovered ·
         t3 (20 Mar) open, due 1 Apr 2025: overdue
      乙 t4 (5 Mar) open, due today: not late yet · t5 (25 Mar) due today, closed today: on time, recovered
      乙 t6 (2 Apr): outside the period · n1 (3 Mar, overall 4): no task
    all: due 5, closed 3 (t1 t2 t5), on time 2 (t1 t5) / (closed 3 + overdue t3) 4 = 0.5, recovered 2/3, overdue 1
    甲: due 3, closed 2, on time 1 / (2 + t3) 3, recovered 1/2, overdue 1 · 乙: due 2, on time 1/1, recovered 1/1."""
    files = (("t1", "2025-03-03", "甲"), ("t2", "2025-03-10", "甲"), ("t3", "2025-03-20", "甲"),
             ("t4", "2025-03-05", "乙"), ("t5", "2025-03-25", "乙"), ("t6", "2025-04-02", "乙"))
    today = local_now().date()
    with session_scope(engine) as s:
        for key, day, c in files:
            import_file("survey", _file({key: (5, 1, "", None)}, day=day, company=f"回访{c}公司", project=f"回访{c}花园"),
                        f"{key}.csv", session=s, actor="t")
        import_file("survey", _file({"n1": (5, 4, 9, None)}), "n1.csv", session=s, actor="t")
        ids = {key: _task_id(s, key) for key, _, _ in files}
        # tasks opened weeks ago (t2, t3) and one due today (t4, t5): the due dates as time would have left them
        s.execute(update(FollowupTask).where(FollowupTask.id.in_([ids["t2"], ids["t3"]])).values(due_on=date(2025, 4, 1)))
        s.execute(update(FollowupTask).where(FollowupTask.id.in_([ids["t4"], ids["t5"]])).values(due_on=today))
    called = local_now() - timedelta(minutes=5)
    for key, outcome in (("t1", "recovered"), ("t2", "not_recovered"), ("t5", "recovered"), ("t6", "recovered")):
        with session_scope(engine) as s:
            followups.record(ids[key], session=s, actor="t", version=None, contacted=True, contacted_at=called,
                             cause="原因", action="措施", outcome=outcome)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    config.get_settings.cache_clear()
    try:
        out = _kpi(capsys, "--from", "2025-03-01", "--to", "2025-03-31", "--by", "company")
        one = _kpi(capsys, "--from", "2025-03-01", "--to", "2025-03-31", "--company", "回访乙公司")
    finally:
        config.get_settings.cache_clear()
    assert out["area"] == "followups"
    assert out["kpis"] == {"followups_due": 5, "followups_closed": 3, "followups_overdue": 1,
                           "followup_on_time_rate": 0.5, "recovery_rate": pytest.approx(2 / 3)}
    groups = {g["key"]: g["kpis"] for g in out["groups"]}
    assert groups == {
        "回访甲公司": {"followups_due": 3, "followups_closed": 2, "followups_overdue": 1,
                    "followup_on_time_rate": pytest.approx(1 / 3), "recovery_rate": 0.5},
        "回访乙公司": {"followups_due": 2, "followups_closed": 1, "followups_overdue": 0,
                    "followup_on_time_rate": 1.0, "recovery_rate": 1.0}}
    assert one["kpis"] == groups["回访乙公司"]
    # the same figures in the month's workbook (a sheet of their own) and beside the overview's league
    from openpyxl import load_workbook

    from lib.services import overview, reports
    with session_scope(engine, readonly=True) as s:
        wb = load_workbook(io.BytesIO(reports.monthly_report("2025-03", session=s)))
        league = overview.league(KpiFilter(date(2025, 3, 1), date(2025, 3, 31)), session=s).set_index("company")
    sheet = wb["不满意回访 Follow-ups"]
    values = {sheet.cell(row=r, column=1).value: sheet.cell(row=r, column=2).value for r in range(1, 40)}
    assert values["按时回访率 On-time follow-up rate"] == 0.5
    assert values["挽回率 Recovery rate"] == pytest.approx(2 / 3)
    assert values["需回访样本 Answers to follow up"] == 5
    assert league.loc["回访甲公司", "followup_on_time_rate"] == pytest.approx(1 / 3)
    assert league.loc["回访乙公司", "recovery_rate"] == 1.0


def test_kpi_followups_of_an_empty_period_is_null_not_zero(engine):
    from lib.kpis import areas

    with session_scope(engine) as s:
        k = areas.compute("followups", KpiFilter(date(2001, 1, 1), date(2001, 1, 31)), session=s).kpis
    assert k == {"followups_due": 0, "followups_closed": 0, "followups_overdue": 0,
                 "followup_on_time_rate": None, "recovery_rate": None}
