"""Read CSV (UTF-8, UTF-8-BOM, GB18030/GBK) or .xlsx into a DataFrame of raw cell values."""
from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from lib.errors import DomainError

XLSX_MAGIC = b"PK\x03\x04"


class ImportRejected(DomainError):
    """The file as a whole cannot be read; `errors` holds row-level problems when there are any."""

    def __init__(self, key: str, errors: list | None = None, **params: object) -> None:
        super().__init__(key, **params)
        self.errors = errors or []


def decode_csv(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRejected("imp_err_encoding")


def read_table(data: bytes, filename: str = "") -> pd.DataFrame:
    """Raw cells (str, or datetime/number from Excel), header names stripped; empty cells None.

    Indexed by each row's line as the spreadsheet shows it (header = 1, below any title rows), so
    an error report still points at the right line after blank rows are dropped.
    """
    if not data or not data.strip():
        raise ImportRejected("imp_err_empty")
    if data[:4] == XLSX_MAGIC or Path(filename).suffix.lower() in (".xlsx", ".xlsm"):
        try:
            frame = pd.read_excel(io.BytesIO(data), dtype=object, engine="openpyxl")
        except Exception as exc:  # a corrupt workbook: say so instead of a traceback
            raise ImportRejected("imp_err_unreadable", detail=type(exc).__name__) from exc
        frame, titles = _drop_title_rows(frame)
        frame.index = frame.index + 2 + titles
    else:
        text = decode_csv(data)
        try:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True,
                                skip_blank_lines=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise ImportRejected("imp_err_unreadable", detail=str(exc).splitlines()[0]) from exc
        frame.index = frame.index + 2
    names = [str(c).strip() for c in frame.columns]
    frame = pd.concat([_cells(frame.iloc[:, i]) for i in range(len(names))], axis=1, ignore_index=True)
    frame.columns = names
    frame = frame.dropna(how="all")
    if frame.empty:
        raise ImportRejected("imp_err_no_rows")
    return frame


def _drop_title_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """A merged title row above the header (common in vendor workbooks) shows up as 'Unnamed' columns.
    Returns the frame below the real header and how many rows the titles took."""
    titles = 0
    for _ in range(3):
        unnamed = sum(str(c).startswith("Unnamed") for c in frame.columns)
        if len(frame.columns) == 0 or unnamed < len(frame.columns) / 2 or frame.empty:
            break
        frame.columns = [str(v).strip() if v is not None else f"Unnamed: {i}" for i, v in enumerate(frame.iloc[0])]
        frame = frame.iloc[1:].reset_index(drop=True)
        titles += 1
    return frame, titles


def _cells(column: pd.Series) -> pd.Series:
    """Text stripped, blank text as None; Excel's numbers and dates left as they are."""
    if pd.api.types.infer_dtype(column, skipna=True) == "string":  # CSV: strip in one pass
        stripped = column.str.strip()
        return stripped.astype(object).where(stripped.notna() & (stripped != ""), None)
    return column.astype(object).map(lambda v: (v.strip() or None) if isinstance(v, str) else v)
