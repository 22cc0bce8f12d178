"""Backup and restore of every table, exactly, between any two supported databases (SQLite ↔ PostgreSQL).

A backup is a zip: ``manifest.json`` (format, schema revision, the audit chain's head, per table the
columns, row count and a SHA-256 of its rows), one ``<table>.jsonl`` per table (rows in primary-key
order, values as JSON, dates and times in ISO 8601) and ``manifest.sig``: an HMAC-SHA256 of the
manifest's bytes under the server's backup key (CRHQ_BACKUP_KEY, else ``data/.backup_key``; never in
the backup). A SHA-256 anyone can recompute proves only that the file is not damaged; the signature
proves it was written by an installation holding the key, so an edited user row (a new admin) with
its checksum recomputed is refused.

Restore goes into an *empty* database at the same schema revision, in one transaction, in
foreign-key order. The signature is checked before anything is written; then every count and
checksum, and the restored audit log's hash chain, before it commits; anything else is refused and
nothing is written. A backup that is unsigned (format 1, written before signatures), signed with
another key, or whose signature does not match, is refused unless the caller says so: `without_users`
restores everything but the accounts (add them again with ``user add``), `trust_unsigned` everything.
(Restoring over live data would need deleting the append-only audit log, which the database itself
refuses — by design.)

The file holds personal data and password hashes: it is written owner-only; keep it as you keep the
database.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from lib.config import backup_key, open_private
from lib.db import Base, reset_sequences
from lib.schema import current_revision
from lib.services import audit

FORMAT = "crhq-backup/2"
UNSIGNED_FORMAT = "crhq-backup/1"  # before signatures and the audit chain (schema 0005)
UNCHAINED_REVISION, CHAINED_REVISION = "0005", "0006"
# Migrations after 0006 that only add tables or columns with a default (0007 app_user.scope 'group',
# 0008 app_user.email and the notification tables, 0009 the call-back check tables, 0010 typical cases and unit
# reports, 0011 survey_response.contact_phone / vendor_case_id and followup_task, 0012 text_term (SPEC §15),
# rebuilt from the records, 0013 complaint.phone_hash, filled in after the restore by _rehash_phones; 0014 only replaces an index): a
# backup from before them restores, the new tables empty and the new columns at their defaults.
ADDITIVE = ("0007", "0008", "0009", "0010", "0011", "0012", "0013", "0014")
USERS = "app_user"
BATCH = 5000


class BackupError(RuntimeError):
    """A backup that cannot be restored here (wrong format, revision, damaged, unsigned, target not empty)."""


@dataclass(frozen=True)
class Restored:
    counts: dict[str, int]  # rows per restored table
    signature: str  # "verified", "unsigned" (no signature) or "unverified" (another key, or altered)
    file_sha256: str
    chain: audit.ChainReport  # the restored audit log's chain (before the restore's own audit row)
    without_users: bool


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


def _lines(conn: Connection, table, columns=None):
    """A table's rows in primary-key order, each as one encoded backup line."""
    order = list(table.primary_key.columns) or list(table.columns)
    for row in conn.execute(select(*(columns or table.columns)).order_by(*order)).yield_per(BATCH):
        yield _line(row).encode("utf-8") + b"\n"


def table_digest(conn: Connection, table, columns=None) -> tuple[int, str]:
    """(rows, SHA-256) of a table's rows (or of some of its columns) as backup lines."""
    digest, n = hashlib.sha256(), 0
    for line in _lines(conn, table, columns):
        digest.update(line)
        n += 1
    return n, digest.hexdigest()


def _signing_key(key: bytes | None) -> bytes:
    return hmac.new(key or backup_key(), b"crhq backup signature v1", hashlib.sha256).digest()


def key_id(key: bytes | None = None) -> str:
    """A short name for a key that tells keys apart and reveals nothing about them."""
    return hmac.new(key or backup_key(), b"crhq key id", hashlib.sha256).hexdigest()[:16]


def _signature(manifest: bytes, key: bytes | None) -> dict[str, str]:
    return {"alg": "HMAC-SHA256", "key_id": key_id(key),
            "mac": hmac.new(_signing_key(key), manifest, hashlib.sha256).hexdigest()}


