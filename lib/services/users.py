"""User accounts: create, disable, role and password changes, login checks with lockout."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import bcrypt
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib.db import utcnow
from lib.errors import LoginRefused, NotFound, ValidationFailed
from lib.models import User
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


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=12)).decode("ascii")


def _check_password(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode("utf-8"), hashed.encode("ascii"))
    except ValueError:
        return False


def _info(user: User) -> UserInfo:
    return UserInfo(user.username, user.name, user.role, user.active, user.language,
                    user.sessions_valid_after)


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
             actor: str = "system", language: str = "zh") -> UserInfo:
    username = username.strip().lower()
    _validate(username, role, password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValidationFailed("err_user_exists", username=username)
    user = User(username=username, name=name.strip() or username, role=role,
                password_hash=hash_password(password), active=True, language=language,
                sessions_valid_after=utcnow())
    session.add(user)
    session.flush()
    audit.record(session=session, actor=actor, action="user_add", entity="user",
                 entity_id=username, detail={"role": role})
    return _info(user)


def get_user(*, session: Session, username: str) -> UserInfo | None:
    user = session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    return None if user is None else _info(user)


def list_users(*, session: Session) -> pd.DataFrame:
    rows = session.execute(
        select(User.username, User.name, User.role, User.active, User.language,
               User.locked_until, User.created_at).order_by(User.username)
    ).all()
    return pd.DataFrame(rows, columns=["username", "name", "role", "active", "language",
                                       "locked_until", "created_at"])


def active_credentials(*, session: Session) -> dict[str, dict]:
    """Active users in the shape streamlit-authenticator expects (bcrypt hashes, one role)."""
    rows = session.execute(select(User.username, User.name, User.role, User.password_hash)
                           .where(User.active.is_(True))).all()
    return {u: {"name": n, "password": h, "email": "", "roles": [r]} for u, n, r, h in rows}


def count_users(*, session: Session) -> int:
    return session.scalar(select(func.count(User.id))) or 0


def _revoke_sessions(user: User) -> None:
    user.sessions_valid_after = utcnow()


def set_active(*, session: Session, username: str, active: bool, actor: str) -> None:
    user = _get(session, username)
    user.active = active
    _revoke_sessions(user)
    audit.record(session=session, actor=actor, action="user_enable" if active else "user_disable",
                 entity="user", entity_id=user.username)


def set_role(*, session: Session, username: str, role: str, actor: str) -> None:
    if role not in ROLES:
        raise ValidationFailed("err_role_invalid", role=role)
    user = _get(session, username)
    old, user.role = user.role, role
    _revoke_sessions(user)
    audit.record(session=session, actor=actor, action="user_role", entity="user",
                 entity_id=user.username, detail={"from": old, "to": role})


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


def authenticate(*, session: Session, username: str, password: str,
                 now: datetime | None = None) -> UserInfo:
    """Checks a password login; raises LoginRefused with the reason's i18n key. Audited."""
    now = now or utcnow()
    username = (username or "").strip().lower()
    user = session.scalar(select(User).where(User.username == username))
    if user is not None and user.locked_until is not None and user.locked_until > now:
        audit.record(session=session, actor=username, action="login_failed", entity="user",
                     entity_id=username, detail={"reason": "locked"})
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise LoginRefused("err_login_locked", minutes=minutes)
    if user is None or not _check_password(password or "", user.password_hash):
        if user is not None:
            user.failed_attempts += 1
            if user.failed_attempts >= LOCK_AFTER:
                user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
                user.failed_attempts = 0
        audit.record(session=session, actor=username or "anonymous", action="login_failed",
                     entity="user", entity_id=username, detail={"reason": "bad_credentials"})
        raise LoginRefused("err_login_failed")
    if not user.active:
        audit.record(session=session, actor=username, action="login_failed", entity="user",
                     entity_id=username, detail={"reason": "disabled"})
        raise LoginRefused("err_login_disabled")
    user.failed_attempts = 0
    user.locked_until = None
    audit.record(session=session, actor=username, action="login", entity="user", entity_id=username)
    return _info(user)


def failed_attempts(*, session: Session, username: str) -> int:
    return session.scalar(select(User.failed_attempts).where(
        User.username == (username or "").strip().lower())) or 0
