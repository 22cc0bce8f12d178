"""Row exports as CSV (UTF-8 with BOM for Chinese Excel) or .xlsx, safe to open and always audited."""
from __future__ import annotations

import io

import pandas as pd
from sqlalchemy.orm import Session

from lib.errors import DomainError
from lib.services import audit

ROW_EXPORTERS = frozenset({"staff", "admin"})  # SPEC §8: executives export aggregates only
# What a spreadsheet reads as the start of a formula; full-width signs too (Excel and WPS take ＝ for =
# when a Chinese input method typed it), also after leading spaces.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula is prefixed with ' (CSV/formula injection)."""
    if isinstance(value, str) and value.lstrip(" \u3000").startswith(_FORMULA_START):
        return "'" + value
    return value


def _safe_labels(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return pd.MultiIndex.from_tuples([tuple(neutralise(v) for v in t) for t in index], names=index.names)
    return pd.Index([neutralise(v) for v in index], name=neutralise(index.name))


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell and every header of a frame made safe to open (pivot headers are company names)."""
    safe = frame.map(neutralise)
    safe.columns = _safe_labels(safe.columns)
    safe.index = _safe_labels(safe.index)
    return safe


def neutralise_workbook(workbook) -> None:
    """Every text cell of an openpyxl workbook made safe before it is saved."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.value = neutralise(cell.value)


def to_bytes(frame: pd.DataFrame, fmt: str) -> bytes:
    safe = neutralise_frame(frame)
    if fmt == "xlsx":
        buf = io.BytesIO()
        with pd.ExcelWriter(buf, engine="openpyxl") as writer:
            safe.to_excel(writer, index=False, sheet_name="export")
        return buf.getvalue()
    return safe.to_csv(index=False).encode("utf-8-sig")


def rows_for_download(frame: pd.DataFrame, *, fmt: str, role: str) -> bytes:
    """Row-level export for staff and admin only (checked here, not by hiding a button)."""
    if role not in ROW_EXPORTERS:
        raise DomainError("err_forbidden_action")
    return to_bytes(frame, fmt)


def record_export(*, session: Session, actor: str, kind: str, fmt: str, rows: int,
                  detail: dict | None = None) -> None:
    audit.record(session=session, actor=actor, action="export", entity=kind,
                 detail={"format": fmt, "rows": rows, **(detail or {})})
