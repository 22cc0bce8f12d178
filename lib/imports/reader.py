"""Read CSV (UTF-8, UTF-8-BOM, GB18030/GBK) or .xlsx a chunk of rows at a time, refusing hostile files early."""
from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from itertools import chain, islice
from pathlib import Path
from typing import Any

import pandas as pd

from lib.errors import DomainError
from lib.imports.limits import Limits, get_limits

XLSX_MAGIC = b"PK\x03\x04"
_MB = 1024 * 1024


class ImportRejected(DomainError):
    """The file as a whole cannot be read; `errors` holds row-level problems when there are any."""

    def __init__(self, key: str, errors: list | None = None, **params: object) -> None:
        super().__init__(key, **params)
        self.errors = errors or []


def csv_encoding(data: bytes) -> str:
    """The file's encoding, checked a megabyte at a time (the decoded text is never held whole)."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for start in range(0, len(data), _MB):
                decoder.decode(data[start:start + _MB])
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise ImportRejected("imp_err_encoding")


def decode_csv(data: bytes) -> str:
    return data.decode(csv_encoding(data))


def read_table(data: bytes, filename: str = "", limits: Limits | None = None) -> pd.DataFrame:
    """The whole file as one frame (small files, tests); `read_chunks` is what imports use."""
    frames = list(read_chunks(data, filename, limits))
    return pd.concat(frames) if len(frames) > 1 else frames[0]


def read_chunks(data: bytes, filename: str = "", limits: Limits | None = None) -> Iterator[pd.DataFrame]:
    """Raw cells (str, or datetime/number from Excel), header names stripped; empty cells None.

    Each frame is indexed by its rows' lines as the spreadsheet shows them (header = 1, below any
    title rows), so an error report still points at the right line after blank rows are dropped.
    A file wider, longer or bigger than `limits` is refused as soon as that is known.
    """
    limits = limits or get_limits()
    if not data or not data.strip():
        raise ImportRejected("imp_err_empty")
    if data[:4] == XLSX_MAGIC or Path(filename).suffix.lower() in (".xlsx", ".xlsm"):
        chunks = _xlsx_chunks(data, limits)
    else:
        chunks = _csv_chunks(data, limits)
    rows = kept = 0
    try:
        for names, frame in chunks:
            rows += len(frame)
            if rows > limits.max_rows:
                raise ImportRejected("imp_err_too_many_rows", limit=limits.max_rows)
            frame = pd.concat([_cells(frame.iloc[:, i]) for i in range(len(names))], axis=1, ignore_index=True)
            frame.columns = names
            frame = frame.dropna(how="all")
            kept += len(frame)
            if len(frame):
                yield frame
    except ImportRejected:
        raise
    except (TypeError, ValueError) as exc:  # pandas on bytes it cannot parse (b"\r\x00" in CI): a message
        raise ImportRejected("imp_err_unreadable", detail=f"{type(exc).__name__}: {str(exc)[:100]}") from None
    if not kept:
        raise ImportRejected("imp_err_no_rows")


def _check_width(names: list[str], limits: Limits) -> list[str]:
    if len(names) > limits.max_columns:
        raise ImportRejected("imp_err_too_many_columns", n=len(names), limit=limits.max_columns)
    return [str(c).strip() for c in names]


# ---- CSV -------------------------------------------------------------------------------------

_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _csv_chunks(data: bytes, limits: Limits) -> Iterator[tuple[list[str], pd.DataFrame]]:
    encoding = csv_encoding(data)
    header, first = _csv_head(data, encoding)
    names = _check_width(header, limits)
    if first is not None and len(first) > len(header):
        # pandas would silently take the first column as the index and fail later
        raise ImportRejected("imp_err_fields", line=2, saw=len(first), expected=len(header))
    try:
        reader = pd.read_csv(io.BytesIO(data), encoding=encoding, dtype=str, keep_default_na=False,
                             skipinitialspace=True, skip_blank_lines=False, header=0,
                             names=list(range(len(header))), index_col=False, chunksize=limits.read_chunk_rows)
        start = 2
        for frame in reader:
            frame.index = range(start, start + len(frame))
            start += len(frame)
            yield names, frame
    except pd.errors.ParserError as exc:
        match = _FIELDS.search(str(exc))
        if match:
            expected, line, saw = (int(g) for g in match.groups())
            raise ImportRejected("imp_err_fields", line=line, saw=saw, expected=expected) from None
        raise ImportRejected("imp_err_unreadable", detail=str(exc).splitlines()[0][:200]) from None
    except pd.errors.EmptyDataError:
        raise ImportRejected("imp_err_no_rows") from None


def _csv_head(data: bytes, encoding: str) -> tuple[list[str], list[str] | None]:
    """The header record and the first data record, read with the csv module (quotes, line breaks
    in cells) from the start of the file only."""
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    csv.field_size_limit(64 * _MB)
    try:
        records = list(islice(csv.reader(text, skipinitialspace=True), 2))
    except csv.Error as exc:
        raise ImportRejected("imp_err_unreadable", detail=str(exc)[:200]) from None
    if not records or not records[0]:
        raise ImportRejected("imp_err_no_rows")
    return records[0], records[1] if len(records) > 1 else None


# ---- xlsx ------------------------------------------------------------------------------------

def _xlsx_chunks(data: bytes, limits: Limits) -> Iterator[tuple[list[str], pd.DataFrame]]:
    _check_zip(data, limits)
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # a corrupt workbook: say so instead of a traceback
        raise ImportRejected("imp_err_unreadable", detail=type(exc).__name__) from exc
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        head = [_trim(_narrow(values, limits)) for values in islice(rows, 4)]
        names, line = _xlsx_header(head, limits)
        rows = chain(head[line:], rows)  # the rows read past the header go back in front
        while True:
            block = [_padded(_narrow(values, limits), len(names)) for values in islice(rows, limits.read_chunk_rows)]
            if not block:
                return
            yield names, pd.DataFrame(block, index=range(line + 1, line + 1 + len(block)),
                                      columns=range(len(names)), dtype=object)
            line += len(block)
    except ImportRejected:
        raise
    except Exception as exc:  # malformed sheet XML found while streaming
        raise ImportRejected("imp_err_unreadable", detail=type(exc).__name__) from exc
    finally:
        book.close()


def _check_zip(data: bytes, limits: Limits) -> None:
    """Refuse a zip bomb from the zip's directory, before any member is decompressed."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ImportRejected("imp_err_unreadable", detail=type(exc).__name__) from exc
    total = sum(m.file_size for m in members)
    bomb = any(m.file_size > _MB and m.file_size > limits.max_xlsx_ratio * max(m.compress_size, 1) for m in members)
    if total > limits.max_xlsx_unpacked_mb * _MB or bomb:
        raise ImportRejected("imp_err_xlsx_too_big", mb=round(total / _MB), limit=limits.max_xlsx_unpacked_mb)


