"""The append-only audit log: one insert per event, chained by hash; nothing in the code updates or deletes it.

The database refuses UPDATE, DELETE and (PostgreSQL) TRUNCATE on audit_log. Against someone who
can get past that (a superuser disabling the triggers, raw SQL on the SQLite file), every row carries
``prev_hash`` (the previous row's ``row_hash``) and ``row_hash`` = HMAC-SHA256 over ``prev_hash`` and
the canonical JSON of (id, at, actor, action, entity, entity_id, detail), keyed by the server's
backup key (lib.config.backup_key), which is not in the database. `verify` walks the chain in id
order and names the first row that was changed, inserted, or follows a removed row. Removing rows
from the end leaves a valid, shorter chain: compare the head `verify` prints with one noted earlier
(every backup's manifest records it).
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import String, func, select, text, type_coerce
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from lib.config import backup_key
from lib.db import BUSINESS_TZ, utcnow
from lib.i18n import STRINGS, t
from lib.models import AuditLog

GENESIS = "0" * 64  # the prev_hash of the first row
CHAIN_LOCK = 0x6372687161756474  # PostgreSQL advisory lock id ("crhqaudt") serialising chain writers
# The last row's hash and the next id, in one statement.
_LAST_AND_NEXT = text("SELECT (SELECT row_hash FROM audit_log ORDER BY id DESC LIMIT 1), "
                      "nextval(pg_get_serial_sequence('audit_log', 'id'))")
CHAIN_COLUMNS = (AuditLog.id, AuditLog.actor, AuditLog.action, AuditLog.entity,
                 AuditLog.entity_id, AuditLog.detail, AuditLog.prev_hash, AuditLog.row_hash)


def chain_key(key: bytes | None = None) -> bytes:
    """The chain's own key, derived from the backup key so one secret serves both and neither MAC
    can be replayed as the other."""
    return hmac.new(key or backup_key(), b"crhq audit chain v1", hashlib.sha256).digest()


def _stamp(at: datetime | str | None) -> str | None:
    """`at` as the chain hashes it. SQLite hands back its text (read raw, so a value no date parser
    takes is a broken row, not a crash); PostgreSQL a datetime."""
    if isinstance(at, str):
        try:
            at = datetime.fromisoformat(at)
        except ValueError:
            return at
    return None if at is None else at.isoformat(sep=" ", timespec="microseconds")


def row_hash(key: bytes, prev_hash: str | None, id: int, at: datetime | str | None, actor: str | None,
             action: str | None, entity: str | None, entity_id: str | None, detail: str | None) -> str:
    """HMAC-SHA256 (hex) of a row's values after the previous row's hash; `key` from chain_key()."""
    body = json.dumps([id, _stamp(at), actor, action, entity, entity_id, detail], ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, f"{prev_hash or ''}{body}".encode(), hashlib.sha256).hexdigest()


def record(
    *, session: Session, actor: str, action: str, entity: str | None = None,
    entity_id: str | int | None = None, detail: dict | None = None, key: bytes | None = None,
) -> None:
    """Append one event to the chain; `key` only where a restore was given a key of its own."""
    key = chain_key(key)
    # This transaction's other writes first: they take their row locks before the chain's lock, which
    # is then the last lock taken and held only until commit (no lock-order deadlock with a writer
    # that holds those rows and waits for the chain).
    session.flush()
    row = AuditLog(
        actor=actor or "anonymous",
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
    )
    _link(session, row, key)
    session.add(row)
    session.flush()


def _link(session: Session, row: AuditLog, key: bytes) -> None:
    """Give `row` its id, time and hashes after the last row, under a lock that keeps one chain."""
    conn = session.connection()
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        # Held to the end of the transaction: the next writer reads this row as its previous one.
        # (Read committed, PostgreSQL's default: the read below sees what the last holder committed.)
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK})
        # The previous hash and the new id in one round trip (the lock cannot share it: a statement
        # reads from the snapshot taken when it began, before the lock was granted).
        prev, row.id = conn.execute(_LAST_AND_NEXT).one()
    else:
        # SQLite: write transactions begin IMMEDIATE (lib.db), one at a time; WAL refuses a stale writer.
        last = conn.execute(select(AuditLog.id, AuditLog.row_hash).order_by(AuditLog.id.desc()).limit(1)).first()
        prev, row.id = (last.row_hash, last.id + 1) if last else (None, 1)
    row.at = utcnow()
    row.prev_hash = prev or GENESIS  # (a last row without a hash is named by verify before this one)
    row.row_hash = row_hash(key, row.prev_hash, row.id, row.at, row.actor, row.action, row.entity,
                            row.entity_id, row.detail)


@dataclass(frozen=True)
class ChainReport:
    rows: int
    head_id: int | None  # the last row's id and hash: a later verify must still find them
    head_hash: str | None
    broken_id: int | None = None  # the first row that does not verify
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_id is None


def verify(conn: Connection, *, key: bytes | None = None) -> ChainReport:
    """Walk the chain in id order; stop at the first row whose link or hash is wrong."""
    key = chain_key(key)
    expected, previous_id, n = GENESIS, None, 0
    at = type_coerce(AuditLog.at, String) if conn.dialect.name == "sqlite" else AuditLog.at
    stmt = select(*CHAIN_COLUMNS, at.label("at")).order_by(AuditLog.id)
    rows = conn.execute(stmt, execution_options={"yield_per": 5000})  # streamed; the connection unchanged
    for r in rows:
        if r.prev_hash != expected:
            after = "the start of the log" if previous_id is None else f"row {previous_id}"
            gap = range((previous_id or 0) + 1, r.id)
            missing = f" (missing id {gap[0]}{'' if len(gap) == 1 else f'..{gap[-1]}'})" if gap else ""
            return ChainReport(n, previous_id, expected, r.id,
                               f"row {r.id} does not follow {after}: a row between them was removed{missing}, "
                               "or this row was inserted or re-linked")
        if not hmac.compare_digest(r.row_hash or "", row_hash(key, r.prev_hash, r.id, r.at, r.actor, r.action,
                                                               r.entity, r.entity_id, r.detail)):
            return ChainReport(n, previous_id, expected, r.id,
                               f"row {r.id} does not match its hash: it was changed, or inserted without the key "
                               "(or the log was written with another CRHQ_BACKUP_KEY)")
        expected, previous_id, n = r.row_hash, r.id, n + 1
    return ChainReport(n, previous_id, None if previous_id is None else expected)


def head(conn: Connection) -> dict[str, object] | None:
    """The last row's id and hash (what a later verify must still find), or None for an empty log."""
    last = conn.execute(select(AuditLog.id, AuditLog.row_hash).order_by(AuditLog.id.desc()).limit(1)).first()
    return None if last is None else {"id": last.id, "row_hash": last.row_hash,
                                      "rows": conn.scalar(select(func.count()).select_from(AuditLog))}


