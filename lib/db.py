"""Declarative base, engine factory and session scope; no streamlit here."""
from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from itertools import repeat
from operator import methodcaller
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ARRAY,
    Date,
    DateTime,
    Integer,
    MetaData,
    Table,
    any_,
    create_engine,
    event,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from lib.errors import ValidationFailed

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 10_000


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


BUSINESS_TZ = ZoneInfo(os.environ.get("CRHQ_TZ", "Asia/Shanghai"))


_CLOCK: ContextVar[datetime | None] = ContextVar("crhq_business_clock", default=None)


def local_now() -> datetime:
    """Naive wall-clock time in China: business times (received_at, due times) are stored this way.
    Inside `business_clock(at)` (a run evaluated as of another moment, `notify run --now`): `at`."""
    fixed = _CLOCK.get()
    if fixed is not None:
        return fixed
    return datetime.now(BUSINESS_TZ).replace(tzinfo=None, microsecond=0)


@contextmanager
def business_clock(at: datetime) -> Iterator[None]:
    """Everything computed inside (KPIs' "today", overdue counts, the report workbook) is as of `at`, in
    this thread and context only; timestamps of writes (utcnow) stay real."""
    token = _CLOCK.set(at)
    try:
        yield
    finally:
        _CLOCK.reset(token)


def utcnow() -> datetime:
    """Naive UTC timestamp for audit columns (both databases store it the same way)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_connect(dbapi_conn, record) -> None:
    _sqlite_pragmas(dbapi_conn, record)
    _owner_only(dbapi_conn)
    dbapi_conn.isolation_level = None  # SQLAlchemy, not the driver, says when a transaction begins


def _owner_only(dbapi_conn) -> None:
    """The database file and its -wal/-shm are the owner's only (0600), also when an older version
    created them world-readable; SQLite gives new -wal/-shm files the database file's mode."""
    for _seq, name, path in dbapi_conn.execute("PRAGMA database_list").fetchall():
        if name == "main" and path:
            for part in (path, f"{path}-wal", f"{path}-shm"):
                try:
                    os.chmod(part, 0o600)
                except OSError:  # not there (yet), or not ours to change
                    pass


def _sqlite_begin(conn) -> None:
    """Write transactions take SQLite's write lock at BEGIN (IMMEDIATE): a second writer waits there
    (busy timeout) instead of failing later with "database is locked" when its read snapshot is stale.
    Read-only sessions begin DEFERRED and never wait (WAL)."""
    mode = "DEFERRED" if conn.get_execution_options().get("crhq_readonly") else "IMMEDIATE"
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def flush_with_ref(session: Session, record, make_ref, *, explicit: bool) -> None:
    """Flush a new record numbered by a running reference (TS…, JD…). Two writers may pick the same
    number at once; the loser retries with the next one inside a savepoint. An explicit reference that
    is taken is the caller's error."""
    for attempt in range(10):
        if not explicit:
            record.ref = make_ref(attempt)
        try:
            with session.begin_nested():
                session.add(record)
                session.flush()
            return
        except IntegrityError:
            if explicit:
                raise ValidationFailed("err_ref_taken", ref=record.ref) from None
    raise ValidationFailed("err_ref_taken", ref=record.ref)


def reset_sequences(conn) -> None:
    """PostgreSQL: move every integer primary key's sequence past the rows present (after rows were
    inserted with explicit ids: demo data, restore). Identifiers come from our metadata, never input."""
    if conn.dialect.name != "postgresql":
        return
    import lib.models  # noqa: F401  (registers every table; lib.models imports this module)
    for table in Base.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and isinstance(pk[0].type, Integer):
            conn.execute(text(f'SELECT setval(pg_get_serial_sequence(:t, :c), '
                              f'COALESCE((SELECT MAX("{pk[0].name}") FROM "{table.name}"), 0) + 1, false)'),
                         {"t": table.name, "c": pk[0].name})


def insert_columns(session: Session, table: Table, columns: dict[str, list[Any]], *, ids: bool = False) -> list[int]:
    """Insert new rows, given column by column, at the driver's speed, in the session's transaction.

    SQLAlchemy's executemany spends 10–50 µs a row in Python (parameter processing; on SQLite,
    insertmanyvalues compiling), five times what the database needs. Here the rows go to the
    driver as plain tuples: sqlite3's executemany, or COPY on PostgreSQL (psycopg). Every column
    holds one value per row. Python-side column defaults are evaluated once for the batch (one
    import is one moment). With `ids`, the primary keys are taken first (PostgreSQL: from the
    sequence; SQLite: past the highest, under the write lock this transaction holds) and returned
    in row order. Only for tables whose columns are plain types (no TypeDecorator): values are sent
    as they are.
    """
    n = len(next(iter(columns.values()), []))
    if not n:
        return []
    defaults = {}
    for column in table.columns:
        default = column.default
        if column.name not in columns and default is not None and (default.is_scalar or default.is_callable):
            defaults[column.name] = default.arg(None) if default.is_callable else default.arg
    if ids:
        columns = {"id": _reserve_ids(session, table, n), **columns}
    if is_sqlite(session.get_bind()):
        # SQLite keeps DateTime and Date as text in SQLAlchemy's format, which isoformat writes too.
        columns = {name: _sqlite_texts(table.c[name], values) for name, values in columns.items()}
        defaults = {name: _sqlite_value(table.c[name], value) for name, value in defaults.items()}
    names = [*columns, *defaults]
    rows = zip(*columns.values(), *(repeat(value, n) for value in defaults.values()), strict=True)
    driver = session.connection().connection.driver_connection
    if is_sqlite(session.get_bind()):
        listed = ", ".join(f'"{name}"' for name in names)  # identifiers from our metadata, never input
        marks = ", ".join("?" * len(names))
        driver.cursor().executemany(f'INSERT INTO "{table.name}" ({listed}) VALUES ({marks})', rows)
    else:  # PostgreSQL
        from psycopg import sql
        copy = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(name) for name in names))
        with driver.cursor() as cursor, cursor.copy(copy) as stream:
            for row in rows:
                stream.write_row(row)
    return columns.get("id", []) if ids else []


