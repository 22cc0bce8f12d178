"""KPI reads over a column-store mirror of the two large fact tables, exact and up to date.

Complaints and survey answers grow by about a million rows a year each, and HQ looks back years.
A row store answers "12 months of complaint KPIs" by visiting every row of the period (seconds at a
million rows); DuckDB scanning a few columns does it in tens of milliseconds. The mirror:

- **Snapshot**: a DuckDB database file holding only the KPI columns of ``complaint`` and
  ``survey_response`` (no names, phones or respondent keys), sorted by their KPI date, written under
  ``data/analytics/<token>/`` together with ``manifest.json``, which records the snapshot's position in
  the change log (``_position``). Readers attach it read-only; a new snapshot is a new file.
- **Delta**: database triggers (migration 0004) note every updated or deleted row in ``analytics_change``,
  and every inserted one on PostgreSQL; on SQLite a row inserted later is one whose id is above the
  highest the snapshot saw (migration 0005). At every read, the rows changed after the snapshot's
  position are read from the database *in the caller's own session* and replace their snapshot
  versions (a deleted row simply disappears).
- **Monthly sums** (``Rollup``): the snapshot also holds each whole month's KPI statistics (counts and
  sums, which add up), so a KPI read sums a few thousand rows for its whole months and reads only the
  other days row by row (``_Mirror.parts``).
- **Small tables** (project, company, survey_wave, benchmark) are copied whole at every read.
- **Identity and failure**: each build has a random id (in the manifest and the file's name) and a
  generation that never comes back, even after the folder is deleted; a reader attaches only the file
  whose size and SHA-256 the manifest records, and takes a new manifest's position only with its file.
  A snapshot that is missing, damaged, someone else's or cannot be (re)built sends the read to the
  row store (a warning is logged) and a rebuild to a background thread (`_Mirror.usable`).
- **The reader's now**: clock-dependent counts are computed with the now given to the KPI function
  (``local_now()`` by default), and `through_mirror` remembers results per now.

So a KPI computed through the mirror sees exactly what the caller's session sees; DuckDB only does
the scanning, and the KPI modules run their very own SQLAlchemy statements on it (``reading``).
The snapshot is rebuilt when the delta passes ``REBUILD_AFTER`` rows (an import calls ``refresh``).

Used when ``CRHQ_ANALYTICS`` is ``on``, or ``auto`` (default) and the table has at least
``CRHQ_ANALYTICS_MIN_ROWS`` rows (below that the database answers in milliseconds by itself).
"""
from __future__ import annotations

import atexit
import copy
import fcntl
import functools
import hashlib
import inspect
import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
from duckdb_engine import ConnectionWrapper
from duckdb_engine import Dialect as DuckDBDialect
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    String,
    and_,
    cast,
    create_engine,
    delete,
    exists,
    false,
    func,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlalchemy.dialects import registry
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql import type_coerce

from lib import mirror_registry
from lib.config import DATA_DIR
from lib.db import local_now, session_scope
from lib.models import (
    AnalyticsChange,
    AnalyticsState,
    Benchmark,
    Company,
    Complaint,
    Project,
    SurveyResponse,
    SurveyWave,
)

# The KPI columns of each large table; nothing personal is ever copied out of the database.
MIRRORED = {
    "complaint": (Complaint.__table__, (
        "id", "received_at", "channel", "project_id", "business_line", "category", "severity", "responsible",
        "status", "first_response_at", "resolved_at", "followup_at", "followup_score", "escalation_level",
        "reopen_count", "first_response_due_at", "resolution_due_at")),
    "survey_response": (SurveyResponse.__table__, (
        "id", "wave_id", "surveyed_on", "project_id", "touchpoint", "scale", "overall", "housing_quality",
        "maintenance", "property_service", "complaint_handling", "recommend")),
}
SORT_BY = {"complaint": "received_at", "survey_response": "surveyed_on"}  # the date every KPI filters on
SMALL = (Project.__table__, Company.__table__, SurveyWave.__table__, Benchmark.__table__)
FORMAT = 10  # of manifest.json and the snapshot file; another value is rebuilt


@dataclass(frozen=True)
class Rollup:
    """The KPI statistics of each whole month of a mirrored table, summed in the snapshot (table
    `<name>__months`) by every column a KPI filters or groups by. At 5M rows over five years that is
    50,000 rows for survey answers (month × project × touchpoint × wave) and 550,000 for complaints,
    so a year's totals sum a few thousand rows instead of a million; a period's other days are read
    row by row (`_Mirror.parts`)."""
    day: str  # the KPI date column
    month: str  # its month key
    keys: tuple[str, ...]
    timed: bool = False  # counts that depend on the clock: a month is summed only once its due times passed


ROLLUPS = {
    "survey_response": Rollup("surveyed_on", "surveyed_month", ("surveyed_month", "project_id", "touchpoint", "wave_id")),
    "complaint": Rollup("received_at", "received_month", ("received_month", "project_id", "business_line", "channel",
                                                          "category", "severity", "responsible"), timed=True),
}
REBUILD_AFTER = 50_000  # changed rows after which `refresh` writes a fresh snapshot
READER_REBUILDS_AFTER = 4 * REBUILD_AFTER  # a reader only rebuilds itself when nobody refreshed for long
CHUNK = 100_000
RETRY_SECONDS = 60.0  # after a failed snapshot, how long reads go straight to the row store
log = logging.getLogger(__name__)


