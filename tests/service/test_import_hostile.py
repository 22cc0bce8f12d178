"""Hostile import files (security report items 7, 10, 11): refused early, or row errors identical on
both backends, never a database error; the error report is safe to open in a spreadsheet.

Every import goes through `registry.import_file` in its own session_scope, as the page widget
(lib.ui.import_file) does, or through the command line itself (lib.cli.main)."""
from __future__ import annotations

import csv
import io
import time
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from lib import cli, config
from lib.db import session_scope
from lib.i18n import t
from lib.imports import registry
from lib.imports.core import error_report_csv
from lib.imports.reader import ImportRejected
from lib.models import Complaint, Project

HEADER = "ref,received_at,channel,company,city,project,description\n"
GOOD = "T1,2025-09-30 10:00,hotline,A公司,深圳,深圳花园,漏水\n"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def _import(engine, data: bytes, name: str = "f.csv", kind: str = "complaints"):
    with session_scope(engine) as session:
        return registry.import_file(kind, data, name, session=session, actor="t")


def _refused(engine, data: bytes, name: str = "f.csv", kind: str = "complaints") -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        _import(engine, data, name, kind)
    return caught.value


def _complaints(engine) -> int:
    with session_scope(engine, readonly=True) as session:
        return session.scalar(select(func.count()).select_from(Complaint))


def _errors(exc: ImportRejected) -> list[tuple]:
    return [(e.row, e.column, e.value, e.reason_en) for e in exc.errors]


# ---- 7: the error report -----------------------------------------------------------------------

def test_the_error_report_makes_every_formula_inert(engine):
    """Channels that are formulas, in ASCII and full-width: each is a row error whose value, in the
    downloadable report, starts with ' (Excel and WPS then show it as text)."""
    hostile = ["=HYPERLINK(\"http://x\",\"y\")", "=1+1", "+1", "-2", "@SUM(A1)", "＝1", "＋1", "－1", "＠x"]
    rows = "".join(f"R{i},2025-09-30 10:00,\"{v.replace(chr(34), chr(34) * 2)}\",A公司,深圳,深圳花园,x\n"
                   for i, v in enumerate(hostile))
    exc = _refused(engine, (HEADER + rows).encode())
    assert [(e.row, e.value) for e in exc.errors] == [(i + 2, v) for i, v in enumerate(hostile)]
    report = list(csv.reader(io.StringIO(error_report_csv(exc.errors).decode("utf-8-sig"), newline="")))
    values = [row[2] for row in report[1:]]
    assert values == ["'" + v for v in hostile]
    cells = [cell for row in report for cell in row]
    assert not [c for c in cells if c.startswith(FORMULA_START)]
    assert _complaints(engine) == 0


def test_the_error_report_neutralises_its_headers_and_control_leading_cells(monkeypatch):
    import pandas as pd

    from lib.imports import core
    from lib.imports.core import RowError, safe_cell
    with monkeypatch.context() as patch:  # were a header ever to come from a file, it would be made inert too
        patch.setattr(core, "error_report", lambda errors: pd.DataFrame({"=cmd": ["x"], "＠y": ["z"]}))
        assert error_report_csv([]).decode("utf-8-sig").splitlines()[0] == "\"'=cmd\",\"'＠y\""
    errors = [RowError(2, "＝col", "\tcmd", "＝原因", "=reason"), RowError(3, "c", "\r=x", "ok", "ok")]
    report = list(csv.reader(io.StringIO(error_report_csv(errors).decode("utf-8-sig"), newline="")))
    assert report[1] == ["2", "'＝col", "'\tcmd", "'＝原因", "'=reason"]
    assert report[2][2] == "'\r=x" and len(report) == 3  # the carriage return stays inside its cell
    assert "\"a\r=b\"" in error_report_csv([RowError(2, "c", "a\r=b", "z", "e")]).decode("utf-8-sig")
    assert safe_cell("＝1") == "'＝1" and safe_cell("plain") == "plain" and safe_cell(3) == 3


