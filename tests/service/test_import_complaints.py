"""Complaint imports: the delivered samples, idempotence, updates and every kind of bad file."""
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from lib.imports.complaints import import_complaints
from lib.imports.reader import ImportRejected
from lib.models import Complaint, ComplaintEvent, Project

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"  # copies of ../shared/samples
HEADER = "ref,received_at,channel,company,city,project,severity,responsible,status,resolved_at\n"
GOOD = "T1,2025-09-30 10:00,hotline,A公司,深圳,深圳花园,ordinary,yes,received,\n"


def _count(session) -> int:
    return session.scalar(select(func.count()).select_from(Complaint))


@pytest.mark.parametrize("name", ["complaints_hotline_center.csv", "complaints_regions.xlsx"])
def test_samples_import_cleanly_and_twice_changes_nothing(session, name):
    data = (SAMPLES / name).read_bytes()
    first = import_complaints(data, name, session=session, actor="t")
    assert first.inserted == first.rows > 0
    again = import_complaints(data, name, session=session, actor="t")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, first.rows)
    assert _count(session) == first.rows


def test_gb18030_chinese_headers_and_values(session):
    text = (" 投诉编号 , 受理时间 ,渠道,公司,城市,项目,级别,是否责任投诉,状态\n"
            "G1,2025/09/30 10:00,论坛,深圳公司,深圳,海景 花园,紧急,是,处理中\n")
    import_complaints(text.encode("gb18030"), "x.csv", session=session, actor="t")
    c = session.scalar(select(Complaint))
    assert (c.channel, c.severity, c.responsible, c.status) == ("forum", "urgent", True, "in_progress")
    # urgent: 2 calendar hours to first response whatever the channel
    assert str(c.first_response_due_at) == "2025-09-30 12:00:00"


def test_newer_version_updates_and_projects_are_not_duplicated(session):
    import_complaints((HEADER + GOOD).encode(), "a.csv", session=session, actor="t")
    newer = "T1,2025-09-30 10:00,hotline,A公司,深圳, 深圳 花园 ,ordinary,yes,resolved,2025-10-09 09:00\n"
    result = import_complaints((HEADER + newer).encode(), "b.csv", session=session, actor="t")
    assert result.updated == 1
    assert session.scalar(select(Complaint.status)) == "resolved"
    assert session.scalar(select(func.count()).select_from(Project)) == 1


@pytest.mark.parametrize(("content", "key", "column"), [
    ("ref,received_at,company,city,project\nT1,2025-01-01,A,深圳,P\n", "imp_err_rows", "channel"),  # missing column
    (HEADER + GOOD + "T2,2025-01-01,telegram,A,深圳,P,,yes,received,\n", "imp_err_rows", "channel"),
    (HEADER + GOOD + "T2,2025-13-45,hotline,A,深圳,P,,yes,received,\n", "imp_err_rows", "received_at"),
    (HEADER + GOOD + GOOD, "imp_err_rows", "ref"),                                                    # duplicate ref
    ("", "imp_err_empty", None),                                                                      # empty file
    (HEADER, "imp_err_no_rows", None),                                                                # header only
])
def test_bad_files_are_refused_whole_with_row_errors(session, content, key, column):
    with pytest.raises(ImportRejected) as exc:
        import_complaints(content.encode(), "bad.csv", session=session, actor="t")
    assert exc.value.key == key
    if column:
        assert column in {e.column for e in exc.value.errors}
        assert all(e.reason_zh and e.reason_en for e in exc.value.errors)
        assert all(e.row >= 1 for e in exc.value.errors)
    assert _count(session) == 0  # nothing written, not even the good row


def test_wrong_encoding_is_refused(session):
    with pytest.raises(ImportRejected) as exc:
        import_complaints(b"\xff\xfe\x00\x81\xff" * 10, "bad.csv", session=session, actor="t")
    # neither UTF-8 nor GB18030 (0xFF is a lead byte in neither): the encoding is what is refused
    assert (exc.value.key, exc.value.errors) == ("imp_err_encoding", [])
    assert _count(session) == 0


