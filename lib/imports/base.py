"""One import pipeline for every kind of file: read and validate all → write in short chunks → audit.

All or nothing, without holding the database for the whole write: everything that can be checked
is checked first, outside any write transaction; the rows are then written a chunk at a time.
On SQLite (one writer at a time) the chunks are committed after about a second of writing and other
writers get the lock in between; a failure after such a commit undoes what the import had committed
(`Journal`). PostgreSQL has no database-wide write lock: there the import stays one transaction.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from lib.db import big_page_cache, checkpoint_in_background, insert_columns, is_sqlite, session_scope
from lib.imports.core import CHANGES_SHOWN, Batch, Column, ImportResult, RowError, as_headed, duplicate_errors, validate
from lib.imports.journal import Journal
from lib.imports.limits import Limits, get_limits
from lib.imports.reach import errors as reach_errors
from lib.imports.reader import ImportRejected, read_chunks
from lib.scope import Reach
from lib.services import audit
from lib.services.org import ProjectResolver

CHUNK = 5000
RETRIES = 3  # a chunk another import wrote first is written again, as updates


class WriteRefused(Exception):
    """Row errors found while writing (the records changed since they were checked)."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} row errors")
        self.errors = errors


@dataclass
class WriteContext:
    """What the write step of one import shares across its chunks."""
    session: Session
    actor: str
    result: ImportResult
    resolver: ProjectResolver
    cache: dict[str, Any] = field(default_factory=dict)
    journal: Journal = field(default_factory=Journal)
    present: frozenset[str] = frozenset()  # the file's columns: an absent one leaves stored values alone

    def insert(self, table, columns: dict[str, list[Any]]) -> list[int]:
        """`lib.db.insert_columns`, noting the new ids so a failed import can take them back."""
        ids = insert_columns(self.session, table, columns, ids=True)
        self.journal.inserted(table, ids)
        return ids


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
    # Work on the whole checked file before the import's first statement, in the checks' read session,
    # so outside SQLite's write lock (the complaints' segmentation, SPEC §15: a chunk then holds the
    # lock for its writes only). Returns entries for the write's `ctx.cache`.
    prepare: Callable[[Session, Batch], dict[str, Any]] | None = None


def run_import(importer: Importer, data: bytes, filename: str, *, session: Session, actor: str,
               dry_run: bool = False, progress: Callable[[float], None] | None = None,
               reach: Reach | None = None) -> ImportResult:
    """All or nothing: any bad row raises ImportRejected carrying every row error; nothing is written.

    The caller commits the last chunks (session_scope), as it owns the transaction; on SQLite the
    import commits the chunks before them itself. A dry run rolls back instead. A database error
    while writing is an ImportRejected with a message in both languages, raised after what the
    import had written has been undone. `reach` (the importer's scope, SPEC §11): a file with any row
    outside it is refused whole, each such row named, with the other row errors.
    """
    limits = get_limits()
    batch, errors = parse_file(importer, data, filename, limits)
    if reach is not None and not reach.is_group and batch.columns:
        with _reading(session) as reader:
            errors += reach_errors(importer.kind, reader, batch, reach)
    if not errors and importer.resolve:
        with _reading(session) as reader:
            errors += importer.resolve(reader, batch)
    if errors:
        errors.sort(key=lambda e: e.row)  # stable: within a line, cell errors before cross-field ones
        raise ImportRejected("imp_err_rows", errors=as_headed(errors, batch.headers), n=len({e.row for e in errors}))
    prepared: dict[str, Any] = {}
    if importer.prepare is not None:
        with _reading(session) as reader:
            prepared = importer.prepare(reader, batch)
    try:
        return _write(importer, batch, filename, session, actor, dry_run, progress, limits, prepared)
    except WriteRefused as exc:
        raise ImportRejected("imp_err_rows", errors=as_headed(exc.errors, batch.headers),
                             n=len({e.row for e in exc.errors})) from None


