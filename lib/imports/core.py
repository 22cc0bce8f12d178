"""Column specs, cell parsers and the row-level error report shared by every import kind."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from lib.exports import neutralise
from lib.vocab import VOCABULARIES, lookup, normalise_text


@dataclass(frozen=True)
class Column:
    name: str
    zh: str
    required: bool = False
    parse: Callable[[Any], Any] = lambda v: v
    length: int | None = None  # the database column's String(n): longer text is a row error, not a DataError


def sized(columns: list[Column], model: type, **others: Any) -> list[Column]:
    """The columns with the lengths of the model's String(n) columns of the same name (or of the
    model columns named in `others`, e.g. project=Project.name), so text that would not fit is
    found while validating, identically on SQLite (which would store it) and PostgreSQL (which
    would refuse the whole import with a message echoing the value)."""
    table = model.__table__.c
    out = []
    for column in columns:
        target = others.get(column.name, table.get(column.name))
        length = getattr(getattr(target, "type", None), "length", None)
        out.append(replace(column, length=length) if length else column)
    return out


SHOWN_CHARS = 100  # a value in the error report is cut here: a hostile cell is not echoed whole


@dataclass
class RowError:
    row: int       # 1-based line number in the file as a spreadsheet shows it (header = 1)
    column: str
    value: str
    reason_zh: str
    reason_en: str
    header: str = ""  # the column as the file's own header names it (受理时间), shown in the report

    def __post_init__(self) -> None:
        value = self.value.replace("\x00", "\\x00")
        self.value = value if len(value) <= SHOWN_CHARS else value[:SHOWN_CHARS] + "…"


class CellError(ValueError):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


@dataclass
class ImportResult:
    kind: str
    rows: int
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    created_projects: int = 0
    followups_opened: int = 0  # survey answers that opened a follow-up task (SPEC §14)
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)
    # The updates found (a dry run's preview): each changed field with how many records it changes,
    # and the first CHANGES_SHOWN changes as {"key", "field", "old", "new"}.
    changed_fields: dict[str, int] = field(default_factory=dict)
    changes: list[dict[str, str | None]] = field(default_factory=list)


CHANGES_SHOWN = 200


def map_headers(columns: list[str], specs: list[Column]) -> tuple[dict[str, str], list[RowError]]:
    """Raw header → canonical name, accepting English or Chinese names in any order."""
    by_name = {}
    for spec in specs:
        by_name[normalise_text(spec.name)] = spec.name
        by_name[normalise_text(spec.zh)] = spec.name
    mapping, errors = {}, []
    for raw in columns:
        canonical = by_name.get(normalise_text(raw))
        if canonical:
            mapping[raw] = canonical
    present = set(mapping.values())
    for spec in specs:
        if spec.required and spec.name not in present:
            errors.append(RowError(1, spec.name, "", f"缺少必填列“{spec.zh}”（{spec.name}）",
                                   f"required column '{spec.name}' ({spec.zh}) is missing"))
    return mapping, errors


def blank_to_none(value: Any) -> Any:
    """Empty cells arrive as None, NaN, NaT or whitespace depending on the reader: one meaning."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() or None


_DT_FORMATS = ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S",
               "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M")
EXCEL_EPOCH = datetime(1899, 12, 30)
_DATE_SHAPE = re.compile(r"\d{4}([-/])\d{1,2}\1\d{1,2}([ T]\d{1,2}:\d{1,2}(:\d{1,2}(\.\d{1,6})?)?)?")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?")


def parse_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().replace(tzinfo=None)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # an Excel serial date
            return EXCEL_EPOCH + timedelta(days=float(value))
    raw = str(value).strip()
    if _ISO.fullmatch(raw):  # the common case, without trying formats one by one
        try:
            return datetime.fromisoformat(raw)
        except ValueError:
            pass  # e.g. month 13: the formats below refuse it with the usual message
    if re.fullmatch(r"\d{4,5}(\.\d+)?", raw):
        return EXCEL_EPOCH + timedelta(days=float(raw))
    for fmt in _DT_FORMATS:
        try:
            return datetime.strptime(raw, fmt)
        except ValueError:
            continue
    if _DATE_SHAPE.fullmatch(raw):  # the right shape, an impossible calendar day or time (2020/02/30)
        raise CellError("不是真实存在的日期或时间", "not a real date or time")
    raise CellError("日期时间格式无法识别（应为 YYYY-MM-DD[ HH:MM[:SS]] 或 YYYY/MM/DD）",
                    "unrecognised date/time (use YYYY-MM-DD[ HH:MM[:SS]] or YYYY/MM/DD)")


