"""User accounts: create, disable, role and password changes, login checks with lockout."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import bcrypt
import pandas as pd
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from lib.db import session_scope, utcnow
from lib.errors import DomainError, LoginRefused, NotFound, ValidationFailed
from lib.models import AuditLog, User
from lib.scope import GROUP_SCOPE, Scope
from lib.scope import parse as scope_parse
from lib.scope import validate as scope_validate
from lib.services import audit
from lib.vocab import ROLES

MIN_PASSWORD_LENGTH = 8
# Failed logins for one username: from the 3rd on each costs a growing delay, the 5th locks it.
SLOWDOWN_AFTER = 3
LOCK_AFTER = 5
LOCK_MINUTES = 15


@dataclass(frozen=True)
class UserInfo:
    username: str
    name: str
    role: str
    active: bool
    language: str
    sessions_valid_after: datetime
    scope: Scope = GROUP_SCOPE


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=12)).decode("ascii")


def _check_password(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode("utf-8"), hashed.encode("ascii"))
    except ValueError:
        return False


def _info(user: User) -> UserInfo:
    return UserInfo(user.username, user.name, user.role, user.active, user.language,
                    user.sessions_valid_after, _scope_of(user))


def _scope_of(user: User) -> Scope:
    """Admins always see the whole group (SPEC §11); a stored scope that no longer parses reads as
    nothing rather than everything."""
    if user.role == "admin":
        return GROUP_SCOPE
    try:
        return scope_parse(user.scope)
    except DomainError:
        return Scope(companies=("\x00",))


def _get(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound("err_user_not_found", username=username)
    return user


def _validate(username: str, role: str, password: str) -> None:
    if not username or not username.replace("_", "").replace(".", "").isalnum() or len(username) > 64:
        raise ValidationFailed("err_username_invalid")
    if role not in ROLES:
        raise ValidationFailed("err_role_invalid", role=role)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed("err_password_short", n=MIN_PASSWORD_LENGTH)


def add_user(*, session: Session, username: str, role: str, name: str, password: str,
             actor: str = "system", language: str = "zh", scope: Scope = GROUP_SCOPE) -> UserInfo:
    username = username.strip().lower()
    _validate(username, role, password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValidationFailed("err_user_exists", username=username)
    _check_scope(session, role, scope)
    user = User(username=username, name=name.strip() or username, role=role,
                password_hash=hash_password(password), active=True, language=language,
                sessions_valid_after=utcnow(), scope=scope.as_text())
    session.add(user)
    session.flush()
    audit.record(session=session, actor=actor, action="user_add", entity="user",
                 entity_id=username, detail={"role": role, "scope": scope.entries() or ["group"]})
    return _info(user)


def get_user(*, session: Session, username: str) -> UserInfo | None:
    user = session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    return None if user is None else _info(user)


def list_users(*, session: Session) -> pd.DataFrame:
    rows = session.execute(
        select(User.username, User.name, User.role, User.scope, User.active, User.language,
               User.locked_until, User.created_at).order_by(User.username)
    ).all()
    frame = pd.DataFrame(rows, columns=["username", "name", "role", "scope", "active", "language",
                                        "locked_until", "created_at"])
    frame["scope"] = [s.replace("\n", "; ") if r != "admin" else "group" for s, r in zip(frame["scope"], frame["role"],
                                                                                      strict=True)]
    return frame


def active_credentials(*, session: Session) -> dict[str, dict]:
    """Active users in the shape streamlit-authenticator expects (bcrypt hashes, one role)."""
    rows = session.execute(select(User.username, User.name, User.role, User.password_hash)
                           .where(User.active.is_(True))).all()
    return {u: {"name": n, "password": h, "email": "", "roles": [r]} for u, n, r, h in rows}


def active_scopes(*, session: Session) -> list[str]:
    """The distinct scopes (as text) of active users, the group first: the views to warm at start (#23)."""
    found = {_scope_of(u).as_text() for u in session.scalars(select(User).where(User.active.is_(True)))}
    return sorted(found, key=lambda text: (text != GROUP_SCOPE.as_text(), text))


def count_users(*, session: Session) -> int:
    return session.scalar(select(func.count(User.id))) or 0


def _revoke_sessions(user: User) -> None:
    user.sessions_valid_after = utcnow()


def set_active(*, session: Session, username: str, active: bool, actor: str) -> None:
    if not active and actor == username:  # an admin would lock themself out (issue #23 item 13)
        raise ValidationFailed("err_cannot_disable_self")
    user = _get(session, username)
    user.active = active
    _revoke_sessions(user)
    audit.record(session=session, actor=actor, action="user_enable" if active else "user_disable",
                 entity="user", entity_id=user.username)


def set_role(*, session: Session, username: str, role: str, actor: str) -> None:
    if role not in ROLES:
        raise ValidationFailed("err_role_invalid", role=role)
    user = _get(session, username)
    if actor == username and role != user.role:  # an admin demoting themself loses the Admin page at once
        raise ValidationFailed("ux_err_own_role")
    old, user.role = user.role, role
    if role == "admin":
        user.scope = GROUP_SCOPE.as_text()
    _revoke_sessions(user)
    audit.record(session=session, actor=actor, action="user_role", entity="user",
                 entity_id=user.username, detail={"from": old, "to": role})


def _check_scope(session: Session, role: str, scope: Scope) -> None:
    if role == "admin" and not scope.is_group:
        raise ValidationFailed("err_scope_admin")
    scope_validate(scope, session=session)


def set_scope(*, session: Session, username: str, scope: Scope, actor: str) -> None:
    """A new organisation scope; like a role change it ends the user's sessions, and it is audited."""
    user = _get(session, username)
    _check_scope(session, user.role, scope)
    old = _scope_of(user)
    user.scope = scope.as_text()
    _revoke_sessions(user)
    audit.record(session=session, actor=actor, action="user_scope", entity="user", entity_id=user.username,
                 detail={"from": old.entries() or ["group"], "to": scope.entries() or ["group"]})


def reset_password(*, session: Session, username: str, password: str, actor: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed("err_password_short", n=MIN_PASSWORD_LENGTH)
    user = _get(session, username)
    user.password_hash = hash_password(password)
    user.failed_attempts = 0
    user.locked_until = None
    _revoke_sessions(user)
    audit.record(session=session, actor=actor, action="user_password_reset", entity="user",
                 entity_id=user.username)


def set_language(*, session: Session, username: str, language: str) -> None:
    user = _get(session, username)
    user.language = "en" if language == "en" else "zh"


def logout(*, session: Session, username: str) -> None:
    """Ends every session of the user: cookies issued before now stop working."""
    user = session.scalar(select(User).where(User.username == username))
    if user is not None:
        _revoke_sessions(user)
    audit.record(session=session, actor=username, action="logout", entity="user", entity_id=username)


def session_is_valid(info: UserInfo | None, issued_at: float) -> bool:
    """A session or cookie issued at `issued_at` (epoch s) still counts only if nothing revoked it."""
    if info is None or not info.active:
        return False
    return issued_at >= info.sessions_valid_after.replace(tzinfo=UTC).timestamp()


def failure_delay_seconds(failed_attempts: int) -> float:
    """Delay imposed before answering the next attempt: 0, then 1 s, 2 s, 4 s … (capped)."""
    if failed_attempts < SLOWDOWN_AFTER:
        return 0.0
    return float(min(2 ** (failed_attempts - SLOWDOWN_AFTER), 8))


# A hash of the same cost as real ones: an unknown username costs the same bcrypt check as a known
# one, so the answer's time does not tell whether the account exists. Written out, not computed at
# import (that cost every process importing this module 0.25-0.4 s, issue #27); of a random
# password nobody knows, so it matches nothing.
_DUMMY_HASH = "$2b$12$gyDZ5nUOIdZA2R4UrLijmuOznY1IFG80ucWC7AZ0.cRiJPJoySTB2"


def _login_name(username: str | None) -> str:
    return (username or "").strip().lower()[:64]


def recent_failures(*, session: Session, username: str, now: datetime | None = None) -> int:
    """Failed logins for `username` in the lock window since its last success, from the audit log:
    the same count whether or not the account exists (the delay must not reveal that)."""
    now = now or utcnow()
    name = _login_name(username)
    last_success = session.scalar(select(func.max(AuditLog.id)).where(
        AuditLog.action == "login", AuditLog.entity_id == name))
    stmt = select(func.count(AuditLog.id)).where(
        AuditLog.action == "login_failed", AuditLog.entity_id == name,
        AuditLog.at >= now - timedelta(minutes=LOCK_MINUTES))
    if last_success is not None:
        stmt = stmt.where(AuditLog.id > last_success)
    return session.scalar(stmt) or 0


def _claim_attempt(engine: Engine, name: str, now: datetime) -> tuple[User | None, bool]:
    """Counts the attempt before the password is checked, in its own committed transaction, so that
    parallel guesses each see the others: at most LOCK_AFTER passwords are ever tried per lock."""
    with session_scope(engine) as session:
        row = session.execute(
            update(User).where(User.username == name)
            .values(failed_attempts=User.failed_attempts + 1)
            .returning(User.id, User.failed_attempts, User.locked_until)).first()
        if row is None:
            return None, False
        user = session.get(User, row.id)
        locked = (row.locked_until is not None and row.locked_until > now) or row.failed_attempts > LOCK_AFTER
        if locked and (row.locked_until is None or row.locked_until <= now):
            # Parallel attempts past the limit: lock now, so the counter starts afresh afterwards.
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            user.failed_attempts = 0
            session.flush()
        session.expunge(user)
        return user, locked


def _refuse(engine: Engine, name: str, reason: str, *, lock: bool, now: datetime) -> LoginRefused:
    with session_scope(engine) as session:
        if lock:
            session.execute(update(User).where(User.username == name).values(
                locked_until=now + timedelta(minutes=LOCK_MINUTES), failed_attempts=0))
        audit.record(session=session, actor=name or "anonymous", action="login_failed", entity="user",
                     entity_id=name, detail={"reason": reason})
    # One message for every refusal: it must not tell an unknown, disabled or locked account from a
    # wrong password (the reason is in the audit log for the admin).
    return LoginRefused("err_login_failed", minutes=LOCK_MINUTES)


def login(*, engine: Engine, username: str, password: str, now: datetime | None = None) -> UserInfo:
    """The login form's check. Takes the engine, not a session, because what a refusal records (the
    attempt counter, the lock, the audit row) must be committed although the login fails; raises
    LoginRefused after committing it. Same cost and message whether the user exists or not."""
    now = now or utcnow()
    name = _login_name(username)
    user, locked = _claim_attempt(engine, name, now)
    password_ok = _check_password(password or "", user.password_hash if user else _DUMMY_HASH)
    if user is None:
        raise _refuse(engine, name, "unknown_user", lock=False, now=now)
    if locked:
        raise _refuse(engine, name, "locked", lock=False, now=now)
    if not password_ok or not user.active:
        reason = "bad_credentials" if not password_ok else "disabled"
        raise _refuse(engine, name, reason, lock=user.failed_attempts >= LOCK_AFTER, now=now)
    with session_scope(engine) as session:
        session.execute(update(User).where(User.id == user.id).values(failed_attempts=0, locked_until=None))
        audit.record(session=session, actor=name, action="login", entity="user", entity_id=name)
    return _info(user)
