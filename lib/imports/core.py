"""Column specs, cell parsers and the row-level error report shared by every import kind."""
from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from lib.vocab import lookup, normalise_text


@dataclass(frozen=True)
class Column:
    name: str
    zh: str
    required: bool = False
    parse: Callable[[Any], Any] = lambda v: v


@dataclass
class RowError:
    row: int       # 1-based line number in the file as a spreadsheet shows it (header = 1)
    column: str
    value: str
    reason_zh: str
    reason_en: str


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
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)


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
            raise CellError("不是可识别的取值", f"not a known {vocabulary.replace('_', ' ')}")
        return code
    return parse


def required_error(line: int, spec: Column) -> RowError:
    return RowError(line, spec.name, "", f"必填项“{spec.zh}”为空", f"required value '{spec.name}' is empty")


def validate_rows(frame: pd.DataFrame, columns: list[Column], key: tuple[str, ...] = ()
                  ) -> tuple[list[tuple[int, dict[str, Any]]], list[RowError]]:
    """Parse every cell of every row and collect every problem, so the user gets them all at once.

    Returns (line, parsed row) pairs — line as a spreadsheet shows it, header = 1 — and the errors,
    in line order. `key` names the columns that must be unique within the file (the natural key,
    when it is not the whole row). Works column by column, parsing each distinct value once.
    """
    specs = {c.name: c for c in columns}
    mapping, errors = map_headers(list(frame.columns), columns)
    if errors:
        return [], errors
    frame = frame.rename(columns=mapping)[list(dict.fromkeys(mapping.values()))]
    names = list(frame.columns)
    parsed_columns = []
    for name in names:
        spec = specs[name]
        values, failures = parse_column(spec.parse, frame[name].tolist())
        failed = set()
        for offset, raw, exc in failures:
            errors.append(RowError(offset + 2, name, str(raw), exc.zh, exc.en))
            failed.add(offset)
        if spec.required:
            errors += [required_error(offset + 2, spec) for offset, value in enumerate(values)
                       if value is None and offset not in failed]
        parsed_columns.append(values)
    rows = [(offset + 2, dict(zip(names, parsed, strict=True)))
            for offset, parsed in enumerate(zip(*parsed_columns, strict=True))]
    if key:
        errors += duplicate_errors(rows, key)
    errors.sort(key=lambda e: e.row)  # stable: within a line, columns in file order, duplicates last
    return rows, errors


def parse_column(parse: Callable[[Any], Any], cells: list[Any]
                 ) -> tuple[list[Any], list[tuple[int, Any, CellError]]]:
    """One column's cells parsed, each distinct value once; failures as (offset, raw value, error)."""
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
            try:
                value = parse(raw)
            except CellError as exc:
                value = exc
            seen[memo] = value
        if isinstance(value, CellError):
            failures.append((offset, raw, value))
        else:
            parsed[offset] = value
    return parsed, failures


_UNSEEN = object()


def duplicate_errors(rows: list[tuple[int, dict[str, Any]]], key: tuple[str, ...]) -> list[RowError]:
    seen: dict[tuple, int] = {}
    errors = []
    for line, parsed in rows:
        natural = tuple(parsed[k] for k in key)
        if None in natural:
            continue
        if natural in seen:
            shown = " / ".join(str(v) for v in natural)
            errors.append(RowError(line, key[0], shown, f"与第 {seen[natural]} 行重复",
                                   f"duplicate of line {seen[natural]}"))
        else:
            seen[natural] = line
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
    return pd.DataFrame([e.__dict__ for e in errors],
                        columns=["row", "column", "value", "reason_zh", "reason_en"]).rename(columns={
        "row": "行号 row", "column": "列 column", "value": "值 value",
        "reason_zh": "原因", "reason_en": "reason"})


def error_report_csv(errors: list[RowError]) -> bytes:
    buf = io.StringIO()
    error_report(errors).to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8-sig")  # BOM: Chinese Excel opens it correctly