def _titled_workbook(path, *rows: list) -> bytes:
    """A vendor workbook: a merged title row above the Chinese header, then `rows`."""
    wb = Workbook()
    ws = wb.active
    ws.append(["2025年9月投诉明细"])
    ws.merge_cells("A1:F1")
    ws.append(["投诉编号", "受理时间", "渠道", "公司", "城市", "项目"])
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path.read_bytes()


def test_excel_with_merged_title_row(session, tmp_path):
    data = _titled_workbook(tmp_path / "t.xlsx", ["X1", "2025-09-01 08:00", "热线", "A公司", "深圳", "P1"])
    assert import_complaints(data, "t.xlsx", session=session, actor="t").inserted == 1


def test_bulk_written_rows_read_back_exactly_and_meet_date_boundaries(session):
    # Imports write through the driver (lib.db.insert_columns), not SQLAlchemy's parameter processing:
    # what comes back, and how stored moments compare in SQL, must be what the ORM would have made.
    text = ("ref,received_at,channel,company,city,project,severity,responsible,status,first_response_at,"
            "resolved_at,followup_score,escalation_level\n"
            "B1,2025-09-30 10:00,hotline,A公司,深圳,深圳花园,important,no,resolved,2025-09-30 10:00:00.5,"
            "2025-10-09 09:00,5,\n")
    import_complaints(text.encode(), "b.csv", session=session, actor="t")
    c = session.scalar(select(Complaint))
    assert (c.received_at, c.first_response_at, c.resolved_at) == (
        datetime(2025, 9, 30, 10), datetime(2025, 9, 30, 10, 0, 0, 500000), datetime(2025, 10, 9, 9))
    assert (c.responsible, c.followup_score, c.escalation_level, c.reopen_count, c.version) == (False, 5, 0, 0, 1)
    assert c.created_at is not None and abs(c.updated_at - c.created_at).total_seconds() < 1
    # Hotline: 14 h left on Tue 30 Sep, 1–8 Oct off, 10 h on Thu 9 Oct. Not responsible: 7 working days,
    # 30 Sep (14 h), 9, 10, 11 (make-up Saturday), 13, 14, 15 Oct, and 10 h on the 16th.
    assert (c.first_response_due_at, c.resolution_due_at) == (datetime(2025, 10, 9, 10), datetime(2025, 10, 16, 10))
    at = datetime(2025, 9, 30, 10)
    assert session.scalar(select(func.count()).select_from(Complaint).where(Complaint.received_at >= at)) == 1
    assert session.scalar(select(func.count()).select_from(Complaint).where(Complaint.received_at > at)) == 0
    assert [(e.complaint_id, e.action, e.actor) for e in session.scalars(select(ComplaintEvent))] == [
        (c.id, "import", "t")]


def test_rows_out_of_time_order_keep_their_own_values_and_are_stored_in_time_order(session):
    # The importer writes rows sorted by received_at (the date-led indexes then fill page by page):
    # every column must travel with its row, and the row errors still name the file's lines.
    text = ("ref,received_at,channel,company,city,project,status,resolved_at,complainant_name\n"
            "L2,2025-03-02 09:00,hotline,A公司,深圳,深圳花园,resolved,2025-03-03 09:00,李二\n"
            "L3,2025-01-15 08:30,forum,A公司,深圳,深圳花园,received,,张三\n"
            "L4,2025-02-01 12:00,wechat,A公司,深圳,深圳花园,received,,王四\n")
    import_complaints(text.encode(), "o.csv", session=session, actor="t")
    stored = session.execute(select(Complaint.ref, Complaint.received_at, Complaint.channel, Complaint.status,
                                    Complaint.resolved_at, Complaint.complainant_name).order_by(Complaint.id)).all()
    assert [tuple(r) for r in stored] == [
        ("L3", datetime(2025, 1, 15, 8, 30), "forum", "received", None, "张三"),
        ("L4", datetime(2025, 2, 1, 12), "wechat", "received", None, "王四"),
        ("L2", datetime(2025, 3, 2, 9), "hotline", "resolved", datetime(2025, 3, 3, 9), "李二")]
    bad = text.replace("L3,2025-01-15 08:30", "L3,2025-01-45 08:30").replace("L4,", "L5,").replace("L2,", "L6,")
    with pytest.raises(ImportRejected) as caught:
        import_complaints(bad.encode(), "o.csv", session=session, actor="t")
    assert [(e.row, e.column) for e in caught.value.errors] == [(3, "received_at")]