def parse_file(importer: Importer, data: bytes, filename: str, limits: Limits) -> tuple[Batch, list[RowError]]:
    """Every chunk of the file read and validated; the parsed rows kept, the raw cells not."""
    batch, errors = Batch([], {}), []
    nul = b"\x00" in data  # a text file without one cannot hold a NUL character: no need to look
    for frame in read_chunks(data, filename, limits):
        part, found = validate(frame, importer.columns, max_chars=limits.max_cell_chars, nul=nul)
        if not part.columns:  # the header is wrong: every chunk would say so again
            return part, found
        errors += found
        if importer.check:
            errors += importer.check(part)
        batch.extend(part)
    if importer.key:
        errors += duplicate_errors(batch, importer.key)
    errors.sort(key=lambda e: e.row)
    return batch, errors


@contextmanager
def _reading(session: Session) -> Iterator[Session]:
    """The database rules' reads. On SQLite a write transaction holds the write lock from its first
    statement, so checks that take seconds read in a read-only session of their own, unless the
    caller's session already has work of its own in progress (which only it can see)."""
    bind = session.get_bind()
    if is_sqlite(bind) and not session.in_transaction():
        with session_scope(bind.engine, readonly=True) as reader:
            yield reader
    else:
        yield session


def _write(importer: Importer, batch: Batch, filename: str, session: Session, actor: str, dry_run: bool,
           progress: Callable[[float], None] | None, limits: Limits, prepared: dict[str, Any] | None = None
           ) -> ImportResult:
    result = ImportResult(importer.kind, len(batch), dry_run=dry_run)
    grouped = is_sqlite(session.get_bind()) and not dry_run  # a dry run is one transaction, rolled back
    order = batch.order_of(importer.order) if importer.order else None
    ctx = WriteContext(session, actor, result, None, {"filename": filename},  # type: ignore[arg-type]
                       present=frozenset(batch.columns))
    ctx.cache.update(prepared or {})
    ctx.journal.watch(session)
    noted = _ChangeNotes(result)
    event.listen(session, "before_flush", noted.before_flush)
    position = 0
    try:
        while True:
            began = time.monotonic()
            with big_page_cache(session):
                if ctx.resolver is None:
                    ctx.resolver = ProjectResolver(session)
                while position < len(batch):
                    stop = position + CHUNK
                    part = batch.take(order[position:stop]) if order is not None else batch.part(position, stop)
                    _write_chunk(importer, part, ctx)
                    position += len(part)
                    if progress:
                        progress(min(1.0, position / len(batch)))
                    if grouped and time.monotonic() - began >= limits.lock_seconds:
                        break
            if position >= len(batch):
                break
            if grouped:  # let the writers that waited in (a login, a form save), then go on
                checkpoint_in_background(session)
                session.commit()
                ctx.journal.committed = True
                time.sleep(limits.pause_seconds)
        result.created_projects = ctx.resolver.created
        result.followups_opened = ctx.cache.get("followups_opened", 0)
        audit.record(session=session, actor=actor, action="import", entity=importer.entity,
                     detail={"kind": importer.kind, "file": filename, "rows": result.rows,
                             "inserted": result.inserted, "updated": result.updated, "dry_run": dry_run,
                             **({"followups_opened": result.followups_opened} if result.followups_opened else {})})
        session.flush()
        if dry_run:
            session.rollback()
        else:
            # Registered after the chunks' savepoints: their release counts as a commit for the
            # session's after_commit event, the caller's commit is the next one.
            checkpoint_in_background(session)
        return result
    except WriteRefused:
        _abandon(session, ctx.journal)
        raise
    except SQLAlchemyError as exc:
        _abandon(session, ctx.journal)
        busy = "locked" in str(exc.orig if hasattr(exc, "orig") else exc)
        raise ImportRejected("imp_err_busy" if busy else "imp_err_database", detail=type(exc).__name__) from exc
    finally:
        event.remove(session, "before_flush", noted.before_flush)
        ctx.journal.unwatch(session)