def parse_date(value: Any) -> date | None:
    parsed = parse_datetime(value)
    return None if parsed is None else parsed.date()


_TRUE = {"true", "yes", "y", "1", "是", "t", "对"}
_FALSE = {"false", "no", "n", "0", "否", "f"}


def parse_bool(value: Any) -> bool | None:
    raw = text(value)
    if raw is None:
        return None
    key = normalise_text(raw)
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise CellError("应为 是/否、true/false、yes/no 或 1/0", "expected true/false, yes/no, 1/0 or 是/否")


def parse_int(low: int | None = None, high: int | None = None) -> Callable[[Any], int | None]:
    def parse(value: Any) -> int | None:
        raw = text(value)
        if raw is None:
            return None
        try:
            number = float(raw)
        except ValueError:
            raise CellError("应为整数", "expected a whole number") from None
        if not number.is_integer():
            raise CellError("应为整数", "expected a whole number")
        if (low is not None and number < low) or (high is not None and number > high):
            raise CellError(f"超出范围 {low}–{high}", f"out of range {low}–{high}")
        return int(number)
    return parse


def parse_vocab(vocabulary: str) -> Callable[[Any], str | None]:
    def parse(value: Any) -> str | None:
        raw = text(value)
        if raw is None:
            return None
        code = lookup(vocabulary, raw)
        if code is None:
            terms = VOCABULARIES[vocabulary].values()
            raise CellError("不是可识别的取值，可选：" + "、".join(t.zh for t in terms),
                            f"not a known {vocabulary.replace('_', ' ')}; allowed: " + ", ".join(t.en for t in terms))
        return code
    return parse


def as_headed(errors: list[RowError], headers: dict[str, str]) -> list[RowError]:
    """The errors with each column's header as the file names it (受理时间, not received_at); `column`
    keeps the canonical name."""
    for error in errors:
        error.header = error.header or headers.get(error.column, "")
    return errors


def required_error(line: int, spec: Column) -> RowError:
    return RowError(line, spec.name, "", f"必填项“{spec.zh}”为空", f"required value '{spec.name}' is empty")


@dataclass(frozen=True)
class Batch:
    """An import's parsed cells column by column, with each row's line in the file (header = 1).

    Large files are checked and written a column at a time; the importers of small files read
    rows (`rows()`), as dictionaries holding the columns the file has.
    """
    lines: list[int]
    columns: dict[str, list[Any]]
    headers: dict[str, str] = field(default_factory=dict)  # canonical name → the file's own header

    def __len__(self) -> int:
        return len(self.lines)

    def __getitem__(self, name: str) -> list[Any]:
        """One column's values; a column the file left out reads as blank."""
        values = self.columns.get(name)
        return [None] * len(self.lines) if values is None else values

    def rows(self) -> list[tuple[int, dict[str, Any]]]:
        names = list(self.columns)
        return [(line, dict(zip(names, values, strict=True)))
                for line, values in zip(self.lines, zip(*self.columns.values(), strict=True), strict=True)]

    def part(self, start: int, stop: int) -> Batch:
        return Batch(self.lines[start:stop], {k: v[start:stop] for k, v in self.columns.items()})

    def extend(self, other: Batch) -> None:
        """Append another chunk of the same file (columns the chunks share: one header)."""
        self.lines.extend(other.lines)
        self.headers.update({k: v for k, v in other.headers.items() if k not in self.headers})
        for name, values in other.columns.items():
            self.columns.setdefault(name, []).extend(values)

    def order_of(self, name: str) -> np.ndarray:
        """Row positions sorted by one column (blanks last, ties in file order)."""
        return pd.Series(self[name]).sort_values(kind="stable", na_position="last").index.to_numpy()

    def take(self, positions: np.ndarray) -> Batch:
        """The rows at these positions, as a new batch (one chunk of an ordered write)."""
        return Batch([self.lines[i] for i in positions],
                     {k: [v[i] for i in positions] for k, v in self.columns.items()})

    def ordered_by(self, name: str) -> Batch:
        """The rows sorted by one column (blanks last, ties in file order), each keeping its line."""
        order = pd.Series(self[name]).sort_values(kind="stable", na_position="last").index.to_numpy()
        return Batch(np.asarray(self.lines)[order].tolist(),
                     {k: np.asarray(v, dtype=object)[order].tolist() for k, v in self.columns.items()})


