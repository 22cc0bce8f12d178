"""Issue #28, import survivors (SPEC §9): a survey re-import really writes the newer value; the CSV
fallback is GB18030 (not GBK: characters outside GBK arrive intact); resolved complaints need a
resolved_at no earlier than received_at; follow-up scores are 1–5. Each refusal is checked as the
exact row-level report (row, column, value, reason) under the exact key. And the two real bugs the
property tests found: bytes pandas cannot parse, and a 届次 cell of thousands of digits, are a
bilingual refusal through the import service and the command line, never a traceback."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from lib import cli, config
from lib.db import session_scope
from lib.i18n import t
from lib.imports import reader, registry
from lib.imports.reader import ImportRejected
from lib.models import Complaint, Project, Supervisor, SurveyResponse


def _import(engine, kind: str, data: bytes, name: str = "f.csv"):
    with session_scope(engine) as session:
        return registry.import_file(kind, data, name, session=session, actor="t")


def _refused(engine, kind: str, data: bytes, name: str = "f.csv") -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        _import(engine, kind, data, name)
    return caught.value


def _errors(exc: ImportRejected) -> list[tuple]:
    return [(e.row, e.column, e.value, e.reason_zh, e.reason_en) for e in exc.errors]


def _count(engine, model) -> int:
    with session_scope(engine, readonly=True) as session:
        return session.scalar(select(func.count()).select_from(model))


# ---- surveys: a newer version is written ------------------------------------------------------

SURVEY = "respondent_key,surveyed_on,company,city,project,touchpoint,scale,overall,recommend,vendor,method\n"


def test_a_survey_reimport_reports_updated_and_stores_the_newer_scores(engine):
    first = SURVEY + ("k1,2025-03-01,A,深圳,P,delivery_1m,5,4,9,零点,phone\n"
                      "k2,2025-03-01,A,深圳,P,delivery_1m,5,3,7,零点,phone\n")
    assert _import(engine, "survey", first.encode()).inserted == 2
    newer = first.replace("k1,2025-03-01,A,深圳,P,delivery_1m,5,4,9", "k1,2025-03-01,A,深圳,P,delivery_1m,5,5,6")
    again = _import(engine, "survey", newer.encode())
    assert (again.inserted, again.updated, again.unchanged) == (0, 1, 1)
    with session_scope(engine, readonly=True) as session:
        stored = {k: (o, r) for k, o, r in session.execute(select(
            SurveyResponse.respondent_key, SurveyResponse.overall, SurveyResponse.recommend))}
    assert stored == {"k1": (5, 6), "k2": (3, 7)}  # k1: overall 4 → 5, recommend 9 → 6; k2 as it was


# ---- encodings: GB18030, not GBK --------------------------------------------------------------

OUTSIDE_GBK = "䶮𠀀"  # U+4DAE (CJK Ext A, added in GB18030-2005) and U+20000 (Ext B): no GBK code


def test_characters_outside_gbk_come_through_a_gb18030_file_exactly(engine):
    for ch in OUTSIDE_GBK:  # the test's own premise: GBK cannot carry them, GB18030 can
        with pytest.raises(UnicodeEncodeError):
            ch.encode("gbk")
        assert ch.encode("gb18030").decode("gb18030") == ch
    text = ("投诉编号,受理时间,渠道,公司,城市,项目,投诉内容\n"
            f"G1,2025-09-30 10:00,热线,深圳公司,深圳,{OUTSIDE_GBK}花园,业主{OUTSIDE_GBK}反映漏水（甲）\n")
    data = text.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):  # not valid UTF-8: the fallback is what reads it
        data.decode("utf-8")
    assert _import(engine, "complaints", data).inserted == 1
    with session_scope(engine, readonly=True) as session:
        description, project = session.execute(select(Complaint.description, Project.name).join(
            Project, Project.id == Complaint.project_id)).one()
    assert (description, project) == ("业主䶮𠀀反映漏水（甲）", "䶮𠀀花园")


# ---- complaints: resolved_at and follow-up score ----------------------------------------------

LIFE = "ref,received_at,channel,company,city,project,status,resolved_at,followup_at,followup_score\n"
OK = "C1,2025-09-30 10:00,hotline,A公司,深圳,深圳花园,received,,,\n"


def test_a_resolved_complaint_without_resolved_at_is_refused_with_its_row_and_column(engine):
    bad = "C2,2025-09-30 10:00,hotline,A公司,深圳,深圳花园,resolved,,,\n"
    exc = _refused(engine, "complaints", (LIFE + OK + bad).encode())
    assert (exc.key, exc.params) == ("imp_err_rows", {"n": 1})
    assert _errors(exc) == [(3, "resolved_at", "", "已解决的投诉需要解决时间", "a resolved complaint needs resolved_at")]
    assert _count(engine, Complaint) == 0


def test_one_report_names_a_missing_resolved_at_together_with_a_bad_cell_further_down(engine):
    # The file-level rule (check) reports it in the same pass as cell errors; the database-level
    # one (resolve) runs only on a file without them, so it cannot stand in for it here.
    rows = ("C2,2025-09-30 10:00,hotline,A公司,深圳,深圳花园,resolved,,,\n"
            "C3,2025-09-30 10:00,telegram,A公司,深圳,深圳花园,received,,,\n")
    exc = _refused(engine, "complaints", (LIFE + OK + rows).encode())
    assert (exc.key, exc.params) == ("imp_err_rows", {"n": 2})
    assert [(e.row, e.column, e.value) for e in exc.errors] == [(3, "resolved_at", ""), (4, "channel", "telegram")]


def test_a_resolved_complaint_in_a_file_without_a_resolved_at_column_is_refused(engine):
    # No such column: the stored value would count, and a new complaint has none.
    data = ("ref,received_at,channel,company,city,project,status\n"
            "C1,2025-09-30 10:00,hotline,A公司,深圳,深圳花园,resolved\n").encode()
    exc = _refused(engine, "complaints", data)
    assert (exc.key, exc.params) == ("imp_err_rows", {"n": 1})
    assert _errors(exc) == [(2, "resolved_at", "", "已解决的投诉需要解决时间", "a resolved complaint needs resolved_at")]
    assert _count(engine, Complaint) == 0


def test_resolved_at_one_second_before_received_at_is_refused_and_at_received_at_accepted(engine):
    before = "C2,2025-09-30 10:00,hotline,A公司,深圳,深圳花园,resolved,2025-09-30 09:59:59,,\n"
    exc = _refused(engine, "complaints", (LIFE + OK + before).encode())
    assert (exc.key, exc.params) == ("imp_err_rows", {"n": 1})
    assert _errors(exc) == [(3, "resolved_at", "2025-09-30 09:59:59", "早于“received_at”", "earlier than received_at")]
    assert _count(engine, Complaint) == 0
    same = "C2,2025-09-30 10:00,hotline,A公司,深圳,深圳花园,resolved,2025-09-30 10:00:00,,\n"
    assert _import(engine, "complaints", (LIFE + OK + same).encode()).inserted == 2
    with session_scope(engine, readonly=True) as session:
        assert session.scalar(select(Complaint.resolved_at).where(Complaint.ref == "C2")) == datetime(2025, 9, 30, 10)


def _verified(ref: str, score: str) -> str:
    return f"{ref},2025-09-30 10:00,hotline,A公司,深圳,深圳花园,verified,2025-10-01 10:00,2025-10-02 10:00,{score}\n"


@pytest.mark.parametrize("score", ["0", "6"])
def test_a_followup_score_off_1_to_5_is_refused_with_its_row_and_column(engine, score):
    exc = _refused(engine, "complaints", (LIFE + OK + _verified("C2", score)).encode())
    assert (exc.key, exc.params) == ("imp_err_rows", {"n": 1})
    assert _errors(exc) == [(3, "followup_score", score, "超出范围 1–5", "out of range 1–5")]
    assert _count(engine, Complaint) == 0


def test_followup_scores_1_and_5_are_stored(engine):
    assert _import(engine, "complaints", (LIFE + _verified("C1", "1") + _verified("C5", "5")).encode()).inserted == 2
    with session_scope(engine, readonly=True) as session:
        assert dict(session.execute(select(Complaint.ref, Complaint.followup_score)).all()) == {"C1": 1, "C5": 5}


# ---- real bug 1: bytes pandas cannot parse ----------------------------------------------------

@pytest.mark.parametrize("kind", list(registry.IMPORTERS))
def test_the_bytes_cr_nul_are_a_bilingual_refusal_for_every_kind(engine, kind):
    exc = _refused(engine, kind, b"\r\x00", "random.csv")
    assert (exc.key, exc.errors) == ("imp_err_no_rows", [])  # "\r" is an empty header line
    assert t(exc.key, "zh") == "文件只有表头，没有数据行。"
    assert t(exc.key, "en") == "The file has a header but no data rows."


def _pandas_type_error(*args, **kwargs):
    # What pandas raised on b"\r\x00" in CI (the page and the CLI catch only ImportRejected).
    raise TypeError("object of type 'NoneType' has no len()")


def test_a_pandas_type_error_while_reading_is_an_unreadable_file_not_a_traceback(engine, monkeypatch):
    monkeypatch.setattr(reader.pd, "read_csv", _pandas_type_error)
    data = b"ref,received_at\r\n\r\x00"
    exc = _refused(engine, "complaints", data)
    assert exc.key == "imp_err_unreadable" and exc.errors == []
    assert t(exc.key, "zh", **exc.params) == "文件无法读取（TypeError: object of type 'NoneType' has no len()）。"
    assert t(exc.key, "en", **exc.params) == "The file cannot be read (TypeError: object of type 'NoneType' has no len())."
    assert _count(engine, Complaint) == 0


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    config.get_settings.cache_clear()
    yield tmp_path
    config.get_settings.cache_clear()


def test_the_command_line_refuses_unparseable_bytes_in_both_languages(cli_db, capsys, monkeypatch):
    path = cli_db / "cr_nul.csv"
    path.write_bytes(b"\r\x00")
    assert cli.main(["import", "complaints", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == ["文件只有表头，没有数据行。", "The file has a header but no data rows."]
    monkeypatch.setattr(reader.pd, "read_csv", _pandas_type_error)
    path.write_bytes(b"ref,received_at\r\n\r\x00")
    assert cli.main(["import", "complaints", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == ["文件无法读取（TypeError: object of type 'NoneType' has no len()）。",
                                "The file cannot be read (TypeError: object of type 'NoneType' has no len())."]


# ---- real bug 2: a 届次 of thousands of digits --------------------------------------------------

SUPERVISORS = "supervisor_no,name,company,city,project,term,joined_on\n"
TERM_REASON = ("届次应为正整数（如 3 或 第3届）", "term must be a positive whole number (3 or 第3届)")


def test_a_term_of_4301_digits_is_a_row_error_not_a_value_error(engine):
    huge = "1" * 4301  # past Python's int() limit of 4,300 digits
    rows = f"S1,张三,A公司,深圳,P,第3届,2024-01-01\nS2,李四,A公司,深圳,P,{huge},2024-01-01\n"
    exc = _refused(engine, "supervisors", (SUPERVISORS + rows).encode())
    assert (exc.key, exc.params) == ("imp_err_rows", {"n": 1})
    [(row, column, value, zh, en)] = _errors(exc)
    assert (row, column, (zh, en)) == (3, "term", TERM_REASON)
    assert value.startswith("1111") and value.endswith("…")  # the report shows the start of the cell
    assert _count(engine, Supervisor) == 0


def test_terms_of_nine_digits_are_stored_and_ten_refused(engine):
    ten = SUPERVISORS + "S1,张三,A公司,深圳,P,1000000000,2024-01-01\n"
    exc = _refused(engine, "supervisors", ten.encode())
    assert [(e.row, e.column, e.value, e.reason_en) for e in exc.errors] == [(2, "term", "1000000000", TERM_REASON[1])]
    nine = SUPERVISORS + "S1,张三,A公司,深圳,P,999999999,2024-01-01\nS2,李四,A公司,深圳,P,第3届,2024-01-01\n"
    assert _import(engine, "supervisors", nine.encode()).inserted == 2
    with session_scope(engine, readonly=True) as session:
        assert dict(session.execute(select(Supervisor.supervisor_no, Supervisor.term)).all()) == {
            "S1": 999_999_999, "S2": 3}


def test_the_command_line_reports_the_huge_term_as_a_row_error(cli_db, capsys):
    path = cli_db / "supervisors.csv"
    path.write_text(SUPERVISORS + f"S1,张三,A公司,深圳,P,{'9' * 5000},2024-01-01\n", encoding="utf-8")
    assert cli.main(["import", "supervisors", str(path)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "ValueError" not in err
    assert TERM_REASON[0] in err and TERM_REASON[1] in err
    assert t("imp_err_rows", "en", n=1).splitlines()[0] in err
