"""lib.imports.core / reader behaviours the mutation run (scripts/mutate.py) found unpinned.

Pure functions on hand-made cells and files: every expected value is read off the input by hand.
"""
import io
from datetime import datetime

import pytest

from lib.imports.core import (
    Batch,
    CellError,
    Column,
    duplicate_errors,
    map_headers,
    parse_bool,
    parse_datetime,
    parse_int,
    text,
    validate,
)
from lib.imports.limits import Limits
from lib.imports.reader import ImportRejected, csv_encoding, read_table


def test_integer_range_holds_both_ends_and_refuses_one_past_each():
    score = parse_int(1, 5)
    assert (score("1"), score("5")) == (1, 5)
    for outside in ("0", "6"):
        with pytest.raises(CellError):
            score(outside)
    recommend = parse_int(0, 10)
    assert (recommend("0"), recommend("10")) == (0, 10)
    with pytest.raises(CellError):
        recommend("11")


@pytest.mark.parametrize("cell, expected", [("是", True), ("否", False), ("对", True), ("YES", True), ("0", False)])
def test_booleans_in_chinese_and_english(cell, expected):
    assert parse_bool(cell) is expected


def test_excel_serial_dates_count_from_30_december_1899():
    # Excel's serial 45930 is 2025-09-30 (45658 is 2025-01-01; + 272 days of Jan–Sep = 45930);
    # .5 is noon. The same from a number cell and from its text in a CSV.
    assert parse_datetime(45930) == datetime(2025, 9, 30)
    assert parse_datetime(45930.5) == datetime(2025, 9, 30, 12)
    assert parse_datetime("45658") == datetime(2025, 1, 1)


COLUMNS = [Column("ref", "投诉编号", True, text), Column("received_at", "受理时间", True, parse_datetime),
           Column("note", "备注", False, text, length=5)]


def test_chinese_headers_map_to_the_fields_and_satisfy_required_columns():
    mapping, errors = map_headers(["投诉编号", " 受理时间 "], COLUMNS)
    assert mapping == {"投诉编号": "ref", " 受理时间 ": "received_at"}
    assert errors == []
    _, missing = map_headers(["投诉编号"], COLUMNS)
    assert [(e.row, e.column) for e in missing] == [(1, "received_at")]


def _frame(rows, columns=("ref", "received_at", "note"), first_line=2):
    import pandas as pd
    return pd.DataFrame(rows, columns=list(columns), index=range(first_line, first_line + len(rows)), dtype=object)


def test_a_blank_required_cell_is_reported_on_any_row_including_the_first():
    batch, errors = validate(_frame([[None, "2025-01-02", None], ["B", None, None]]), COLUMNS)
    # line 2 (first data row) lacks ref, line 3 lacks received_at
    assert [(e.row, e.column) for e in errors] == [(2, "ref"), (3, "received_at")]
    assert batch["ref"] == [None, "B"]


def test_text_exactly_at_the_column_length_is_kept_and_one_character_more_refused():
    _, errors = validate(_frame([["A", "2025-01-02", "12345"], ["B", "2025-01-02", "123456"]]), COLUMNS)
    assert [(e.row, e.column, e.reason_en) for e in errors] == [(3, "note", "longer than 5 characters")]


def test_duplicates_are_judged_on_the_whole_natural_key():
    # (respondent, touchpoint, day): the same respondent on another day is no duplicate; line 4 repeats line 2
    batch = Batch([2, 3, 4], {"k": ["r1", "r1", "r1"], "t": ["move_in", "move_in", "move_in"],
                              "d": ["2025-01-01", "2025-01-02", "2025-01-01"]})
    errors = duplicate_errors(batch, ("k", "t", "d"))
    assert [(e.row, e.reason_en) for e in errors] == [(4, "duplicate of line 2")]


def test_csv_rows_are_numbered_as_the_spreadsheet_shows_them():
    # header is line 1: the first data row is line 2, the blank line 3 is dropped, line 4 keeps its number
    frame = read_table(b"ref,note\nA,x\n,\nC,z\n", "f.csv")
    assert list(frame.index) == [2, 4]
    assert frame["ref"].tolist() == ["A", "C"]


def test_xlsx_rows_are_numbered_below_the_header_and_a_title_row():
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["投诉台账 2025"])  # a title row, one cell of three: skipped
    sheet.append(["ref", "note", "x"])  # the header, line 2
    sheet.append(["A", "x", None])  # line 3
    sheet.append(["B", "y", None, None, " "])  # line 4, trailing blanks trimmed
    buf = io.BytesIO()
    book.save(buf)
    frame = read_table(buf.getvalue(), "f.xlsx")
    assert list(frame.columns) == ["ref", "note", "x"]
    assert list(frame.index) == [3, 4]
    assert frame["ref"].tolist() == ["A", "B"]


def test_a_file_exactly_at_the_row_and_column_limits_is_read_and_one_more_is_refused():
    limits = Limits(max_rows=2, max_columns=3)
    ok = read_table(b"a,b,c\n1,2,3\n4,5,6\n", "f.csv", limits)
    assert len(ok) == 2 and list(ok.columns) == ["a", "b", "c"]
    with pytest.raises(ImportRejected) as rows:
        read_table(b"a,b,c\n1,2,3\n4,5,6\n7,8,9\n", "f.csv", limits)
    assert rows.value.key == "imp_err_too_many_rows"
    with pytest.raises(ImportRejected) as wide:
        read_table(b"a,b,c,d\n1,2,3,4\n", "f.csv", limits)
    assert wide.value.key == "imp_err_too_many_columns"


def test_gb18030_fallback_keeps_characters_outside_gbk():
    # 𠮷 (U+20BB7) exists in GB18030 only: a GBK fallback cannot decode the file
    data = "ref,note\nA,𠮷野家\n".encode("gb18030")
    assert csv_encoding(data) == "gb18030"
    assert read_table(data, "f.csv")["note"].tolist() == ["𠮷野家"]
    # UTF-8 is tried first: the same text in UTF-8 is not misread as GB18030
    assert read_table("ref,note\nA,深圳\n".encode(), "f.csv")["note"].tolist() == ["深圳"]


@pytest.mark.parametrize("cell", ["13800138000", "+8613800138000", "8613800138000", "138-0013-8000", "(138) 0013 8000"])
def test_a_respondent_key_that_is_a_mobile_number_is_refused_with_or_without_86(cell):
    from lib.imports.surveys import respondent_key
    with pytest.raises(CellError):
        respondent_key(cell)


def test_a_hashed_respondent_key_is_kept_as_delivered():
    from lib.imports.surveys import respondent_key
    assert respondent_key(" 9f86d081884c7d65 ") == "9f86d081884c7d65"
    assert respondent_key("12800138000") == "12800138000"  # 12… is no mainland mobile prefix (13–19)