def _xlsx_header(head: list[tuple], limits: Limits) -> tuple[list[str], int]:
    """The header's names and line. A merged title row above the header (common in vendor
    workbooks) fills less than half of the header's width; up to three are skipped."""
    if not head:
        raise ImportRejected("imp_err_no_rows")
    width = max(len(v) for v in head)
    for titles, values in enumerate(head):
        if titles == len(head) - 1 or sum(v is None for v in values) + width - len(values) < width / 2:
            break
    names = [str(v).strip() if v is not None else f"Unnamed: {i}" for i, v in enumerate(values)]
    names += [f"Unnamed: {i}" for i in range(len(names), width)]
    return _check_width(names, limits), titles + 1


def _narrow(values: tuple, limits: Limits) -> tuple:
    if len(values) > limits.max_columns and len(values := _trim(values)) > limits.max_columns:
        raise ImportRejected("imp_err_too_many_columns", n=len(values), limit=limits.max_columns)
    return values


def _padded(values: tuple, width: int) -> list[Any]:
    cells = [_excel_value(v) for v in values[:width]]
    return cells + [None] * (width - len(cells))


def _trim(values: tuple) -> tuple:
    end = len(values)
    while end and (values[end - 1] is None or (isinstance(values[end - 1], str) and not values[end - 1].strip())):
        end -= 1
    return values[:end]


def _excel_value(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():  # as pandas reads Excel: 3.0 is 3
        return int(value)
    return value


# ---- cells -----------------------------------------------------------------------------------

def _cells(column: pd.Series) -> pd.Series:
    """Text stripped, blank text as None; Excel's numbers and dates left as they are."""
    if pd.api.types.infer_dtype(column, skipna=True) == "string":  # CSV: strip in one pass
        stripped = column.str.strip()
        return stripped.astype(object).where(stripped.notna() & (stripped != ""), None)
    return column.astype(object).map(lambda v: (v.strip() or None) if isinstance(v, str) else v)