def backup(engine: Engine, path: str | Path, *, key: bytes | None = None) -> dict[str, Any]:
    """Write the signed backup file (owner-only); returns its manifest."""
    manifest: dict[str, Any] = {"format": FORMAT, "revision": current_revision(engine),
                                "created_at": datetime.now().isoformat(timespec="seconds"), "tables": {}}
    with engine.connect() as conn, open_private(path) as out, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        manifest["audit_head"] = audit.head(conn)
        for table in _tables():
            digest, n = hashlib.sha256(), 0
            with zf.open(f"{table.name}.jsonl", "w") as fh:
                for line in _lines(conn, table):
                    fh.write(line)
                    digest.update(line)
                    n += 1
            manifest["tables"][table.name] = {"columns": [c.name for c in table.columns], "rows": n,
                                              "sha256": digest.hexdigest()}
        body = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
        zf.writestr("manifest.json", body)
        zf.writestr("manifest.sig", json.dumps(_signature(body, key)))
    return manifest


def restore(engine: Engine, path: str | Path, **options: Any) -> dict[str, int]:
    """Load a backup into an empty database at the same revision; all or nothing. Returns rows per
    table; `options` as for `load`."""
    return load(engine, path, **options).counts


def load(engine: Engine, path: str | Path, *, key: bytes | None = None, trust_unsigned: bool = False,
         without_users: bool = False, audit_as: str | None = None, audit_detail: dict | None = None) -> Restored:
    """Restore and say how: signature, file hash, audit chain. With `audit_as`, the restore is recorded
    in the restored database's audit log, continuing its chain, in the same transaction."""
    zf, manifest, signature = _open(path, key=key, trust_unsigned=trust_unsigned, without_users=without_users)
    tables = [t for t in _tables() if not (without_users and t.name == USERS)]
    with zf:
        _check_revision(engine, manifest)
        return _load(engine, zf, path, manifest, tables, signature, key=key, trust_unsigned=trust_unsigned,
                     without_users=without_users, audit_as=audit_as, audit_detail=audit_detail)


def _load(engine: Engine, zf: zipfile.ZipFile, path: str | Path, manifest: dict[str, Any], tables: list,
          signature: str, *, key: bytes | None, trust_unsigned: bool, without_users: bool,
          audit_as: str | None, audit_detail: dict | None) -> Restored:
    with engine.begin() as conn:
        for table in _tables():
            if conn.scalar(select(func.count()).select_from(table)):
                raise BackupError(f"the database is not empty (table {table.name}); restore needs an empty one")
        counts = {table.name: _load_table(conn, zf, table, manifest, key) for table in tables}
        _rehash_phones(conn, manifest, signature)
        chain = audit.verify(conn, key=key)
        if not chain.intact and not trust_unsigned:
            raise BackupError(f"the backup's audit log does not verify with this key: {chain.reason}")
        reset_sequences(conn)
        if "text_term" in _added_since(manifest.get("revision")):  # a backup from before the term store
            from lib.text import index
            index.reindex(session=Session(bind=conn), missing_only=True)
        restored = Restored(counts, signature, _file_sha256(path), chain, without_users)
        if audit_as:
            _record(conn, restored, manifest, audit_as, audit_detail or {}, key)
    return restored


def check(path: str | Path, *, key: bytes | None = None, trust_unsigned: bool = False,
          without_users: bool = False) -> str:
    """What `load` checks first, before it touches any database: the signature's state, or BackupError."""
    zf, _manifest, signature = _open(path, key=key, trust_unsigned=trust_unsigned, without_users=without_users)
    zf.close()
    return signature


def _open(path: str | Path, *, key: bytes | None, trust_unsigned: bool,
          without_users: bool) -> tuple[zipfile.ZipFile, dict[str, Any], str]:
    try:
        zf = zipfile.ZipFile(path)
        body = zf.read("manifest.json")
        manifest = json.loads(body)
        signature = _checked_signature(zf, body, key)
    except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BackupError(f"not a backup file: {exc}") from exc
    if manifest.get("format") not in (FORMAT, UNSIGNED_FORMAT):
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    if signature != "verified" and not (trust_unsigned or without_users):
        raise BackupError(_UNTRUSTED[signature].format(here=key_id(key)) + " Nothing was restored; "
                          "--without-users restores all but the user accounts, --trust-unsigned everything.")
    return zf, manifest, signature


_UNTRUSTED = {
    "unsigned": "The backup is not signed (written before backups were signed, or its signature was removed): "
                "its user accounts and roles cannot be trusted.",
    "other_key": "The backup is signed with another key than this installation's (key id {here}): "
                 "give that key (restore --key-file, or CRHQ_BACKUP_KEY).",
    "unverified": "The backup's signature does not match its manifest: the file was altered after it was written.",
}