# ---- 10: what PostgreSQL would refuse is a row error on both backends ---------------------------

def test_a_nul_character_is_a_row_error_with_the_same_message_on_both_backends(engine):
    data = (HEADER + GOOD + "T2,2025-09-30 11:00,hotline,A公司,深圳,深圳花园,漏\x00水\n").encode()
    exc = _refused(engine, data)
    assert exc.key == "imp_err_rows"
    assert _errors(exc) == [(3, "description", "漏\\x00水", "contains a NUL character")]
    assert exc.errors[0].reason_zh == "含有空字符（NUL）"
    assert _complaints(engine) == 0


def test_values_longer_than_their_column_are_row_errors_not_database_errors(engine):
    long_project, long_ref, long_text = "项" * 300, "R" * 65, "x" * 40_000
    data = (HEADER + f"T1,2025-09-30 10:00,hotline,A公司,深圳,{long_project},x\n"
            + f"{long_ref},2025-09-30 10:00,hotline,A公司,深圳,深圳花园,x\n"
            + f"T3,2025-09-30 10:00,hotline,A公司,深圳,深圳花园,{long_text}\n").encode()
    exc = _refused(engine, data)
    assert [(e.row, e.column, e.reason_en) for e in exc.errors] == [
        (2, "project", "longer than 200 characters"), (3, "ref", "longer than 64 characters"),
        (4, "description", "longer than 32767 characters")]
    assert all(len(e.value) <= 101 for e in exc.errors)  # the value is not echoed whole
    assert exc.errors[0].value == "项" * 100 + "…"
    assert _complaints(engine) == 0
    with session_scope(engine, readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(Project)) == 0


def test_the_same_row_errors_come_from_an_excel_file(engine):
    book = Workbook()
    book.active.append(["ref", "received_at", "channel", "company", "city", "project"])
    book.active.append(["T1", "2025-09-30 10:00", "hotline", "A公司", "深圳", "项" * 201])
    buf = io.BytesIO()
    book.save(buf)
    exc = _refused(engine, buf.getvalue(), "f.xlsx")
    assert [(e.row, e.column, e.reason_en) for e in exc.errors] == [(2, "project", "longer than 200 characters")]


# ---- 11: hostile files are refused early ------------------------------------------------------

def test_a_csv_with_50000_columns_is_refused_within_a_second(engine):
    data = (",".join(f"c{i}" for i in range(50_000)) + "\n" + ",".join("x" * 50_000) + "\n").encode()
    started = time.perf_counter()
    exc = _refused(engine, data)
    assert time.perf_counter() - started < 1.0
    assert (exc.key, exc.params) == ("imp_err_too_many_columns", {"n": 50_000, "limit": 200})
    assert "50000" in t(exc.key, "zh", **exc.params) and "50000" in t(exc.key, "en", **exc.params)


