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


# Kinds whose frame is already as the reader sees it (headers and values in words).
PRESENTED = frozenset({"audit_log"})
# Columns whose values are codes of a vocabulary, whatever the record (lib.services.audit.FIELD_VOCAB has
# the record-specific ones, e.g. status).
_COMMON_VOCAB = {"channel": "channel", "business_line": "business_line", "category": "category",
                 "severity": "severity", "escalation_level": "escalation_level", "touchpoint": "touchpoint",
                 "method": "method", "dimension": "dimension", "responsible_party": "responsible_party",
                 "role": "role"}
_RECORD_OF_KIND = {"complaint": "complaint", "rows_complaints": "complaint", "supervisor_issue": "issue"}


def labelled(frame: pd.DataFrame, *, lang: str, kind: str) -> pd.DataFrame:
    """Rows as a reader of the export reads them: headers in their language with the column's code in a
    second header row (for scripts and re-imports, which take either), vocabulary codes as labels, flags
    as 是/否, nothing as empty."""
    from lib.i18n import STRINGS, t
    from lib.services.audit import FIELD_VOCAB, field_label
    from lib.vocab import label

    if kind in PRESENTED or frame.empty and not len(frame.columns):
        return frame
    record = _RECORD_OF_KIND.get(kind, "complaint")
    vocab = {**_COMMON_VOCAB, **FIELD_VOCAB.get(record, {})} if kind in _RECORD_OF_KIND else _COMMON_VOCAB
    shown = frame.copy()
    for column in shown.columns:
        name = str(column)
        if name in vocab:
            shown[column] = [None if v is None or (isinstance(v, float) and pd.isna(v)) else
                             label(vocab[name], str(v), lang) for v in shown[column]]
        elif name == "source" and record == "issue":  # supervisor / listening
            shown[column] = [t(f"source_{v}", lang) if f"source_{v}" in STRINGS else v for v in shown[column]]
        elif name == "responsible" and shown[column].dtype == bool:
            shown[column] = [("是" if v else "否") if lang == "zh" else ("Yes" if v else "No") for v in shown[column]]
    headers = [field_label(str(c), lang, record) for c in shown.columns]
    codes = pd.DataFrame([list(map(str, shown.columns))], columns=headers)
    shown.columns = headers
    return pd.concat([codes, shown.astype(object)], ignore_index=True)


def rows_for_download(frame: pd.DataFrame, *, fmt: str, role: str, lang: str | None = None,
                      kind: str = "") -> bytes:
    """Row-level export for staff and admin only (checked here, not by hiding a button). With `lang`,
    the file carries labels (and the codes in a second header row)."""
    if role not in ROW_EXPORTERS:
        raise DomainError("err_forbidden_action")
    return to_bytes(frame if lang is None else labelled(frame, lang=lang, kind=kind), fmt)


def record_export(*, session: Session, actor: str, kind: str, fmt: str, rows: int,
                  detail: dict | None = None) -> None:
    audit.record(session=session, actor=actor, action="export", entity=kind,
                 detail={"format": fmt, "rows": rows, **(detail or {})})