class SnapshotUnusable(Exception):
    """The snapshot cannot serve this read (missing, damaged, not the manifest's, or not buildable now)."""


def _mode() -> str:
    return os.environ.get("CRHQ_ANALYTICS", "auto").strip().lower()


def _min_rows() -> int:
    return int(os.environ.get("CRHQ_ANALYTICS_MIN_ROWS", "100000"))


def _root() -> Path:
    return Path(os.environ.get("CRHQ_ANALYTICS_DIR") or DATA_DIR / "analytics")


def _duck_type(column) -> str:
    kind = column.type
    if isinstance(kind, DateTime):
        return "TIMESTAMP"
    if isinstance(kind, Date):
        return "DATE"
    if isinstance(kind, Boolean):
        return "BOOLEAN"
    if isinstance(kind, Float):
        return "DOUBLE"
    if isinstance(kind, Integer):
        return "BIGINT"
    return "VARCHAR"


def _select_raw(table, names, dialect: str):
    """SELECT of the named columns as the driver returns them; on SQLite dates and times stay text
    (DuckDB parses millions of them far faster than Python does) and booleans stay 0/1."""
    columns = []
    for name in names:
        column = table.c[name]
        if dialect == "sqlite" and isinstance(column.type, (DateTime, Date)):
            columns.append(type_coerce(column, String).label(name))
        elif dialect == "sqlite" and isinstance(column.type, Boolean):
            columns.append(type_coerce(column, Integer).label(name))
        else:
            columns.append(column)
    return select(*columns)


