"""One import pipeline for every kind of file: read → validate all → resolve → write in chunks → audit."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from lib.db import big_page_cache, checkpoint_in_background
from lib.imports.core import Batch, Column, ImportResult, RowError, validate
from lib.imports.reader import ImportRejected, read_table
from lib.services import audit
from lib.services.org import ProjectResolver

CHUNK = 5000


@dataclass
class WriteContext:
    """What the write step of one import shares across its chunks."""
    session: Session
    actor: str
    result: ImportResult
    resolver: ProjectResolver
    cache: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Importer:
    kind: str
    entity: str
    columns: list[Column]
    write: Callable[[Batch, WriteContext], None]
    key: tuple[str, ...] = ()  # unique within a file; empty when the natural key is the whole row
    check: Callable[[Batch], list[RowError]] | None = None             # pure cross-field rules
    resolve: Callable[[Session, Batch], list[RowError]] | None = None  # rules that need the database
    # Rows are written in this column's order. New rows then reach the date-led indexes in key order,
    # a page at a time, not at random places: 20-25% faster on SQLite for 100,000 complaints at 1M.
    order: str | None = None


def run_import(importer: Importer, data: bytes, filename: str, *, session: Session, actor: str,
               dry_run: bool = False, progress: Callable[[float], None] | None = None) -> ImportResult:
    """All or nothing: any bad row raises ImportRejected carrying every row error; nothing is written.

    The caller owns the transaction (session_scope commits, or rolls back on the exception);
    a dry run validates and writes inside the transaction, then rolls it back.
    """
    batch, errors = validate(read_table(data, filename), importer.columns, importer.key)
    if importer.check and batch.columns:
        errors += importer.check(batch)
    if not errors and importer.resolve:
        errors += importer.resolve(session, batch)
    if errors:
        errors.sort(key=lambda e: e.row)  # stable: within a line, cell errors before cross-field ones
        raise ImportRejected("imp_err_rows", errors=errors, n=len({e.row for e in errors}))
    result = ImportResult(importer.kind, len(batch), dry_run=dry_run)
    ctx = WriteContext(session, actor, result, ProjectResolver(session), {"filename": filename})
    if not dry_run:
        checkpoint_in_background(session)
    if importer.order:
        batch = batch.ordered_by(importer.order)
    with big_page_cache(session):
        for start in range(0, len(batch), CHUNK):
            importer.write(batch.part(start, start + CHUNK), ctx)
            session.flush()
            if progress:
                progress(min(1.0, (start + CHUNK) / len(batch)))
    result.created_projects = ctx.resolver.created
    audit.record(session=session, actor=actor, action="import", entity=importer.entity,
                 detail={"kind": importer.kind, "file": filename, "rows": result.rows,
                         "inserted": result.inserted, "updated": result.updated, "dry_run": dry_run})
    if dry_run:
        session.rollback()
    return result


def changed(current: Any, values: dict[str, Any]) -> dict[str, list[str | None]]:
    """{field: [old, new]} for the values that differ from the stored record."""
    return {k: [_shown(getattr(current, k)), _shown(v)] for k, v in values.items() if getattr(current, k) != v}


def _shown(value: Any) -> str | None:
    return None if value is None else str(value)