def _bomb(member_bytes: int) -> bytes:
    """A real workbook whose sheet XML is padded with a long run of blank rows that compress ~1000:1."""
    book = Workbook()
    book.active.append(["ref", "received_at", "channel", "company", "city", "project"])
    buf = io.BytesIO()
    book.save(buf)
    source = zipfile.ZipFile(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in source.infolist():
            if item.filename == "xl/worksheets/sheet1.xml":
                with bomb.open(item.filename, "w", force_zip64=True) as fh:
                    fh.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
                    block = b"<row></row>" * 100_000
                    for _ in range(member_bytes // len(block)):
                        fh.write(block)
                    fh.write(b"</sheetData></worksheet>")
            else:
                bomb.writestr(item, source.read(item.filename))
    return out.getvalue()


def test_a_zip_bomb_workbook_is_refused_before_it_is_opened(engine, monkeypatch):
    import openpyxl

    def never(*_args, **_kwargs):
        raise AssertionError("the workbook was opened")
    monkeypatch.setattr(openpyxl, "load_workbook", never)
    for unpacked in (250_000_000, 20_000_000):  # over the size limit; under it but 1000:1
        data = _bomb(unpacked)
        assert len(data) < 2_000_000
        started = time.perf_counter()
        exc = _refused(engine, data, "bomb.xlsx")
        assert time.perf_counter() - started < 1.0
        assert exc.key == "imp_err_xlsx_too_big", unpacked


def test_a_first_data_row_with_an_extra_field_is_a_clear_message(engine):
    exc = _refused(engine, (HEADER + "T1,2025-09-30 10:00,hotline,A公司,深圳,深圳花园,x,extra\n").encode())
    assert (exc.key, exc.params) == ("imp_err_fields", {"line": 2, "saw": 8, "expected": 7})
    assert t(exc.key, "en", **exc.params) == ("Line 2 has 8 fields but the header has 7 columns: look for a stray"
                                              " comma or quote.")
    later = _refused(engine, (HEADER + GOOD + "T2,2025-09-30 10:00,hotline,A公司,深圳,深圳花园,x,extra\n").encode())
    assert (later.key, later.params) == ("imp_err_fields", {"line": 3, "saw": 8, "expected": 7})


def test_row_and_cell_limits_are_settings(engine, import_limits):
    import_limits(max_rows=3, max_cell_chars=20)
    rows = "".join(f"T{i},2025-09-30 10:00,hotline,A公司,深圳,深圳花园,x\n" for i in range(4))
    exc = _refused(engine, (HEADER + rows).encode())
    assert (exc.key, exc.params) == ("imp_err_too_many_rows", {"limit": 3})
    exc = _refused(engine, (HEADER + f"T1,2025-09-30 10:00,hotline,A公司,深圳,深圳花园,{'x' * 21}\n").encode())
    assert _errors(exc) == [(2, "description", "x" * 21, "longer than 20 characters")]
    assert _import(engine, (HEADER + rows[: rows.index("T3")]).encode()).inserted == 3


def test_a_file_is_read_a_chunk_at_a_time(import_limits):
    """The raw cells of at most one chunk are held: the reader yields chunks of the configured size."""
    from lib.imports.reader import read_chunks
    import_limits(read_chunk_rows=1000)
    rows = "".join(f"T{i},2025-09-30 10:00,hotline,A公司,深圳,深圳花园,x\n" for i in range(2500))
    sizes = [len(frame) for frame in read_chunks((HEADER + rows).encode(), "f.csv")]
    assert sizes == [1000, 1000, 500]
    book = Workbook()
    book.active.append(HEADER.strip().split(","))
    for i in range(2500):
        book.active.append([f"T{i}", "2025-09-30 10:00", "hotline", "A公司", "深圳", "深圳花园", "x"])
    buf = io.BytesIO()
    book.save(buf)
    frames = list(read_chunks(buf.getvalue(), "f.xlsx"))
    assert [len(f) for f in frames] == [1000, 1000, 500] and frames[-1].index[-1] == 2501


# ---- the command line --------------------------------------------------------------------------

@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    config.get_settings.cache_clear()
    yield tmp_path
    config.get_settings.cache_clear()


def test_the_command_line_refuses_hostile_files_with_both_languages(cli_db, capsys):
    wide = cli_db / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(50_000)) + "\n" + ",".join("x" * 50_000) + "\n")
    assert cli.main(["import", "complaints", str(wide)]) == 1
    err = capsys.readouterr().err
    assert "文件有 50000 列" in err and "The file has 50000 columns" in err and "Traceback" not in err
    nul = cli_db / "nul.csv"
    nul.write_bytes((HEADER + "T2,2025-09-30 11:00,hotline,A公司,深圳,深圳花园,漏\x00水\n").encode())
    assert cli.main(["import", "complaints", str(nul)]) == 1
    err = capsys.readouterr().err
    assert "contains a NUL character" in err and "\x00" not in err
