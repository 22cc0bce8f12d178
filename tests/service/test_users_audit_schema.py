"""Accounts, login checks, session revocation, the append-only audit log and migrations."""
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from lib.db import session_scope, utcnow
from lib.errors import LoginRefused, ValidationFailed
from lib.models import AuditLog, User
from lib.schema import current_revision, head_revision, init_db
from lib.services import audit, users


def _add(session, username="alice", role="staff", password="correct-horse"):
    return users.add_user(session=session, username=username, role=role, name="Alice", password=password)


def test_password_is_stored_as_bcrypt_hash(session):
    _add(session)
    stored = session.scalar(select(User.password_hash).where(User.username == "alice"))
    assert stored.startswith("$2b$") and "correct-horse" not in stored


def test_wrong_password_refused_and_audited(session):
    _add(session)
    with pytest.raises(LoginRefused) as exc:
        users.authenticate(session=session, username="alice", password="wrong")
    assert exc.value.key == "err_login_failed"
    actions = [a for (a,) in session.execute(select(AuditLog.action)).all()]
    assert "login_failed" in actions
    assert users.authenticate(session=session, username=" Alice ", password="correct-horse").role == "staff"
    assert "login" in [a for (a,) in session.execute(select(AuditLog.action)).all()]


def test_disabled_user_cannot_log_in(session):
    _add(session)
    users.set_active(session=session, username="alice", active=False, actor="admin")
    with pytest.raises(LoginRefused) as exc:
        users.authenticate(session=session, username="alice", password="correct-horse")
    assert exc.value.key == "err_login_disabled"


def test_five_failures_lock_the_account(session):
    _add(session)
    now = utcnow()
    for _ in range(5):
        with pytest.raises(LoginRefused):
            users.authenticate(session=session, username="alice", password="nope", now=now)
    with pytest.raises(LoginRefused) as exc:  # even the right password is refused while locked
        users.authenticate(session=session, username="alice", password="correct-horse", now=now)
    assert exc.value.key == "err_login_locked"
    later = now + timedelta(minutes=users.LOCK_MINUTES + 1)
    assert users.authenticate(session=session, username="alice", password="correct-horse", now=later)


def test_slowdown_grows_with_failures():
    assert [users.failure_delay_seconds(n) for n in range(6)] == [0, 0, 0, 1, 2, 4]


@pytest.mark.parametrize("change", ["logout", "disable", "role", "password"])
def test_changes_revoke_sessions_issued_before_them(session, change):
    _add(session)
    issued = time.time()  # a login right after the account was created
    time.sleep(0.01)
    assert users.session_is_valid(users.get_user(session=session, username="alice"), issued)
    if change == "logout":
        users.logout(session=session, username="alice")
    elif change == "disable":
        users.set_active(session=session, username="alice", active=False, actor="admin")
    elif change == "role":
        users.set_role(session=session, username="alice", role="executive", actor="admin")
    else:
        users.reset_password(session=session, username="alice", password="new-password-1", actor="admin")
    info = users.get_user(session=session, username="alice")
    assert not users.session_is_valid(info, issued)
    if change != "disable":
        assert users.session_is_valid(info, time.time() + 1)  # a fresh login works again


@pytest.mark.parametrize(("username", "role", "password", "key"), [
    ("bad name", "staff", "long-enough", "err_username_invalid"),
    ("bob", "boss", "long-enough", "err_role_invalid"),
    ("bob", "staff", "short", "err_password_short"),
])
def test_invalid_users_refused(session, username, role, password, key):
    with pytest.raises(ValidationFailed) as exc:
        users.add_user(session=session, username=username, role=role, name="x", password=password)
    assert exc.value.key == key


def test_audit_log_is_append_only_in_the_database(engine):
    with session_scope(engine) as session:
        audit.record(session=session, actor="alice", action="export", entity="complaint")
    for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError):
            with engine.begin() as conn:
                conn.execute(text(statement))
    with session_scope(engine) as session:
        assert session.scalar(select(AuditLog.actor)) == "alice"


def test_init_db_is_idempotent(engine):
    assert current_revision(engine) == head_revision()
    assert init_db(engine) == head_revision()
    assert init_db(engine) == head_revision()
