"""Cell parsing of a whole column (imports): the same values and failures as parsing cell by cell."""
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from lib.imports.core import CellError, parse_bool, parse_column, parse_datetime, parse_int, parse_vocab, text

TEXTS = ["2025-09-30 10:00", "2025/09/30", "2025-13-01", "45930.5", "yes", "否", "3", "3.0", "-1", "x",
         "热线", "hotline", "telegram", " 深圳 ", "", None, float("nan")]
EXCEL = [*TEXTS, 45930.5, 3, 1, True, datetime(2025, 9, 30, 10)]  # a workbook's column mixes types


def _one_by_one(parse, cells):
    parsed, failures = [], []
    for offset, cell in enumerate(cells):
        blank = cell is None or (isinstance(cell, float) and cell != cell)
        try:
            parsed.append(None if blank else parse(cell))
        except CellError as exc:
            parsed.append(None)
            failures.append((offset, cell, exc.en))
    return parsed, failures


@settings(max_examples=300, deadline=None, derandomize=True, database=None)  # no 200 ms deadline under load
@given(st.lists(st.sampled_from(TEXTS) | st.sampled_from(EXCEL), max_size=40),
       st.sampled_from([parse_datetime, parse_bool, parse_int(0, 5), parse_vocab("channel"), text]))
def test_a_column_parses_as_its_cells_would(cells, parse):
    parsed, failures = parse_column(parse, cells)
    assert (parsed, [(o, raw, exc.en) for o, raw, exc in failures]) == _one_by_one(parse, cells)


def test_text_cells_by_hand():
    parsed, failures = parse_column(parse_datetime, ["2025-09-30 10:00", None, "2025-13-01", "2025-09-30 10:00"])
    assert parsed == [datetime(2025, 9, 30, 10), None, None, datetime(2025, 9, 30, 10)]
    assert [(offset, raw) for offset, raw, _ in failures] == [(2, "2025-13-01")]
    assert parse_column(text, [" a ", "", None])[0] == ["a", None, None]


def test_ordered_by_sorts_whole_rows_with_their_lines_blanks_last_ties_in_file_order():
    from lib.imports.core import Batch

    march, january = datetime(2025, 3, 1), datetime(2025, 1, 1)
    batch = Batch([2, 3, 4, 5, 6], {"at": [march, None, january, march, january], "ref": ["a", "b", "c", "d", "e"]})
    ordered = batch.ordered_by("at")
    assert ordered.lines == [4, 6, 2, 5, 3]
    assert ordered.columns == {"at": [january, january, march, march, None], "ref": ["c", "e", "a", "d", "b"]}
    assert batch.lines == [2, 3, 4, 5, 6]  # the batch itself is left as it was
    assert Batch([], {"at": []}).ordered_by("at").lines == []
