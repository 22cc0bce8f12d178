"""Row exports as CSV (UTF-8 with BOM for Chinese Excel) or .xlsx, safe to open and always audited."""
from __future__ import annotations

import io

import pandas as pd
from sqlalchemy.orm import Session

from lib.errors import DomainError
from lib.services import audit

ROW_EXPORTERS = frozenset({"staff", "admin"})  # SPEC §8: executives export aggregates only
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula is prefixed with ' (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_bytes(frame: pd.DataFrame, fmt: str) -> bytes:
    safe = frame.map(neutralise)
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
