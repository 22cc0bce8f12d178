"""Backup and restore of every table, exactly, between any two supported databases (SQLite ↔ PostgreSQL).

A backup is a zip: ``manifest.json`` (format, schema revision, per table the row count and a SHA-256
of its rows) and one ``<table>.jsonl`` per table, rows in primary-key order, values as JSON (dates and
times in ISO 8601). Restore goes into an *empty* database at the same schema revision, in one
transaction, in foreign-key order, and checks every count and checksum before it commits; anything
else is refused and nothing is written. (Restoring over live data would need deleting the
append-only audit log, which the database itself refuses — by design.)

The file holds personal data and password hashes: keep it as you keep the database.
"""
from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, func, select
from sqlalchemy.engine import Connection, Engine

from lib.db import Base, reset_sequences
from lib.schema import current_revision

FORMAT = "crhq-backup/1"
BATCH = 5000


class BackupError(RuntimeError):
    """A backup that cannot be restored here (wrong format, revision, damaged, target not empty)."""


def _tables():
    import lib.models  # noqa: F401  (registers every table)
    # The analytic mirror's bookkeeping is not data: a restored database starts its own.
    return [t for t in Base.metadata.sorted_tables if t.info.get("backup", True)]


def _encode(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _decoder(column):
    if isinstance(column.type, DateTime):
        return lambda v: None if v is None else datetime.fromisoformat(v)
    if isinstance(column.type, Date):
        return lambda v: None if v is None else date.fromisoformat(v)
    if isinstance(column.type, Boolean):
        return lambda v: None if v is None else bool(v)
    return lambda v: v


def _line(row) -> str:
    return json.dumps([_encode(v) for v in row], ensure_ascii=False, separators=(",", ":"))


def _lines(conn: Connection, table):
    """A table's rows in primary-key order, each as one encoded backup line."""
    order = list(table.primary_key.columns) or list(table.columns)
    for row in conn.execute(select(*table.columns).order_by(*order)).yield_per(BATCH):
        yield _line(row).encode("utf-8") + b"\n"


def table_digest(conn: Connection, table) -> tuple[int, str]:
    """(rows, SHA-256) of a table's rows as backup lines."""
    digest, n = hashlib.sha256(), 0
    for line in _lines(conn, table):
        digest.update(line)
        n += 1
    return n, digest.hexdigest()


def backup(engine: Engine, path: str | Path) -> dict[str, Any]:
    """Write the backup file; returns its manifest."""
    manifest: dict[str, Any] = {"format": FORMAT, "revision": current_revision(engine),
                                "created_at": datetime.now().isoformat(timespec="seconds"), "tables": {}}
    with engine.connect() as conn, zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for table in _tables():
            digest, n = hashlib.sha256(), 0
            with zf.open(f"{table.name}.jsonl", "w") as fh:
                for line in _lines(conn, table):
                    fh.write(line)
                    digest.update(line)
                    n += 1
            manifest["tables"][table.name] = {"columns": [c.name for c in table.columns], "rows": n,
                                              "sha256": digest.hexdigest()}
        zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    return manifest


def restore(engine: Engine, path: str | Path) -> dict[str, int]:
    """Load a backup into an empty database at the same revision; all or nothing. Returns rows per table."""
    try:
        zf = zipfile.ZipFile(path)
        manifest = json.loads(zf.read("manifest.json"))
    except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise BackupError(f"not a backup file: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    here = current_revision(engine)
    if manifest.get("revision") != here:
        raise BackupError(f"backup is at schema {manifest.get('revision')}, this database at {here}: "
                          "run init-db with the matching version first")
    tables = _tables()
    counts: dict[str, int] = {}
    with zf, engine.begin() as conn:
        for table in tables:
            if conn.scalar(select(func.count()).select_from(table)):
                raise BackupError(f"the database is not empty (table {table.name}); restore needs an empty one")
        for table in tables:
            info = manifest["tables"].get(table.name)
            if info is None:
                raise BackupError(f"the backup has no table {table.name}")
            columns = [table.c[name] for name in info["columns"]]
            decode = [_decoder(c) for c in columns]
            batch, n = [], 0
            with zf.open(f"{table.name}.jsonl") as fh:
                for raw in fh:
                    values = json.loads(raw)
                    batch.append({c.name: d(v) for c, d, v in zip(columns, decode, values, strict=True)})
                    n += 1
                    if len(batch) >= BATCH:
                        conn.execute(table.insert(), batch)
                        batch = []
            if batch:
                conn.execute(table.insert(), batch)
            rows, digest = table_digest(conn, table)
            if (n, rows, digest) != (info["rows"], info["rows"], info["sha256"]):
                raise BackupError(f"table {table.name} does not match its checksum: the file is damaged")
            counts[table.name] = rows
        reset_sequences(conn)
    return counts