KEY_FIELDS = ("ref", "supervisor_no", "employee_no", "issue_no", "username")
NOT_SHOWN = frozenset({"id", "created_at", "updated_at", "version", "phone_hash"})  # phone_hash: never shown (#26)


class _ChangeNotes:
    """The stored values an import changes, field by field, noted from the session's dirty records
    before each flush (every importer updates through the ORM): what a dry run shows as "updated"."""

    def __init__(self, result: ImportResult) -> None:
        self.result = result
        self.seen: set[tuple] = set()

    def before_flush(self, session: Session, _context, _instances) -> None:
        for obj in session.dirty:
            state = inspect(obj)
            if state.mapper.local_table.name == "audit_log":
                continue
            key = next((str(getattr(obj, k)) for k in KEY_FIELDS if k in state.mapper.attrs), str(state.identity))
            for name in state.committed_state:
                prop = state.mapper.attrs.get(name)
                if not getattr(prop, "columns", None) or name in NOT_SHOWN:
                    continue
                history = state.attrs[name].history
                if not history.added or not history.deleted or history.added[0] == history.deleted[0]:
                    continue
                mark = (state.mapper.local_table.name, state.identity, name)
                if mark in self.seen:
                    continue
                self.seen.add(mark)
                self.result.changed_fields[name] = self.result.changed_fields.get(name, 0) + 1
                if len(self.result.changes) < CHANGES_SHOWN:
                    old, new = history.deleted[0], history.added[0]
                    self.result.changes.append({"key": key, "field": name,
                                                "old": None if old is None else str(old),
                                                "new": None if new is None else str(new)})


def record_refusal(engine: Engine, *, actor: str, kind: str, filename: str, exc: ImportRejected,
                   dry_run: bool) -> None:
    """A refused import in the audit log, in a transaction of its own: the import's own transaction
    was rolled back (session_scope rolls back on the exception), its audit row with it."""
    importer = _importers().get(kind)
    with session_scope(engine) as session:
        audit.record(session=session, actor=actor, action="import_refused",
                     entity=importer.entity if importer else None,
                     detail={"kind": kind, "file": filename, "reason": exc.key, "errors": len(exc.errors),
                             "rows_refused": len({e.row for e in exc.errors}), "dry_run": dry_run})


def _importers() -> dict[str, Importer]:
    from lib.imports.registry import IMPORTERS  # the registry imports this module
    return IMPORTERS


def _write_chunk(importer: Importer, part: Batch, ctx: WriteContext) -> None:
    """One chunk in a savepoint. A unique key taken since the check (the same new file imported at
    the same moment elsewhere) rolls the chunk back; written again, those rows are found and updated."""
    for attempt in range(RETRIES):
        mark = ctx.journal.mark()
        created, cache = ctx.resolver.created, {k: dict(v) if isinstance(v, dict) else v for k, v in ctx.cache.items()}
        counts = (ctx.result.inserted, ctx.result.updated, ctx.result.unchanged)
        try:
            with ctx.session.begin_nested():
                importer.write(part, ctx)
                ctx.session.flush()
            return
        except IntegrityError:
            if attempt == RETRIES - 1:
                raise
            ctx.journal.forget(mark)
            ctx.resolver = ProjectResolver(ctx.session)  # its cache may name rows just rolled back
            ctx.resolver.created, ctx.cache = created, cache
            ctx.result.inserted, ctx.result.updated, ctx.result.unchanged = counts


def _abandon(session: Session, journal: Journal) -> None:
    """Roll back; if chunks were already committed, undo them in one transaction."""
    session.rollback()
    if not journal.committed:
        return
    try:
        journal.undo(session)
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        raise ImportRejected("imp_err_partial") from exc


def changed(current: Any, values: dict[str, Any]) -> dict[str, list[str | None]]:
    """{field: [old, new]} for the values that differ from the stored record."""
    return {k: [_shown(getattr(current, k)), _shown(v)] for k, v in values.items() if getattr(current, k) != v}


def _shown(value: Any) -> str | None:
    return None if value is None else str(value)