def validate(frame: pd.DataFrame, columns: list[Column], key: tuple[str, ...] = (), *,
             max_chars: int = 32_767, nul: bool = True) -> tuple[Batch, list[RowError]]:
    """Parse every cell and collect every problem, so the user gets them all at once.

    `frame` is indexed by each row's line in the file (see `reader.read_chunks`). Errors come in
    line order. `key` names the columns that must be unique within the file (the natural key, when
    it is not the whole row). Works column by column, parsing each distinct value once. Text with
    a NUL character (`nul`: the file may hold one) or longer than its column (`Column.length`, else
    `max_chars`) is a row error before it is parsed: PostgreSQL would refuse it when writing.
    """
    specs = {c.name: c for c in columns}
    mapping, errors = map_headers(list(frame.columns), columns)
    lines = [int(i) for i in frame.index]
    taken: dict[str, str] = {}
    for raw in frame.columns:  # two headers for one field ("ref" twice, or "ref" and "投诉编号")
        if raw in mapping and mapping[raw] in taken:
            errors.append(RowError(1, mapping[raw], str(raw), f"列重复：与“{taken[mapping[raw]]}”是同一列",
                                   f"duplicate column: the same field as '{taken[mapping[raw]]}'"))
        elif raw in mapping:
            taken[mapping[raw]] = str(raw)
    if errors:
        return Batch(lines, {}), errors
    frame = frame.rename(columns=mapping)[list(dict.fromkeys(mapping.values()))]
    parsed: dict[str, list[Any]] = {}
    for name in frame.columns:
        spec = specs[name]
        cells = frame[name]
        refused = unstorable(cells, spec.length or max_chars, nul)
        failed = set(refused)
        if refused:
            cells = cells.copy()
            cells.iloc[list(refused)] = None
            errors += [RowError(lines[offset], name, str(frame[name].iloc[offset]), *reason)
                       for offset, reason in refused.items()]
        values, failures = parse_column(spec.parse, cells.tolist())
        for offset, raw, exc in failures:
            errors.append(RowError(lines[offset], name, str(raw), exc.zh, exc.en))
            failed.add(offset)
        if spec.required:
            errors += [required_error(lines[offset], spec) for offset, value in enumerate(values)
                       if value is None and offset not in failed]
        parsed[name] = values
    batch = Batch(lines, parsed, {name: str(raw) for raw, name in mapping.items()})
    if key:
        errors += duplicate_errors(batch, key)
    errors.sort(key=lambda e: e.row)  # stable: within a line, columns in file order, duplicates last
    return batch, errors


def unstorable(cells: pd.Series, limit: int, nul: bool) -> dict[int, tuple[str, str]]:
    """Offsets of text cells that no database column could store as they are, with the reason."""
    if not len(cells):
        return {}
    try:
        texts = cells.str  # non-text cells (Excel numbers and dates) read as NaN below
    except AttributeError:  # no text at all: an Excel column of dates or numbers
        return {}
    refused = {}
    lengths = texts.len()
    if lengths.max() > limit:
        for offset in np.flatnonzero((lengths > limit).to_numpy()):
            refused[int(offset)] = (f"超过 {limit} 个字符", f"longer than {limit} characters")
    if nul:
        for offset in np.flatnonzero(texts.contains("\x00", regex=False, na=False).to_numpy(dtype=bool)):
            refused[int(offset)] = ("含有空字符（NUL）", "contains a NUL character")
    return dict(sorted(refused.items()))


def parse_column(parse: Callable[[Any], Any], cells: list[Any]
                 ) -> tuple[list[Any], list[tuple[int, Any, CellError]]]:
    """One column's cells parsed, each distinct value once; failures as (offset, raw value, error)."""
    if pd.api.types.infer_dtype(cells, skipna=True) == "string":  # text and blanks: a CSV column
        return _parse_texts(parse, cells)
    parsed: list[Any] = [None] * len(cells)
    failures = []
    seen: dict[Any, Any] = {}  # text → result; other values keyed with their type (True == 1, read differently)
    for offset, raw in enumerate(cells):
        if raw is None:
            continue
        if raw.__class__ is str:
            memo = raw
        else:
            raw = blank_to_none(raw)
            if raw is None:
                continue
            memo = (raw.__class__, raw)
        value = seen.get(memo, _UNSEEN)
        if value is _UNSEEN:
            value = _attempt(parse, raw)
            seen[memo] = value
        if isinstance(value, CellError):
            failures.append((offset, raw, value))
        else:
            parsed[offset] = value
    return parsed, failures