def search(
    *, session: Session, actor: str | None = None, action: str | None = None,
    start: date | None = None, end: date | None = None, limit: int = 500, business_dates: bool = False,
) -> pd.DataFrame:
    """Newest first. `start`/`end` are UTC dates (the stored clock), or with `business_dates` days of
    the business calendar (Asia/Shanghai): 1 December then runs from 30 November 16:00 UTC."""
    stmt = select(AuditLog.at, AuditLog.actor, AuditLog.action, AuditLog.entity,
                  AuditLog.entity_id, AuditLog.detail).order_by(AuditLog.id.desc()).limit(limit)
    if actor:
        stmt = stmt.where(AuditLog.actor == actor)
    if action:
        stmt = stmt.where(AuditLog.action == action)
    shift = _utc_offset if business_dates else (lambda moment: moment)
    if start:
        stmt = stmt.where(AuditLog.at >= shift(datetime.combine(start, datetime.min.time())))
    if end:
        stmt = stmt.where(AuditLog.at < shift(datetime.combine(end, datetime.min.time()) + pd.Timedelta(days=1)))
    rows = session.execute(stmt).all()
    return pd.DataFrame(rows, columns=["at", "actor", "action", "entity", "entity_id", "detail"])


def actions(*, session: Session) -> list[str]:
    return list(session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)))


# ---- presentation: what a reader sees of the log, in their language and in business time ----------------
def _utc_offset(local: datetime) -> datetime:
    """A naive business-time moment as the naive UTC the log stores."""
    return local.replace(tzinfo=BUSINESS_TZ).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def to_business_time(values) -> pd.Series:
    """Naive UTC stamps (audit, users' created_at) as naive business time (Asia/Shanghai), to the second."""
    stamps = pd.to_datetime(pd.Series(values, dtype="object"), errors="coerce")
    return stamps.dt.tz_localize("UTC").dt.tz_convert(BUSINESS_TZ).dt.tz_localize(None).dt.floor("s")


def action_label(code: str | None, lang: str) -> str:
    """An audit action in words; complaint_… and issue_… name the record's own history event."""
    code = str(code or "")
    if f"aud_act_{code}" in STRINGS:
        return t(f"aud_act_{code}", lang)
    for prefix, kind, events in (("complaint_", "aud_complaint", "event_"), ("issue_", "aud_issue", "iev_")):
        if code.startswith(prefix) and f"{events}{code[len(prefix):]}" in STRINGS:
            return f"{t(kind, lang)}：{t(events + code[len(prefix):], lang)}" if lang == "zh" else \
                f"{t(kind, lang)}: {t(events + code[len(prefix):], lang)}"
    return code