def _checked_signature(zf: zipfile.ZipFile, body: bytes, key: bytes | None) -> str:
    """Before anything is written: "verified", "unsigned", "other_key" or "unverified" (altered)."""
    if "manifest.sig" not in zf.namelist():
        return "unsigned"
    stored = json.loads(zf.read("manifest.sig"))
    expected = _signature(body, key)
    if hmac.compare_digest(str(stored.get("mac", "")), expected["mac"]):
        return "verified"
    return "other_key" if stored.get("key_id") != expected["key_id"] else "unverified"


def _check_revision(engine: Engine, manifest: dict[str, Any]) -> None:
    here, there = current_revision(engine), manifest.get("revision")
    if there == here:
        return
    # An unsigned backup from just before the audit chain: the one change is audit_log's two hash
    # columns, filled in on the way in (_load_table). It got here only with an explicit flag.
    chained_from = CHAINED_REVISION if (manifest.get("format"), there) == (UNSIGNED_FORMAT, UNCHAINED_REVISION) else there
    later = (CHAINED_REVISION, *ADDITIVE)
    if chained_from in later and here in later and later.index(chained_from) < later.index(here):
        return
    raise BackupError(f"backup is at schema {there}, this database at {here}: "
                      "run init-db with the matching version first")


def _load_table(conn: Connection, zf: zipfile.ZipFile, table, manifest: dict[str, Any], key: bytes | None) -> int:
    info = manifest["tables"].get(table.name)
    if info is None and table.name in _added_since(manifest.get("revision")):
        return 0  # a table a later additive migration created: empty in the restored database
    if info is None:
        raise BackupError(f"the backup has no table {table.name}")
    columns = [table.c[name] for name in info["columns"]]
    decode = [_decoder(c) for c in columns]
    # Audit rows from before the chain (format 1) are chained here, in id order, with this key.
    chain = table.name == "audit_log" and "row_hash" not in info["columns"]
    link = [audit.GENESIS, audit.chain_key(key)] if chain else None
    batch, n, raw = [], 0, hashlib.sha256()
    with zf.open(f"{table.name}.jsonl") as fh:
        for line in fh:
            raw.update(line)
            row = {c.name: d(v) for c, d, v in zip(columns, decode, json.loads(line), strict=True)}
            if link:
                row["prev_hash"], row["row_hash"] = link[0], audit.row_hash(
                    link[1], link[0], row["id"], row["at"], row["actor"], row["action"], row["entity"],
                    row["entity_id"], row["detail"])
                link[0] = row["row_hash"]
            batch.append(row)
            n += 1
            if len(batch) >= BATCH:
                conn.execute(table.insert(), batch)
                batch = []
    if batch:
        conn.execute(table.insert(), batch)
    # The file's bytes, and the rows as the database gives them back, both match the manifest.
    rows, digest = table_digest(conn, table, columns)
    if (n, rows, raw.hexdigest(), digest) != (info["rows"], info["rows"], info["sha256"], info["sha256"]):
        raise BackupError(f"table {table.name} does not match its checksum: the file is damaged")
    return rows


def _rehash_phones(conn: Connection, manifest: dict[str, Any], signature: str) -> None:
    """Complaints' keyed phone hashes (issue #26) hold only under the key they were made with: a backup
    from before 0013 has none, and one not verified with this installation's key may have another's.
    Recomputed here with this installation's key, after the checksums were verified."""
    from lib.services.phone_hash import rehash

    columns = manifest["tables"].get("complaint", {}).get("columns", [])
    if "phone_hash" in columns and signature == "verified":
        return
    session = Session(bind=conn)
    rehash(session=session, only_missing="phone_hash" not in columns)
    session.flush()
    session.close()


def _added_since(revision: str | None) -> set[str]:
    """Tables that the additive migrations after `revision` created."""
    created = {"0008": {t.name for t in _tables() if t.name.startswith("notify_")},
               "0009": {"check_sample", "check_result"},
               "0010": {"typical_case", "typical_case_tag", "typical_case_action", "unit_report"},
               "0011": {"followup_task"}, "0012": {"text_term"}}
    return set().union(*(tables for rev, tables in created.items() if revision is None or rev > revision))


def _file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _record(conn: Connection, restored: Restored, manifest: dict[str, Any], actor: str, extra: dict,
            key: bytes | None) -> None:
    session = Session(bind=conn)
    audit.record(session=session, actor=actor, action="restore", entity="backup", detail={
        **extra, "file_sha256": restored.file_sha256, "signature": restored.signature,
        "format": manifest.get("format"), "revision": manifest.get("revision"),
        "without_users": restored.without_users, "rows": sum(restored.counts.values()), "tables": restored.counts,
        "audit_chain": "intact" if restored.chain.intact else f"broken at row {restored.chain.broken_id}"},
        key=key)
    session.close()
