"""The outbox: rows inserted once per (event, record, recipient, channel), claimed by a committed state
transition (pending → sending), marked sent or retried with backoff, failed after the last attempt.

Claiming: PostgreSQL locks the chosen rows `FOR UPDATE SKIP LOCKED`, so two runs never wait on or take
the same row; SQLite serialises writers (BEGIN IMMEDIATE) and the UPDATE re-checks the row's state. A run
killed after claiming leaves rows in `sending`: they are taken again once their lease runs out, or at
once when the claimer was a process on this machine that no longer exists.
"""
from __future__ import annotations

import json
import os
import socket
import uuid
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import and_, false, func, or_, select, tuple_, update
from sqlalchemy.orm import Session

from lib.db import is_sqlite, utcnow
from lib.models import NotifyMark, NotifyOutbox

MAX_ATTEMPTS = int(os.environ.get("CRHQ_NOTIFY_MAX_ATTEMPTS", "5"))
BACKOFF_SECONDS = 60  # 1, 4, 16, 64 minutes …
LEASE_SECONDS = int(os.environ.get("CRHQ_NOTIFY_LEASE_SECONDS", "600"))
KEY = ("event", "record_key", "recipient", "channel")


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _insert(session: Session, table):
    if is_sqlite(session.get_bind()):
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    return insert(table)


def enqueue(rows: list[dict], *, session: Session) -> int:
    """Insert rows whose key is new; rows already there (another run, an earlier one) are left alone."""
    added = 0
    for i in range(0, len(rows), 400):
        stmt = _insert(session, NotifyOutbox).values(rows[i:i + 400]).on_conflict_do_nothing(index_elements=list(KEY))
        added += session.execute(stmt).rowcount or 0
    return added


def add_marks(keys: list[str], *, session: Session) -> None:
    if keys:
        session.execute(_insert(session, NotifyMark).values([{"key": k, "at": utcnow()} for k in keys])
                        .on_conflict_do_nothing(index_elements=["key"]))


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=BACKOFF_SECONDS * 4 ** max(0, attempts - 1))


def _dead_claimers(session: Session) -> list[str]:
    """Claimers on this machine whose process is gone (killed midway)."""
    host = socket.gethostname()
    dead = []
    for claimer in session.scalars(select(NotifyOutbox.claimed_by).where(NotifyOutbox.status == "sending").distinct()):
        name, _, rest = (claimer or "").partition(":")
        pid = rest.partition(":")[0]
        if name != host or not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            dead.append(claimer)
        except PermissionError:
            pass
    return dead


def claim(now: datetime, worker: str, channels: tuple[str, ...], *, session: Session, groups: int = 100) -> list[int]:
    """Take the deliverable rows of up to `groups` (recipient, channel) pairs for `worker` (committed by the
    caller's transaction): all of a pair's rows at once, so a storm for one recipient is one digest."""
    stale = utcnow() - timedelta(seconds=LEASE_SECONDS)
    dead = _dead_claimers(session)
    o = NotifyOutbox
    claimable = and_(o.channel.in_(channels), or_(
        and_(o.status == "pending", o.next_attempt_at <= now),
        and_(o.status == "sending", or_(o.claimed_at < stale, o.claimed_by.in_(dead) if dead else false()))))
    pairs = session.execute(select(o.recipient, o.channel).where(claimable).distinct()
                            .order_by(o.recipient, o.channel).limit(groups)).all()
    if not pairs:
        return []
    pick = select(o.id).where(claimable, tuple_(o.recipient, o.channel).in_([tuple(p) for p in pairs]))
    if not is_sqlite(session.get_bind()):
        pick = pick.with_for_update(skip_locked=True)
    stmt = (update(o).where(o.id.in_(pick.scalar_subquery()), claimable)
            .values(status="sending", claimed_by=worker, claimed_at=utcnow()).returning(o.id))
    return sorted(session.scalars(stmt).all())


