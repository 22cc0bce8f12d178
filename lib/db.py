"""Declarative base, engine factory and session scope; no streamlit here."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, MetaData, create_engine, event, text
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


def local_now() -> datetime:
    """Naive wall-clock time in China: business times (received_at, due times) are stored this way."""
    return datetime.now(BUSINESS_TZ).replace(tzinfo=None, microsecond=0)


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
    dbapi_conn.isolation_level = None  # SQLAlchemy, not the driver, says when a transaction begins


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