def entity_label(code: str | None, lang: str) -> str:
    code = str(code or "")
    return t(f"aud_ent_{code}", lang) if f"aud_ent_{code}" in STRINGS else code


# Fields of a record's history whose values are vocabulary codes (shown as their labels).
FIELD_VOCAB = {
    "complaint": {"status": "complaint_status", "channel": "channel", "business_line": "business_line",
                  "category": "category", "severity": "severity", "escalation_level": "escalation_level"},
    "issue": {"status": "issue_status", "category": "category", "responsible_party": "responsible_party"},
}
RECORD_OF_ENTITY = {"complaint": "complaint", "supervisor_issue": "issue"}
_FLAGS = {"responsible", "active"}


def field_label(field: str, lang: str, record: str = "complaint") -> str:
    """A history field's name in words: the record's own column header, else the common one."""
    for name in ((f"iss_col_{field}", f"col_{field}") if record == "issue" else (f"col_{field}", f"iss_col_{field}")):
        if name in STRINGS:
            return t(name, lang)
    return _key_text(field, lang)


def change_value(field: str, value: object, lang: str, record: str = "complaint") -> str:
    """One side of a change as a reader sees it: a code as its label, a flag as 是/否, nothing as —."""
    from lib.vocab import label

    if value is None or value == "":
        return "—"
    vocabulary = FIELD_VOCAB.get(record, {}).get(field)
    if vocabulary:
        return label(vocabulary, str(value), lang)
    if field in _FLAGS and str(value) in ("True", "False", "true", "false", "1", "0"):
        return t("yes" if str(value) in ("True", "true", "1") else "no", lang)
    return str(value)


def changes_text(changes: dict, lang: str, record: str = "complaint", shown=None) -> str:
    """{"status": ["received", "in_progress"]} → "状态：已受理 → 处理中" (one change per part, "；")."""
    shown = shown or (lambda field, value: change_value(field, value, lang, record))
    colon, sep = ("：", "；") if lang == "zh" else (": ", "; ")
    parts = []
    for field, pair in changes.items():
        old, new = pair if isinstance(pair, (list, tuple)) and len(pair) == 2 else (None, pair)
        parts.append(f"{field_label(field, lang, record)}{colon}{shown(field, old)} → {shown(field, new)}")
    return sep.join(parts)


def _value_text(value: object, lang: str) -> str:
    from lib.vocab import label

    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return t("yes" if value else "no", lang)
    if isinstance(value, list):
        return ("、" if lang == "zh" else ", ").join(_value_text(v, lang) for v in value)
    if isinstance(value, dict):
        return detail_text(value, lang)
    if value == "group":
        return t("scope_group", lang)
    if value in _ROLES:
        return label("role", value, lang)
    return str(value)


def _key_text(key: str, lang: str) -> str:
    for name in (f"aud_key_{key}", f"col_{key}"):
        if name in STRINGS:
            return t(name, lang)
    return key


def detail_text(detail: object, lang: str, entity: str | None = None) -> str:
    """An entry's JSON detail as "名称: 值 | …" in the reader's language; a record's changes as
    "字段：旧 → 新" with codes as labels. Plain text (tables never render HTML); a detail that is not
    JSON shows as stored."""
    if detail is None or (isinstance(detail, float) and pd.isna(detail)) or detail == "":
        return ""
    data = detail
    if isinstance(detail, str):
        try:
            data = json.loads(detail)
        except ValueError:
            return detail
    if not isinstance(data, dict):
        return _value_text(data, lang)
    record = RECORD_OF_ENTITY.get(entity or "", "complaint")
    colon = "：" if lang == "zh" else ": "
    parts = []
    for key, value in data.items():
        if key == "changes" and isinstance(value, dict):
            parts.append(changes_text(value, lang, record) if value else f"{_key_text(key, lang)}{colon}—")
        else:
            parts.append(f"{_key_text(key, lang)}{colon}{_value_text(value, lang)}")
    return " | ".join(parts)


def present(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The log as a reader sees it: business time (the header says so, once), actions, objects and
    details in words, headers in the reader's language."""
    shown = pd.DataFrame({
        t("at_business", lang): to_business_time(frame["at"]),
        t("actor", lang): frame["actor"],
        t("action", lang): [action_label(a, lang) for a in frame["action"]],
        t("entity", lang): [entity_label(e, lang) for e in frame["entity"]],
        # A login or an export has no object number: blank, not "None".
        t("entity_id", lang): ["" if pd.isna(v) else str(v) for v in frame["entity_id"]],
        t("detail", lang): [detail_text(d, lang, e) for d, e in zip(frame["detail"], frame["entity"], strict=True)],
    })
    return shown


_ROLES = ("executive", "staff", "admin")