def mark_sent(ids: list[int], worker: str, *, session: Session, digest_id: int | None = None,
              subject: str | None = None, body: str | None = None) -> int:
    """The rows were delivered (as one message when several): only while this worker still holds them."""
    o = NotifyOutbox
    done = session.execute(update(o).where(o.id.in_(ids), o.claimed_by == worker, o.status == "sending")
                           .values(status="sent", sent_at=utcnow(), last_error=None,
                                   digest_id=digest_id)).rowcount
    if digest_id is not None:
        session.execute(update(o).where(o.id == digest_id).values(digest_id=None, subject=subject, body=body, link="inbox"))
    return done


def mark_failed(ids: list[int], worker: str, now: datetime, error: str, *, session: Session) -> tuple[int, int]:
    """A failed attempt: back to pending after the backoff, or failed after the last one. (retrying, failed)"""
    o = NotifyOutbox
    rows = session.execute(select(o.id, o.attempts).where(o.id.in_(ids), o.claimed_by == worker,
                                                          o.status == "sending")).all()
    retry = failed = 0
    for row_id, attempts in rows:
        attempts += 1
        final = attempts >= MAX_ATTEMPTS
        session.execute(update(o).where(o.id == row_id).values(
            attempts=attempts, status="failed" if final else "pending", next_attempt_at=now + backoff(attempts),
            last_error=error[:2000], claimed_by=None))
        failed += final
        retry += not final
    return retry, failed


def deferred(now: datetime, *, session: Session) -> int:
    """Rows still to deliver after this run: waiting for a retry, or for a channel not configured yet."""
    return session.scalar(select(func.count()).select_from(NotifyOutbox).where(
        NotifyOutbox.status.in_(("pending", "sending")))) or 0


def rows(ids: list[int], *, session: Session) -> list[NotifyOutbox]:
    return list(session.scalars(select(NotifyOutbox).where(NotifyOutbox.id.in_(ids)).order_by(NotifyOutbox.id)))


# ---- reads for the inbox page -------------------------------------------------------------------
def inbox_frame(username: str, *, session: Session, unread_only: bool = False, limit: int = 200) -> pd.DataFrame:
    o = NotifyOutbox
    where = [o.recipient == username, o.channel == "inbox", o.status == "sent", o.digest_id.is_(None)]
    if unread_only:
        where.append(o.read_at.is_(None))
    found = session.execute(select(o.id, o.sent_at, o.event, o.subject, o.body, o.link, o.read_at)
                            .where(*where).order_by(o.id.desc()).limit(limit)).all()
    return pd.DataFrame(found, columns=["id", "at", "event", "subject", "body", "link", "read_at"])


def unread_count(username: str, *, session: Session) -> int:
    o = NotifyOutbox
    return session.scalar(select(func.count()).select_from(o).where(
        o.recipient == username, o.channel == "inbox", o.status == "sent", o.digest_id.is_(None),
        o.read_at.is_(None))) or 0


def mark_read(username: str, *, session: Session, ids: list[int] | None = None) -> int:
    o = NotifyOutbox
    where = [o.recipient == username, o.channel == "inbox", o.read_at.is_(None)]
    if ids is not None:
        where.append(o.id.in_(ids))
    return session.execute(update(o).where(*where).values(read_at=utcnow())).rowcount or 0


def failed_frame(*, session: Session, limit: int = 500) -> pd.DataFrame:
    o = NotifyOutbox
    found = session.execute(select(o.id, o.created_at, o.event, o.record_key, o.recipient, o.channel, o.attempts,
                                   o.last_error).where(o.status == "failed").order_by(o.id.desc()).limit(limit)).all()
    return pd.DataFrame(found, columns=["id", "created_at", "event", "record_key", "recipient", "channel", "attempts",
                                        "last_error"])


def retry_failed(now: datetime, *, session: Session, actor: str) -> int:
    from lib.services import audit
    o = NotifyOutbox
    n = session.execute(update(o).where(o.status == "failed").values(status="pending", attempts=0,
                                                                      next_attempt_at=now)).rowcount or 0
    if n:
        audit.record(session=session, actor=actor, action="notify_retry", entity="notify_outbox", detail={"rows": n})
    return n


def payload(row: NotifyOutbox) -> dict:
    return json.loads(row.payload) if row.payload else {}