def test_error_lines_are_the_spreadsheet_rows_after_blank_and_title_rows(session, tmp_path):
    # Line 1 header, 2 good, 3 empty, 4 empty cells, 5 bad channel: the report must say 5, where the user looks.
    bad = "T2,2025-09-30 10:00,telegram,A公司,深圳,深圳花园,ordinary,yes,received,\n"
    with pytest.raises(ImportRejected) as exc:
        import_complaints((HEADER + GOOD + "\n,,,,,,,,,\n" + bad).encode(), "gap.csv", session=session, actor="t")
    assert [(e.row, e.column) for e in exc.value.errors] == [(5, "channel")]
    # Row 1 a merged title, 2 header, 3 good, 4 empty, 5 bad channel.
    data = _titled_workbook(tmp_path / "gap.xlsx", ["X1", "2025-09-01 08:00", "热线", "A公司", "深圳", "P1"], [],
                            ["X2", "2025-09-01 09:00", "电报", "A公司", "深圳", "P1"])
    with pytest.raises(ImportRejected) as exc:
        import_complaints(data, "gap.xlsx", session=session, actor="t")
    assert [(e.row, e.column) for e in exc.value.errors] == [(5, "channel")]
    assert _count(session) == 0


def test_an_import_commit_leaves_the_wal_checkpoint_to_a_thread(engine, monkeypatch):
    """SQLite: the import's commit does not copy the write-ahead log back (autocheckpoint off for that
    transaction only); one checkpoint runs on a thread after the commit, none for a rejected file."""
    import threading

    from lib import db
    from lib.db import session_scope

    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL has no application-driven checkpoint")
    done, checkpoint = [], db._checkpoint

    def recorded(eng):
        done.append((threading.current_thread().name, checkpoint(eng)))
    monkeypatch.setattr(db, "_checkpoint", recorded)
    rows = "".join(f"K{i},2025-09-30 10:00,hotline,A公司,深圳,深圳花园,ordinary,yes,received,\n" for i in range(3000))
    with session_scope(engine) as session:
        import_complaints((HEADER + rows).encode(), "big.csv", session=session, actor="t")
        driver = session.connection().connection.driver_connection
        assert driver.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0  # off until the commit
        assert done == []
    for thread in threading.enumerate():
        if thread.name == "crhq-wal-checkpoint":
            thread.join(5)
    [(thread_name, (busy, frames, copied))] = done
    assert thread_name == "crhq-wal-checkpoint" and busy == 0 and frames == copied > 0  # the whole WAL, copied
    assert driver.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000  # the connection is as it was
    with pytest.raises(ImportRejected), session_scope(engine) as session:
        import_complaints((HEADER + "B1,not a date,hotline,A公司,深圳,深圳花园,,,,\n").encode(), "bad.csv",
                          session=session, actor="t")
    with session_scope(engine) as session:
        import_complaints((HEADER + GOOD).encode(), "one.csv", session=session, actor="t", dry_run=True)
    assert len(done) == 1  # nothing for a rejected file or a dry run
    with session_scope(engine, readonly=True) as session:
        assert _count(session) == 3000