def _parse_texts(parse: Callable[[Any], Any], cells: list[Any]
                 ) -> tuple[list[Any], list[tuple[int, Any, CellError]]]:
    """`parse_column` for text cells: distinct values found by pandas' hash table (in C), the
    results spread back by position with NumPy."""
    if parse is text:  # free text (references, names, descriptions): nothing to look up twice
        return [(v.strip() or None) if v.__class__ is str else None for v in cells], []
    codes, distinct = pd.factorize(np.asarray(cells, dtype=object))  # blank: code -1
    results = np.empty(len(distinct) + 1, dtype=object)  # the last slot answers code -1: blank
    bad = np.zeros(len(distinct) + 1, dtype=bool)
    for i, raw in enumerate(distinct):
        results[i] = _attempt(parse, raw)
        bad[i] = isinstance(results[i], CellError)
    failures = [(int(offset), cells[offset], results[codes[offset]]) for offset in np.flatnonzero(bad[codes])]
    results[bad] = None
    return results[codes].tolist(), failures


def _attempt(parse: Callable[[Any], Any], raw: Any) -> Any:
    try:
        return parse(raw)
    except CellError as exc:
        return exc


_UNSEEN = object()


def duplicate_errors(batch: Batch, key: tuple[str, ...]) -> list[RowError]:
    seen: dict[tuple, int] = {}
    errors = []
    for line, natural in zip(batch.lines, zip(*(batch[k] for k in key), strict=True), strict=True):
        if None in natural:
            continue
        if natural in seen:
            shown = " / ".join(str(v) for v in natural)
            errors.append(RowError(line, key[0], shown, f"与第 {seen[natural]} 行重复",
                                   f"duplicate of line {seen[natural]}"))
        else:
            seen[natural] = line
    return errors


def each_row(check: Callable[[int, dict[str, Any]], list[RowError]]) -> Callable[[Batch], list[RowError]]:
    """A rule written for one row, applied to every row of a batch."""
    return lambda batch: [error for line, row in batch.rows() for error in check(line, row)]


def not_before_all(batch: Batch, start: str, *names: str) -> list[RowError]:
    """`not_before` for every row, a column at a time; within a line, errors in `names` order."""
    errors = []
    for name in names:
        errors += [RowError(line, name, str(value), f"早于“{start}”", f"earlier than {start}")
                   for line, begun, value in zip(batch.lines, batch[start], batch[name], strict=True)
                   if begun and value and value < begun]
    errors.sort(key=lambda e: e.row)
    return errors


def not_before(line: int, row: dict[str, Any], start: str, *names: str) -> list[RowError]:
    """Dates that cannot precede `start` (resolved before raised, left before joined …)."""
    errors = []
    for name in names:
        if row.get(start) and row.get(name) and row[name] < row[start]:
            errors.append(RowError(line, name, str(row[name]), f"早于“{start}”", f"earlier than {start}"))
    return errors


def parse_choice(allowed: tuple[int, ...]) -> Callable[[Any], int | None]:
    whole = parse_int()

    def parse(value: Any) -> int | None:
        number = whole(value)
        if number is not None and number not in allowed:
            shown = "/".join(str(a) for a in allowed)
            raise CellError(f"应为 {shown} 之一", f"expected one of {shown}")
        return number
    return parse


def parse_number(value: Any) -> float | None:
    raw = text(value)
    if raw is None:
        return None
    try:
        number = float(raw)
    except ValueError:
        raise CellError("应为数字", "expected a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise CellError("应为数字", "expected a number")
    return number


def error_report(errors: list[RowError]) -> pd.DataFrame:
    return pd.DataFrame([{**e.__dict__, "column": e.header or e.column} for e in errors],
                        columns=["row", "column", "value", "reason_zh", "reason_en"]).rename(columns={
        "row": "行号 row", "column": "列 column", "value": "值 value",
        "reason_zh": "原因", "reason_en": "reason"})


_FULL_WIDTH_START = ("＝", "＋", "－", "＠")  # Excel and WPS read these as = + - @ too


def safe_cell(value: object) -> object:
    """A cell a spreadsheet would run as a formula, made inert: lib.exports.neutralise, and the
    full-width signs, which Chinese spreadsheets also take as a formula's start."""
    if isinstance(value, str) and value.startswith(_FULL_WIDTH_START):
        return "'" + value
    return neutralise(value)


def error_report_csv(errors: list[RowError]) -> bytes:
    """The report as a file to open in Excel: every value and header made inert (the values come
    from the rejected file, whoever wrote it)."""
    report = error_report(errors)
    report = report.map(safe_cell)
    report.columns = [safe_cell(c) for c in report.columns]
    buf = io.StringIO()
    # Every cell quoted: a bare carriage return inside a value would otherwise start a new row in
    # Excel, whose first cell is not neutralised.
    report.to_csv(buf, index=False, quoting=csv.QUOTE_ALL)
    return buf.getvalue().encode("utf-8-sig")  # BOM: Chinese Excel opens it correctly
