"""Writing the term store: a record's terms are computed once, when it is written or imported.

`rows_for` turns records (as plain dicts) into text_term rows; `index` replaces the rows of some records
in the caller's transaction (forms, lifecycle moves, imports); `reindex` rebuilds every record's rows
in chunks (after the admin changes the word lists, and for records that predate the store). A void
complaint has no rows: it is excluded from every count, as in SPEC §7.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, null, select
from sqlalchemy.orm import Session

from lib.db import among, insert_columns
from lib.models import Complaint, SupervisorIssue, TextTerm
from lib.text.segment import Lexicon, lexicon

KINDS = ("complaint", "supervisor_issue")
CHUNK = 5000
FIELDS = ("record_id", "on_date", "project_id", "category", "channel", "business_line", "description", "status")
_T = TextTerm.__table__


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def rows_for(kind: str, records: Iterable[dict[str, Any]], lex: Lexicon) -> dict[str, list[Any]]:
    """text_term rows, column by column, for records given as dicts with FIELDS."""
    out: dict[str, list[Any]] = {name: [] for name in
                                 ("kind", "record_id", "n", "term", "on_date", "project_id", "category", "channel",
                                  "business_line")}
    for record in records:
        # A void complaint leaves every count; a record without text is not one of "what customers say"
        # (the shares are of the records that have a description), and writes nothing.
        if record.get("status") == "void" or not (record.get("description") or "").strip():
            continue
        # a name in the text is personal data, never a topic (jieba finds names)
        words, pairs = lex.terms(record.get("description"), record.get("complainant_name"))
        terms = [(0, "")] + [(1, w) for w in words] + [(2, p) for p in pairs]
        shared = (kind, record["record_id"], _day(record["on_date"]), record.get("project_id"),
                  record.get("category"), record.get("channel"), record.get("business_line"))
        for n, term in terms:
            out["kind"].append(shared[0])
            out["record_id"].append(shared[1])
            out["n"].append(n)
            out["term"].append(term)
            out["on_date"].append(shared[2])
            out["project_id"].append(shared[3])
            out["category"].append(shared[4])
            out["channel"].append(shared[5])
            out["business_line"].append(shared[6])
    return out


def _select(kind: str):
    if kind == "complaint":
        c = Complaint
        return select(c.id.label("record_id"), c.received_at.label("on_date"), c.project_id, c.category, c.channel,
                      c.business_line, c.description, c.status, c.complainant_name), c.id
    i = SupervisorIssue
    return select(i.id.label("record_id"), i.raised_on.label("on_date"), i.project_id, i.category,
                  null().label("channel"), null().label("business_line"), i.description,
                  i.status).where(i.source == "supervisor"), i.id  # not listening improvement items


def index(kind: str, ids: list[int], *, session: Session, lex: Lexicon | None = None,
          insert: Callable[[Any, dict[str, list[Any]]], Any] | None = None,
          removing: Callable[[Session, Any, Any], None] | None = None) -> int:
    """Replace the term rows of records `ids` of `kind` with their current text; returns rows written.
    Imports pass their journal's `insert`/`removing` so a failed import takes the rows back."""
    if not ids:
        return 0
    session.flush()
    lex = lex or lexicon(session=session)
    stmt, key = _select(kind)
    written = 0
    for start in range(0, len(ids), CHUNK):
        part = list(ids[start:start + CHUNK])
        where = (_T.c.kind == kind) & among(session, _T.c.record_id, part)
        if removing is not None:
            removing(session, _T, where)
        session.execute(delete(_T).where(where))
        records = [dict(r._mapping) for r in session.execute(stmt.where(among(session, key, part)))]
        written += write_rows(kind, records, session=session, lex=lex, insert=insert)
    return written


def write_rows(kind: str, records: list[dict[str, Any]], *, session: Session, lex: Lexicon,
               insert: Callable[[Any, dict[str, list[Any]]], Any] | None = None) -> int:
    """Insert the rows of records known to have none yet (new records of an import)."""
    columns = rows_for(kind, records, lex)
    if columns["kind"]:
        if insert is not None:
            insert(_T, columns)
        else:
            insert_columns(session, _T, columns)
    return len(columns["kind"])


def reindex(*, session: Session, kinds: tuple[str, ...] = KINDS, progress: Callable[[str, int], None] | None = None,
            missing_only: bool = False) -> dict[str, int]:
    """Every record's rows rebuilt (or, `missing_only`, those of records without any), CHUNK records at
    a time in the caller's transaction. Returns the records indexed per kind."""
    lex = lexicon(session=session)
    done: dict[str, int] = {}
    for kind in kinds:
        stmt, key = _select(kind)
        if not missing_only:
            session.execute(delete(_T).where(_T.c.kind == kind))
        count, last = 0, 0
        while True:
            records = [dict(r._mapping) for r in session.execute(
                stmt.where(key > last).order_by(key).limit(CHUNK))]
            if not records:
                break
            last = records[-1]["record_id"]
            if missing_only:  # a record's rows are written together, so any row means it is indexed
                records = _without_rows(kind, records, session=session)
            write_rows(kind, records, session=session, lex=lex)
            count += len(records)
            if progress:
                progress(kind, count)
        done[kind] = count
    return done


def _without_rows(kind: str, records: list[dict[str, Any]], *, session: Session) -> list[dict[str, Any]]:
    """The chunk's records that have no rows yet, looked up by (kind, record_id) on the record index.
    A `NOT IN (every indexed record)` per chunk made the store's first fill quadratic: 5 s a chunk at 1M
    complaints, 16 minutes to upgrade a 1M database, hours at 5M."""
    ids = [r["record_id"] for r in records]
    have = set(session.scalars(select(_T.c.record_id).where(_T.c.kind == kind, among(session, _T.c.record_id, ids))
                               .distinct()))
    return [r for r in records if r["record_id"] not in have]


def unindexed(*, session: Session) -> int:
    """Records with a description (complaints not void) that have no rows in the store: 0 once complete."""
    total = 0
    for kind in KINDS:
        stmt, key = _select(kind)
        have = select(_T.c.record_id).where(_T.c.kind == kind, _T.c.n == 0)
        source = (Complaint.status != "void") & (func.trim(Complaint.description) != "") if kind == "complaint" \
            else func.trim(SupervisorIssue.description) != ""
        total += session.scalar(select(func.count()).select_from(stmt.where(key.not_in(have), source).subquery()))
    return total
