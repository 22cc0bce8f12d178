"""Keyed hash of a complainant's phone (issue #26 repeat complainants): compared, stored, never shown.

HMAC-SHA256 over the phone's digits under a key derived from the installation's server secret (the
backup key: CRHQ_BACKUP_KEY, else data/.backup_key, never in the repository or in a backup), so a table
of hashes cannot be reversed by hashing every 11-digit number without that secret. The backup key is
the one secret that already follows the data (a restore to another server adopts it, see
`lib.cli._adopt_key_file`), so hashes stay comparable after a restore; `rehash` recomputes every row
when the key changed or a backup from before migration 0013 was restored.
"""
from __future__ import annotations

import hashlib
import hmac
import re

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from lib.config import backup_key

_NOT_DIGIT = re.compile(r"\D")


def phone_key(server_key: bytes | None = None) -> bytes:
    """The hashing key: its own derivation of the server secret (domain-separated from the audit chain's
    and the backup signature's)."""
    return hmac.new(server_key or backup_key(), b"crhq phone hash v1", hashlib.sha256).digest()


def normalised(phone: str | None) -> str | None:
    """Digits only, without the mainland country code: "+86 138-0013-8000" and "13800138000" match."""
    if not phone:
        return None
    digits = _NOT_DIGIT.sub("", str(phone))
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    elif len(digits) == 15 and digits.startswith("0086"):
        digits = digits[4:]
    return digits if len(digits) >= 5 else None


def phone_hash(phone: str | None, key: bytes | None = None) -> str | None:
    """64 hex characters, or None for a blank or unusable phone."""
    digits = normalised(phone)
    if digits is None:
        return None
    return hmac.new(key or phone_key(), digits.encode("ascii"), hashlib.sha256).hexdigest()


def hashes(phones: list[str | None], key: bytes | None = None) -> list[str | None]:
    key = key or phone_key()
    return [phone_hash(p, key) for p in phones]


def rehash(*, session: Session, only_missing: bool = False, key: bytes | None = None, batch: int = 5000) -> int:
    """Recompute the stored hash of every complaint (or of those with a phone and no hash). Returns how
    many rows changed."""
    from lib.models import Complaint

    table = Complaint.__table__
    where = [table.c.complainant_phone.is_not(None)]
    if only_missing:
        where.append(table.c.phone_hash.is_(None))
    rows = session.execute(select(table.c.id, table.c.complainant_phone, table.c.phone_hash)
                           .where(*where).order_by(table.c.id)).all()
    key = key or (phone_key() if rows else None)  # an empty table (a fresh install) needs no key yet
    updates = [{"b_id": r.id, "phone_hash": h} for r in rows if (h := phone_hash(r.complainant_phone, key)) != r.phone_hash]
    if not only_missing:  # a phone removed since: its hash goes too
        stale = session.execute(select(table.c.id).where(table.c.complainant_phone.is_(None),
                                                         table.c.phone_hash.is_not(None))).scalars().all()
        updates += [{"b_id": i, "phone_hash": None} for i in stale]
    stmt = table.update().where(table.c.id == bindparam("b_id")).values(phone_hash=bindparam("phone_hash"))
    for start in range(0, len(updates), batch):
        session.execute(stmt, updates[start:start + batch])
    return len(updates)