def among(session: Session, column, values: list[Any]):
    """`column IN (values)` for thousands of values as one bound parameter: SQLAlchemy spends about
    3 µs a value expanding an IN list. SQLite reads them from a JSON array (json_each), PostgreSQL
    from an array; both look each one up in the column's index."""
    if is_sqlite(session.get_bind()):
        listed = func.json_each(json.dumps(values, default=str)).table_valued("value")
        return column.in_(select(listed.c.value))
    return column == any_(literal(values, type_=ARRAY(column.type)))


def _sqlite_texts(column, values: list[Any]) -> list[Any]:
    as_text = _SQLITE_TEXT.get(type(column.type))
    return [None if v is None else as_text(v) for v in values] if as_text else values


def _sqlite_value(column, value: Any) -> Any:
    as_text = _SQLITE_TEXT.get(type(column.type))
    return as_text(value) if as_text and value is not None else value


def _reserve_ids(session: Session, table: Table, n: int) -> list[int]:
    if not is_sqlite(session.get_bind()):  # PostgreSQL
        return list(session.scalars(text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
                                    {"t": table.name, "n": n}))
    first = (session.scalar(select(func.max(table.c.id))) or 0) + 1
    return list(range(first, first + n))


@contextmanager
def big_page_cache(session: Session) -> Iterator[None]:
    """SQLite: a 64 MB page cache for one bulk write (the default 2 MB made each index insert of an
    import re-read its pages: a third of the import's time at 400k rows), back to default after."""
    if not is_sqlite(session.get_bind()):
        yield
        return
    # the driver connection is still usable if the session fails
    restore = _set_pragma(session.connection().connection.driver_connection, "cache_size", -65536)
    try:
        yield
    finally:
        restore()


def checkpoint_in_background(session: Session) -> None:
    """SQLite: this transaction's commit does not checkpoint the write-ahead log; a thread does it just
    after, on its own connection. SQLite checkpoints in whichever connection commits past 1,000 WAL
    pages, so a bulk import used to copy its whole WAL back into the database file before the user saw
    the result: about 2 s of a 100,000-complaint import's 5.5-7 s at a million rows. SQLite's own
    documentation suggests this for such writers (running checkpoints "in a separate thread").
    A PASSIVE checkpoint never blocks readers or writers; whatever it cannot finish, the next commit's
    automatic checkpoint does."""
    engine = session.get_bind()
    if not is_sqlite(engine):
        return
    restore = _set_pragma(session.connection().connection.driver_connection, "wal_autocheckpoint", 0)

    def committed(_session) -> None:
        restore()
        threading.Thread(target=_checkpoint, args=(engine.engine,), name="crhq-wal-checkpoint", daemon=True).start()

    event.listen(session, "after_commit", committed, once=True)
    event.listen(session, "after_rollback", lambda _session: restore(), once=True)


def _set_pragma(driver, name: str, value: int) -> Callable[[], None]:
    """Set an integer PRAGMA on one SQLite connection; returns what sets it back as it was."""
    before = int(driver.execute(f"PRAGMA {name}").fetchone()[0])
    driver.execute(f"PRAGMA {name}={int(value)}")
    return lambda: driver.execute(f"PRAGMA {name}={before}")


def _checkpoint(engine: Engine) -> tuple[int, int, int]:
    """(busy, WAL frames, frames checkpointed). On the driver itself: SQLAlchemy would open a
    transaction first, and SQLite refuses to checkpoint inside one ("database table is locked")."""
    raw = engine.raw_connection()
    try:
        return tuple(raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone())
    finally:
        raw.close()


_SQLITE_TEXT = {
    DateTime: methodcaller("isoformat", " ", "microseconds"),  # 2025-01-02 03:04:05.000000, as SQLAlchemy stores it
    Date: date.isoformat,
}


def contains(column, text: str):
    """`column` contains `text` as typed, case-insensitively: `%` and `_` are literals, not wildcards."""
    escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def session_scope(engine: Engine, *, readonly: bool = False) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error. `readonly` sessions (cached page
    reads) never take SQLite's write lock."""
    bind = engine.execution_options(crhq_readonly=True) if readonly else engine
    factory = sessionmaker(bind=bind, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