@functools.cache
def _derived(name: str) -> tuple[tuple[str, str, str], ...]:
    """Columns the mirror stores ready-computed: (name, DuckDB type, SQL over the raw columns), compiled
    from the KPI modules' own expressions so each formula lives in one place. Surveys: scores on 0–100
    the top-2-box flag (the scale CASE at every read was most of a survey query's time) and the month key.
    Complaints: the clock-independent conditions as booleans and the month key."""
    dialect = CachedDuckDBDialect(paramstyle="qmark")  # run as written: no "%" doubled for a DBAPI

    def sql(expr) -> str:
        return str(expr.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    if name not in MIRRORED:
        return ()
    return tuple((col, kind, sql(expr)) for col, kind, expr in mirror_registry.formulas(name).columns(MIRRORED[name][1]))


def _typed_select(table, names, frame: str) -> str:
    """SELECT turning the raw values of a registered frame into typed columns, then adding the derived
    columns of a mirrored table (computed over the typed ones)."""
    typed = ", ".join(f'CAST("{n}" AS {_duck_type(table.c[n])}) AS "{n}"' for n in names)
    derived = _derived(table.name) if table.name in MIRRORED else ()
    if not derived:
        return f"SELECT {typed} FROM {frame}"
    return f"SELECT *, {', '.join(f'{expr} AS {col}' for col, _, expr in derived)} FROM (SELECT {typed} FROM {frame})"


def _schema(table, names) -> str:
    derived = _derived(table.name) if table.name in MIRRORED else ()
    return ", ".join([f'"{n}" {_duck_type(table.c[n])}' for n in names] + [f"{c} {kind}" for c, kind, _ in derived])


def _rows_table(name: str, schema: str | None, as_name: str | None = None):
    """A mirrored table's rows (raw and derived columns) as a table for SQLAlchemy statements."""
    table, names = MIRRORED[name]
    kinds = {"DOUBLE": Float, "BOOLEAN": Boolean, "VARCHAR": String}
    columns = [sa_column(n, table.c[n].type) for n in names]
    columns += [sa_column(c, kinds[kind]) for c, kind, _ in _derived(name)]
    return sa_table(as_name or name, *columns, schema=schema)


def _row_parts(name: str, c, now: datetime | None) -> list[tuple[str, Any]]:
    """(statistic, what one row adds to it) for a mirrored table, from its KPI module; `now` None: as
    if every due time had passed (the sums of `Rollup.timed` months)."""
    return mirror_registry.formulas(name).parts(c, now)


def _kept(name: str, c) -> list:
    """Rows no KPI ever counts (void complaints) stay out of the sums."""
    return mirror_registry.formulas(name).kept(c)


@functools.cache
def _part_names(name: str) -> tuple[str, ...]:
    return tuple(n for n, _ in _row_parts(name, _rows_table(name, None).c, None))


def _months_table(name: str, schema: str):
    extra = ["due_by"] if ROLLUPS[name].timed else []
    return sa_table(f"{name}__months", *[sa_column(k) for k in ROLLUPS[name].keys],
                    *[sa_column(n) for n in _part_names(name)], *[sa_column(n) for n in extra], schema=schema)


def _months_sql(name: str, schema: str) -> str:
    """The statement that sums each whole month's statistics out of a snapshot's rows."""
    rows = _rows_table(name, schema)
    keys = [rows.c[k] for k in ROLLUPS[name].keys]
    sums = [(cast(func.sum(expr), BigInteger) if isinstance(expr.type, Integer) else func.sum(expr)).label(n)
            for n, expr in _row_parts(name, rows.c, None)]
    if ROLLUPS[name].timed:
        sums.append(func.max(mirror_registry.formulas(name).last_due(rows.c)).label("due_by"))
    stmt = select(*keys, *sums).where(*_kept(name, rows.c)).group_by(*keys).order_by(*keys)
    return str(stmt.compile(dialect=CachedDuckDBDialect(paramstyle="qmark"), compile_kwargs={"literal_binds": True}))


def whole_months(start: date, end: date) -> list[str]:
    """The months ("YYYY-MM") lying wholly within [start, end]."""
    out, year, month = [], start.year, start.month
    if start.day != 1:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    while True:
        following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        if following - timedelta(days=1) > end:
            return out
        out.append(f"{year:04d}-{month:02d}")
        year, month = following.year, following.month


def days_outside(start: date, end: date, months: list[str]) -> list[tuple[date, date]]:
    """The ranges of days of [start, end] outside the given months ("YYYY-MM", ascending, within it)."""
    out, day = [], start
    for month in months:
        first = date(int(month[:4]), int(month[5:]), 1)
        following = date(first.year + 1, 1, 1) if first.month == 12 else date(first.year, first.month + 1, 1)
        if day < first:
            out.append((day, first - timedelta(days=1)))
        day = following
    if day <= end:
        out.append((day, end))
    return out


def _columns(rows, names) -> pa.Table:
    """Rows as the driver returned them, as an Arrow table DuckDB scans in place. Pandas'
    `from_records` took 4 s for a 100,000-row delta: it probes every SQLAlchemy Row for attributes
    (each probe a caught KeyError) and converts each text column to Arrow strings one value at a
    time; pyarrow builds the columns in C, and keeps an integer column with NULLs an integer column."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return pa.table({n: pa.array(c) for n, c in zip(names, columns, strict=True)})


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind.engine if isinstance(bind, Connection) else bind


def wanted(session: Session, table: str) -> bool:
    """Whether reads of `table` go through the mirror for this database."""
    mode = _mode()
    if mode == "off" or session.get_bind().dialect.name == "duckdb":
        return False
    if mode == "on":
        return True
    biggest = session.scalar(select(func.max(MIRRORED[table][0].c.id)))
    return (biggest or 0) >= _min_rows()


# ---- snapshot ------------------------------------------------------------------------------

@contextmanager
def _build_lock(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".build.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _read_manifest(directory: Path) -> dict[str, Any] | None:
    try:
        return json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@contextmanager
def _snapshot_connection(engine: Engine) -> Iterator[Connection]:
    """One read transaction for the whole snapshot (REPEATABLE READ on PostgreSQL)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            yield conn
        return
    with engine.connect().execution_options(crhq_readonly=True) as conn, conn.begin():
        yield conn


def _position(conn: Connection) -> dict[str, Any]:
    """Where the snapshot stands in the change log. SQLite has one writer at a time, so seq order
    is commit order and the highest seq says it all. PostgreSQL commits out of seq order: there the
    snapshot itself (which transactions it sees) is kept, and a change is "after" it when the
    transaction that made it is not visible in it."""
    if conn.dialect.name == "postgresql":  # the first statement fixes the REPEATABLE READ snapshot
        snapshot = conn.scalar(text("SELECT pg_current_snapshot()::text"))
        return {"mark": conn.scalar(select(func.max(AnalyticsChange.seq))) or 0, "pg_snapshot": snapshot}
    return {"mark": conn.scalar(select(func.max(AnalyticsChange.seq))) or 0,
            "top": {name: conn.scalar(select(func.max(table.c.id))) or 0 for name, (table, _) in MIRRORED.items()}}


def _inserted(position: dict[str, Any], name: str):
    """Condition on mirrored table `name`: inserted after the snapshot without a note (SQLite: ids
    only grow past the highest, one writer at a time), or None where every insert is noted."""
    top = position.get("top")
    return None if top is None else MIRRORED[name][0].c.id > top[name]


def _pending(session: Session, position: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """Per mirrored table, what changed after `position`: (notes, their highest seq, unnoted inserts,
    their highest id). Any new change alters it, so it also keys the delta a reader holds."""
    notes = {name: (n, top) for name, n, top in session.execute(
        select(AnalyticsChange.table_name, func.count(), func.max(AnalyticsChange.seq))
        .where(_after(position)).group_by(AnalyticsChange.table_name)).all()}
    pending = {}
    for name, (table, _) in MIRRORED.items():
        inserted = _inserted(position, name)
        added = (0, 0) if inserted is None else tuple(session.execute(
            select(func.count(), func.coalesce(func.max(table.c.id), 0)).where(inserted)).one())
        pending[name] = (*notes.get(name, (0, 0)), *added)
    return pending


def _after(position: dict[str, Any]):
    """Condition on analytics_change: the change is not in the snapshot at `position`."""
    if "pg_snapshot" in position:
        return text("analytics_change.xid >= pg_snapshot_xmin(CAST(:snap AS pg_snapshot)) "
                    "AND NOT pg_visible_in_snapshot(analytics_change.xid, CAST(:snap AS pg_snapshot))"
                    ).bindparams(snap=position["pg_snapshot"])
    return AnalyticsChange.seq > position["mark"]


def _before(position: dict[str, Any]):
    """Condition on analytics_change: the change is certainly in the snapshot at `position`."""
    if "pg_snapshot" in position:
        return text("analytics_change.xid < pg_snapshot_xmin(CAST(:snap AS pg_snapshot))"
                    ).bindparams(snap=position["pg_snapshot"])
    return AnalyticsChange.seq <= position["mark"]


def build(engine: Engine, *, compact: bool = True, force: bool = False) -> dict[str, Any]:
    """Write a fresh snapshot of both tables and publish its manifest; returns the manifest.

    Every build has an identity of its own (`snapshot`, a random id, also in the file's name) and a
    generation above any before it, even when the folder was deleted in between: a process still on an
    older snapshot must never take a new manifest for the one it has attached. The manifest records
    the file's size and SHA-256, so a reader attaches only the very file the position belongs to.

    `compact` then deletes the change notes no reader needs any more: a write, so a reader (which may
    sit inside someone's write transaction) builds without it and leaves that to the next refresh."""
    started = time.perf_counter()
    with _snapshot_connection(engine) as conn:
        token = conn.scalar(select(AnalyticsState.token))
        directory = _root() / token
        with _build_lock(directory):
            position = _position(conn)
            previous = _read_manifest(directory)
            generation = _next_generation(previous)
            snapshot_id = uuid.uuid4().hex
            if previous and previous.get("format") != FORMAT:
                previous = None  # written by another version: rebuilt, and not trusted for compaction
            if previous and previous.get("position") == position and not force:
                return previous  # another process built this very state while we waited
            tables: dict[str, Any] = {}
            # Rows go first into a scratch DuckDB file (spills to disk, bounded memory), then into the
            # snapshot file sorted by the KPI date, so that a date filter skips the row groups outside its
            # period (DuckDB keeps each row group's min and max). A native DuckDB table scans 1.3-1.6x
            # faster than the same columns in Parquet: nothing to decode but its own compression.
            snapshot = directory / f"snapshot-{generation}-{snapshot_id}.duckdb"
            scratch = directory / f"build-{generation}-{snapshot_id}.duckdb"
            duck = duckdb.connect(str(scratch), config={"threads": 2, "memory_limit": "512MB"})
            written = False
            try:
                duck.execute(f"ATTACH {_quote(snapshot)} AS snapshot")
                for name, (table, names) in MIRRORED.items():
                    duck.execute(f"CREATE TABLE {name} ({_schema(table, names)})")
                    result = conn.execution_options(yield_per=CHUNK).execute(
                        _select_raw(table, names, engine.dialect.name))
                    for chunk in result.partitions():
                        duck.register("chunk", pd.DataFrame.from_records(chunk, columns=list(names)))
                        duck.execute(f"INSERT INTO {name} {_typed_select(table, names, 'chunk')}")
                        duck.unregister("chunk")
                    duck.execute(f"CREATE TABLE snapshot.{name} AS SELECT * FROM {name} ORDER BY {SORT_BY[name]}, id")
                    duck.execute(f"DROP TABLE {name}")
                    tables[name] = {"rows": duck.execute(f"SELECT count(*) FROM snapshot.{name}").fetchone()[0]}
                for name in ROLLUPS:
                    duck.execute(f"CREATE TABLE snapshot.{name}__months AS {_months_sql(name, 'snapshot')}")
                duck.execute("DETACH snapshot")
                written = True
            finally:
                duck.close()
                for path in (scratch, snapshot):
                    Path(f"{path}.wal").unlink(missing_ok=True)
                scratch.unlink(missing_ok=True)
                if not written:
                    snapshot.unlink(missing_ok=True)
            manifest = {"format": FORMAT, "token": token, "position": position, "generation": generation,
                        "snapshot": snapshot_id, "file": snapshot.name, "bytes": snapshot.stat().st_size,
                        "sha256": _known_digest(snapshot), "tables": tables,
                        "built_seconds": round(time.perf_counter() - started, 2)}
            tmp = directory / f"manifest.json.{snapshot_id}.tmp"
            try:
                tmp.write_text(json.dumps(manifest), encoding="utf-8")
                os.replace(tmp, directory / "manifest.json")
            except BaseException:  # a full disk: the previous manifest and its file stay as they were
                tmp.unlink(missing_ok=True)
                snapshot.unlink(missing_ok=True)
                raise
    if compact:
        _compact(engine, directory, previous or manifest)
    return manifest


def _next_generation(previous: dict[str, Any] | None) -> int:
    """One above the previous snapshot's; with none readable (first build, or the folder deleted), the
    clock in milliseconds, which is above every generation a deleted folder can have held (each build
    takes far longer than a millisecond), so no generation number ever comes back."""
    clock = time.time_ns() // 1_000_000
    if previous is None or not isinstance(previous.get("generation"), int):
        return clock
    return previous["generation"] + 1


def _digest(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _verified_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _file_key(path: Path) -> list[int]:
    """What changes when the file is replaced, copied or written: size, mtime (ns), inode, device."""
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev]


def _remember_digest(path: Path, sha256: str) -> None:
    """Write the sidecar that says: the file with this (size, mtime, inode, device) had this SHA-256.
    Best effort (a read-only folder only means the next reader hashes the file again)."""
    target = _verified_path(path)
    tmp = target.with_name(f"{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_text(json.dumps({"key": _file_key(path), "sha256": sha256}), encoding="utf-8")
        os.replace(tmp, target)
    except OSError:
        tmp.unlink(missing_ok=True)


def _known_digest(path: Path) -> str:
    """The file's SHA-256, read from its sidecar while the file is the very one it describes (same size,
    mtime, inode and device: a file replaced, copied in or written since has another key), else hashed
    (0.13-0.15 s CPU at 1M, about 5x at 5M, in every process) and remembered for the next reader."""
    try:
        remembered = json.loads(_verified_path(path).read_text(encoding="utf-8"))
        if remembered["key"] == _file_key(path) and isinstance(remembered["sha256"], str):
            return remembered["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    sha256 = _digest(path)
    _remember_digest(path, sha256)
    return sha256


# snapshot-<generation>-<id>.duckdb, a crashed build's build-<generation>-<id>.duckdb, and from formats
# before 10 snapshot-<generation>.duckdb and (format 5 and before) Parquet folders <table>-<generation>
_OLD_FILE = re.compile(r"(?P<name>snapshot|build|complaint|survey_response)-(?P<generation>\d+)(-[0-9a-f]+)?(\.duckdb)?")


def _compact(engine: Engine, directory: Path, keep: dict[str, Any]) -> None:
    """Forget the changes that snapshot `keep` already has and remove the snapshots older than it.
    `keep` is the previous snapshot (a reader may still be on it), or the first one ever built."""
    with engine.begin() as conn:
        conn.execute(delete(AnalyticsChange).where(_before(keep["position"])))
    for path in directory.iterdir():
        found = _OLD_FILE.fullmatch(path.name)
        if not (found and int(found["generation"]) < keep["generation"]):
            continue
        if path.is_dir() and found["name"] in MIRRORED:
            shutil.rmtree(path, ignore_errors=True)
        elif path.is_file() and found["name"] in ("snapshot", "build"):  # a process still attached reads on
            path.unlink(missing_ok=True)
            _verified_path(path).unlink(missing_ok=True)


def refresh_in_background(engine: Engine) -> threading.Thread:
    """`refresh` on a thread: the page that imported answers at once, readers merge the delta meanwhile."""
    thread = threading.Thread(target=refresh, args=(engine,), name="crhq-analytics-refresh", daemon=True)
    thread.start()
    return thread


def _changed_rows(pending: dict[str, tuple[int, ...]]) -> int:
    return sum(notes + inserted for notes, _, inserted, _ in pending.values())


def refresh(engine: Engine) -> dict[str, Any] | None:
    """After a bulk write: rebuild if the mirror is in use and its delta has grown past REBUILD_AFTER."""
    with session_scope(engine, readonly=True) as session:
        if not any(wanted(session, t) for t in MIRRORED):
            return None
        token = session.scalar(select(AnalyticsState.token))
        manifest = _read_manifest(_root() / token)
        if manifest and (manifest.get("format") != FORMAT or not (_root() / token / manifest["file"]).is_file()):
            manifest = None
        pending = manifest and _changed_rows(_pending(session, manifest["position"]))
    if manifest is None or pending > REBUILD_AFTER:
        return build(engine)
    return manifest


# ---- reading -------------------------------------------------------------------------------

class CachedDuckDBDialect(DuckDBDialect):
    """duckdb_engine turns SQLAlchemy's compiled-statement cache off for every use; ours are plain
    SELECTs with bound parameters, and compiling each KPI statement afresh cost ~15 ms a read."""
    supports_statement_cache = True


registry.register("duckdb.crhq", __name__, "CachedDuckDBDialect")


class _Mirror:
    """One process's DuckDB view of one database's snapshot plus its current delta."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.directory = _root() / token
        self.lock = threading.RLock()
        self.manifest: dict[str, Any] | None = None  # of the attached snapshot: position and file go together
        self.manifest_stamp: tuple[int, int] | None = None
        self.attached: set[str] = set()  # snapshot files attached, by alias (at most one between reads)
        self.failed_at: float | None = None  # time.monotonic() of the last failure, None once usable again
        self.failed_stamp: tuple[int, int] | None = None  # the manifest then: a new one is tried at once
        self.top_id: dict[str, int] = {}  # the highest id in the attached snapshot, per table
        self.delta_key: dict[str, tuple[int, ...]] = {}
        self.merged: dict[str, tuple[bool, bool]] = {}  # per table: (delta merged in, snapshot rows left out)
        self.dirty_months: dict[str, set[str]] = {}  # per table, months whose sums a change since made stale
        self.due_by: dict[str, datetime] = {}  # per month, the last due time of its complaints
        self.small: dict[str, list] = {}
        self.small_version = 0
        self.memo: OrderedDict[Any, Any] = OrderedDict()  # results for the current state (see `state`)
        self._open()

    def _open(self) -> None:
        self.con = duckdb.connect(":memory:", config={"threads": 2, "memory_limit": "512MB"})
        self.engine = create_engine("duckdb+crhq:///:memory:", poolclass=StaticPool,
                                    creator=lambda: ConnectionWrapper(self.con.cursor()))
        self.small = {}  # copied again into the new connection at the next sync
        for name, (table, names) in MIRRORED.items():
            self._replace(f"{name}__delta", table, names, None)
            self.con.execute(f"CREATE OR REPLACE TABLE {name}__changed (id BIGINT)")

    def _replace(self, target: str, table, names, frame: pd.DataFrame | pa.Table | None) -> None:
        self.con.execute(f"CREATE OR REPLACE TABLE {target} ({_schema(table, names)})")
        if frame is not None and len(frame):
            self.con.register("incoming", frame)
            self.con.execute(f"INSERT INTO {target} {_typed_select(table, names, 'incoming')}")
            self.con.unregister("incoming")

    def _view(self, name: str, *, with_delta: bool, replaced: bool = True) -> None:
        """`name` as the KPI statements see it: the snapshot, with the delta merged in when there is one.
        Snapshot rows changed since are left out by an anti-join only when there are any (`replaced`):
        rows merely added since need none, and probing every row of a period against even an empty list
        cost a quarter of a KPI read."""
        source = f"{_alias(self.manifest)}.{name}"
        self.merged[name] = (with_delta, with_delta and replaced)
        if with_delta and replaced:
            source = f"{source} ANTI JOIN {name}__changed USING (id)"
        merge = f" UNION ALL SELECT * FROM {name}__delta" if with_delta else ""
        self.con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {source}{merge}")

    def _stamp(self) -> tuple[int, int] | None:
        try:
            stat = (self.directory / "manifest.json").stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_ino)

    def _build(self, engine: Engine, may_build: bool) -> dict[str, Any]:
        """A snapshot built by this reader: only while the mirror is sound. After a failure the reader
        does not wait for a build (at 5M rows a minute, and on a full disk one that fails again)."""
        if not may_build:
            raise SnapshotUnusable("the snapshot needs a rebuild (left to a background thread)")
        try:
            return build(engine, compact=False)
        except Exception as exc:  # on its own connection: nothing of the caller's session is affected
            raise SnapshotUnusable(f"rebuilding the snapshot failed: {exc}") from exc

    def _load_manifest(self, engine: Engine, may_build: bool = True) -> None:
        stamp = self._stamp()
        if stamp is not None and stamp == self.manifest_stamp:
            return
        manifest = _read_manifest(self.directory)
        if manifest is None or manifest.get("token") != self.token or manifest.get("format") != FORMAT:
            manifest = self._build(engine, may_build)
        alias = _alias(manifest)
        if self.manifest is None or self.manifest["snapshot"] != manifest["snapshot"]:
            # Another build (the same generation too if the folder was deleted): its file alone may be read
            # with its position. The old one goes first, so no alias or file is ever attached twice.
            self._detach_all()
            self._attach(manifest, alias)
        self.top_id = {name: self.con.execute(f"SELECT coalesce(max(id), 0) FROM {alias}.{name}").fetchone()[0]
                       for name in MIRRORED}
        self.manifest, self.manifest_stamp, self.delta_key, self.dirty_months = manifest, stamp, {}, {}
        self.due_by = dict(self.con.execute(f"SELECT received_month, max(due_by) FROM {alias}.complaint__months "
                                            f"GROUP BY received_month").fetchall())
        for name, (table, names) in MIRRORED.items():
            self._replace(f"{name}__delta", table, names, None)
            self._view(name, with_delta=False)
        if stamp is None:  # built just now: remember the file we wrote
            self.manifest_stamp = self._stamp()

    def _attach(self, manifest: dict[str, Any], alias: str) -> None:
        """Attach the manifest's file, once it is shown to be the very file that build wrote: size and
        SHA-256 (a damaged block would otherwise surface in the middle of some KPI statement, or a
        stray copy of another snapshot give that snapshot's rows at this one's position)."""
        path = self.directory / manifest["file"]
        if path.stat().st_size != manifest["bytes"]:
            raise SnapshotUnusable(f"{path.name} has {path.stat().st_size} bytes, the manifest says {manifest['bytes']}")
        if _known_digest(path) != manifest["sha256"]:
            raise SnapshotUnusable(f"{path.name} is not the file its manifest describes (SHA-256 differs)")
        self.con.execute(f"ATTACH {_quote(path)} AS {alias} (READ_ONLY)")
        self.attached.add(alias)
        for name, want in manifest["tables"].items():
            rows = self.con.execute(f"SELECT count(*) FROM {alias}.{name}").fetchone()[0]
            if rows != want["rows"]:
                raise SnapshotUnusable(f"{path.name}: {rows} rows of {name}, the manifest says {want['rows']}")

    def _detach_all(self) -> None:
        for name in MIRRORED:  # views that read the snapshot go with it; `_view` makes them anew
            self.con.execute(f"DROP VIEW IF EXISTS {name}")
        for alias in sorted(self.attached):
            try:
                self.con.execute(f"DETACH {alias}")
            except duckdb.Error:  # a damaged file may not even detach cleanly; it is forgotten all the same
                pass
        self.attached = set()

    def reset(self) -> None:
        """Forget the snapshot (the next read attaches and checks it afresh), the delta and the memo."""
        try:
            self._detach_all()
            self.con.execute("SELECT 1")
        except duckdb.Error:  # a fatal error invalidates a DuckDB database for good: start a new one
            self.engine.dispose()
            self.con.close()
            self.attached = set()
            self._open()
        self.manifest = self.manifest_stamp = None
        self.delta_key, self.dirty_months, self.merged, self.top_id, self.due_by = {}, {}, {}, {}, {}
        self.memo.clear()

    def usable(self, session: Session) -> bool:
        """Sync with `session` and say whether the mirror can serve it. Any failure of the snapshot itself
        (missing, damaged, someone else's, unbuildable: a read-only folder, a full disk) is logged, the
        read goes to the row store, and a rebuild is left to a background thread. Errors of the
        caller's own database are not the snapshot's and propagate."""
        if self.failed_at is not None and time.monotonic() - self.failed_at < RETRY_SECONDS \
                and self._stamp() == self.failed_stamp:
            return False  # failed a moment ago and nothing new published since: not tried again yet
        try:
            self.sync(session, may_build=self.failed_at is None)
        except (SnapshotUnusable, duckdb.Error, OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("analytic mirror %s unusable, reading the row store meanwhile: %s", self.token, exc)
            self.reset()
            self.failed_at, self.failed_stamp = time.monotonic(), self._stamp()
            _rebuild_in_background(_engine_of(session), self.token)
            return False
        self.failed_at = self.failed_stamp = None
        return True

    def sync(self, session: Session, may_build: bool = True) -> None:
        engine = _engine_of(session)
        self._load_manifest(engine, may_build)
        position = self.manifest["position"]
        pending = _pending(session, position)
        if _changed_rows(pending) > READER_REBUILDS_AFTER:
            self._build(engine, may_build)
            self._load_manifest(engine, may_build)
            return self.sync(session, may_build)
        for name, (table, names) in MIRRORED.items():
            key = pending[name]
            if self.delta_key.get(name) == key:
                continue  # nothing committed since the last read (a new change always adds a row)
            changed = select(AnalyticsChange.row_id).where(_after(position), AnalyticsChange.table_name == name)
            top = self.top_id[name]  # only a row the snapshot holds can need leaving out
            ids = pa.table({"id": pa.array([r for (r,) in session.execute(changed.distinct()) if r <= top],
                                           pa.int64())})
            inserted = _inserted(position, name)
            rows = session.execute(_select_raw(table, names, session.get_bind().dialect.name).where(
                table.c.id.in_(changed) if inserted is None else or_(table.c.id.in_(changed), inserted))).all()
            self.con.register("ids", ids)
            self.con.execute(f"CREATE OR REPLACE TABLE {name}__changed AS SELECT id FROM ids")
            self.con.unregister("ids")
            self._replace(f"{name}__delta", table, names, _columns(rows, names))
            self._view(name, with_delta=any(key), replaced=ids.num_rows > 0)
            self.dirty_months[name] = {m for (m,) in self.con.execute(  # their months are read row by row
                f"SELECT DISTINCT {ROLLUPS[name].month} FROM {_alias(self.manifest)}.{name} "
                f"WHERE id IN (SELECT id FROM {name}__changed)").fetchall()}
            self.delta_key[name] = key
        for table in SMALL:  # a few hundred rows: read whole every time, so a rename shows at once
            names = [c.name for c in table.columns]
            rows = [tuple(r) for r in session.execute(_select_raw(table, names, session.get_bind().dialect.name)
                                                      .order_by(table.c.id)).all()]
            if self.small.get(table.name) != rows:
                self._replace(table.name, table, names, _columns(rows, names))
                self.small[table.name] = rows
                self.small_version += 1
        state = self.state()
        if self.memo and next(iter(self.memo))[0] != state:
            self.memo.clear()

    def parts(self, name: str, start: date, end: date, now: datetime | None = None):
        """The KPI statistics of table `name` for the days start..end, as rows to sum (a subquery named
        after the table): the snapshot's sums of each whole month that no change has touched since
        (complaints: and whose due times have all passed by `now`), the snapshot's other rows of the
        period one by one (less those changed since), and the delta's rows."""
        rollup, alias = ROLLUPS[name], _alias(self.manifest)
        with_delta, replaced = self.merged.get(name, (False, False))
        dirty = self.dirty_months.get(name, set())
        served = [m for m in whole_months(start, end) if m not in dirty
                  and not (rollup.timed and (now is None or self.due_by.get(m, now) >= now))]

        timestamps = isinstance(MIRRORED[name][0].c[rollup.day].type, DateTime)

        def bound(day: date):
            return datetime.combine(day, datetime.min.time()) if timestamps else day

        def rows(t, *where):
            day = t.c[rollup.day]
            return select(*[t.c[k] for k in rollup.keys], *[expr.label(n) for n, expr in _row_parts(name, t.c, now)]
                          ).where(day >= bound(start), day < bound(end + timedelta(days=1)), *_kept(name, t.c), *where)
        snapshot = _rows_table(name, alias)
        # Days, not months, in the condition: a date range skips whole row groups, and comparing each
        # answer's month with a list of them took 75 ms a read at 1.6M answers.
        day = snapshot.c[rollup.day]
        left_out = [or_(false(), *[and_(day >= bound(a), day < bound(b + timedelta(days=1)))
                                   for a, b in days_outside(start, end, served)])] if served else []
        if replaced:
            changed = sa_table(f"{name}__changed", sa_column("id"))
            left_out.append(~exists().where(changed.c.id == snapshot.c.id))
        parts = [rows(snapshot, *left_out)]
        if served:
            months = _months_table(name, alias)
            parts.insert(0, select(*[months.c[k] for k in rollup.keys],
                                   *[months.c[n] for n in _part_names(name)]
                                   ).where(months.c[rollup.month].in_(served)))
        if with_delta:
            parts.append(rows(_rows_table(name, None, f"{name}__delta")))
        return (union_all(*parts) if len(parts) > 1 else parts[0]).subquery(name)

    def state(self) -> tuple:
        """Everything a read through the mirror depends on besides the reader's now (see
        `through_mirror`): snapshot, delta per table, small tables."""
        return (self.manifest["snapshot"], tuple(sorted(self.delta_key.items())), self.small_version)


def _alias(manifest: dict[str, Any]) -> str:
    return f"snapshot_{int(manifest['generation'])}"


_mirrors: dict[str, _Mirror] = {}
_registry_lock = threading.Lock()


@atexit.register
def close_all() -> None:
    """Close every mirror (DuckDB's bindings complain at exit about connections left open)."""
    with _registry_lock:
        for mirror in _mirrors.values():
            mirror.engine.dispose()
            mirror.con.close()
        _mirrors.clear()


_rebuilds: dict[str, threading.Thread] = {}


def _rebuild_in_background(engine: Engine, token: str) -> None:
    """A fresh snapshot on a thread, one at a time per database, after a reader found this one unusable."""
    with _registry_lock:
        running = _rebuilds.get(token)
        if running is not None and running.is_alive():
            return
        thread = threading.Thread(target=_rebuild, args=(engine,), name="crhq-analytics-rebuild", daemon=True)
        _rebuilds[token] = thread
        thread.start()


def _rebuild(engine: Engine) -> None:
    try:  # forced: the position may not have moved, the file behind it is what is wrong
        build(engine, force=True)
    except Exception as exc:  # a thread's exception would go unseen; readers stay on the row store
        log.warning("analytic mirror rebuild failed, reads stay on the row store: %s", exc)


def _from_snapshot(exc: BaseException) -> bool:
    """Whether a KPI statement failed in DuckDB (possibly a block damaged after it was attached)."""
    return isinstance(exc, duckdb.Error) or (isinstance(exc, DBAPIError) and isinstance(exc.orig, duckdb.Error))


def _mirror_for(session: Session) -> _Mirror:
    token = session.scalar(select(AnalyticsState.token))
    with _registry_lock:
        if token not in _mirrors:
            _mirrors[token] = _Mirror(token)
        return _mirrors[token]


@contextmanager
def reading(session: Session, table: str) -> Iterator[Session]:
    """A session to run KPI statements on: the mirror's (synced to what `session` sees) when it is in
    use for `table`, else `session` itself. Nested use passes the mirror's session straight through."""
    if not wanted(session, table):
        yield session
        return
    mirror = _mirror_for(session)
    with mirror.lock:
        if mirror.usable(session):
            try:
                with Session(mirror.engine, info={"mirror": mirror}) as duck:
                    yield duck
            except Exception as exc:
                if _from_snapshot(exc):  # the next read checks the file afresh (and falls back if it is bad)
                    mirror.reset()
                raise
            finally:
                if not session.get_bind().get_execution_options().get("crhq_readonly"):
                    # A writing caller's delta may hold rows it never commits: the next reader fetches afresh.
                    mirror.delta_key.clear()
            return
    yield session  # the row store, outside the mirror's lock


MEMO_SIZE = 256


def forget_results() -> None:
    """Drop every remembered result (the benchmark's "cold" runs; nothing else needs it)."""
    with _registry_lock:
        for mirror in _mirrors.values():
            with mirror.lock:
                mirror.memo.clear()


def through_mirror(table: str):
    """Decorator for a read function taking `session=`: runs it on `reading(session, table)`.

    For a read-only caller its result is also remembered for the mirror's current state, so the
    overview's cards, league and movers asking for the same survey statistics pay once. A writing
    caller (whose uncommitted rows are in the delta) is never served from or stored in the memo.
    A function with a `now` parameter gets the reader's now (`local_now()` when not given) before
    the memo is consulted, so a clock-dependent figure (backlog ageing) is remembered per now and
    moves with the clock even when nothing is written.

    A DuckDB error in the middle of the outermost call (a snapshot damaged after it was attached) is
    answered by calling once more: the mirror then checks its file afresh, or reads the row store."""
    def decorate(fn):
        clocked = "now" in inspect.signature(fn).parameters

        @functools.wraps(fn)
        def wrapper(*args, session: Session, **kwargs):
            if clocked and kwargs.get("now") is None:
                kwargs["now"] = local_now()
            if session.get_bind().dialect.name == "duckdb":  # nested: its outermost caller retries
                return once(*args, session=session, **kwargs)
            try:
                return once(*args, session=session, **kwargs)
            except Exception as exc:
                if not _from_snapshot(exc):
                    raise
                log.warning("analytic mirror failed during %s, reading once more: %s", fn.__qualname__, exc)
                return once(*args, session=session, **kwargs)

        def once(*args, session: Session, **kwargs):
            readonly = session.info.get("memo_ok",  # a nested call: as its outermost caller
                                        bool(session.get_bind().get_execution_options().get("crhq_readonly")))
            with reading(session, table) as reader:
                mirror = reader.info.get("mirror")
                reader.info.setdefault("memo_ok", readonly)
                if mirror is None or not readonly:
                    return fn(*args, session=reader, **kwargs)
                key = (mirror.state(), fn.__module__, fn.__qualname__, args, tuple(sorted(kwargs.items())))
                if key in mirror.memo:
                    mirror.memo.move_to_end(key)
                    return copy.deepcopy(mirror.memo[key])
                result = fn(*args, session=reader, **kwargs)
                mirror.memo[key] = copy.deepcopy(result)
                while len(mirror.memo) > MEMO_SIZE:
                    mirror.memo.popitem(last=False)
                return result
        return wrapper
    return decorate
