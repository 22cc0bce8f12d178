"""Accounts, login checks, session revocation, the append-only audit log and migrations."""
import json
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


def _login(engine, username, password, now=None):
    # The login form's own call: it commits what a refusal records in transactions of its own.
    return users.login(engine=engine, username=username, password=password, now=now)


def _failures(engine, username):
    with session_scope(engine) as session:
        return session.scalars(select(AuditLog.detail).where(
            AuditLog.action == "login_failed", AuditLog.entity_id == username).order_by(AuditLog.id)).all()


def _added(engine, **kwargs):
    with session_scope(engine) as session:
        _add(session, **kwargs)


def test_wrong_password_refused_and_audited(engine):
    _added(engine)
    with pytest.raises(LoginRefused) as exc:
        _login(engine, "alice", "wrong")
    assert exc.value.key == "err_login_failed"
    assert _failures(engine, "alice") == ['{"reason": "bad_credentials"}']  # outlived the refusal
    assert _login(engine, " Alice ", "correct-horse").role == "staff"
    with session_scope(engine) as session:
        assert "login" in session.scalars(select(AuditLog.action)).all()
        assert session.scalar(select(User.failed_attempts).where(User.username == "alice")) == 0


def test_disabled_unknown_and_locked_accounts_get_the_wrong_password_answer(engine):
    _added(engine)
    with session_scope(engine) as session:
        users.set_active(session=session, username="alice", active=False, actor="admin")
    keys = []
    for username, password in (("alice", "correct-horse"), ("alice", "wrong"), ("nobody", "x")):
        with pytest.raises(LoginRefused) as exc:
            _login(engine, username, password)
        keys.append((exc.value.key, exc.value.params))
    assert keys == [("err_login_failed", {"minutes": 15})] * 3
    assert [d for d in _failures(engine, "alice")] == ['{"reason": "disabled"}', '{"reason": "bad_credentials"}']
    assert _failures(engine, "nobody") == ['{"reason": "unknown_user"}']


def test_five_failures_lock_the_account(engine):
    _added(engine)
    now = utcnow()
    for _ in range(5):
        with pytest.raises(LoginRefused):
            _login(engine, "alice", "nope", now=now)
    with pytest.raises(LoginRefused) as exc:  # even the right password is refused while locked
        _login(engine, "alice", "correct-horse", now=now)
    assert exc.value.key == "err_login_failed"
    assert _failures(engine, "alice")[-1] == '{"reason": "locked"}'
    with session_scope(engine) as session:
        assert session.scalar(select(User.locked_until).where(User.username == "alice")) > now
    later = now + timedelta(minutes=users.LOCK_MINUTES + 1)
    assert _login(engine, "alice", "correct-horse", now=later)


def test_thirty_parallel_guesses_try_at_most_five_passwords(engine, monkeypatch):
    """Each guess is counted before its password is checked, so parallel guesses cannot all slip
    through before the first one is recorded (8, then 30 in parallel went unrecorded)."""
    from concurrent.futures import ThreadPoolExecutor

    _added(engine)
    checked = []
    real_check = users._check_password
    monkeypatch.setattr(users, "_check_password", lambda p, h: checked.append(p) or real_check(p, h))

    def guess(i):
        try:
            _login(engine, "alice", f"guess-{i}")
        except LoginRefused:
            return "refused"
        return "in"

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(guess, range(30)))
    assert answers == ["refused"] * 30
    reasons = [json.loads(d)["reason"] for d in _failures(engine, "alice")]
    assert len(reasons) == 30  # every guess audited
    assert reasons.count("bad_credentials") <= users.LOCK_AFTER
    with pytest.raises(LoginRefused):  # and now locked, the right password included
        _login(engine, "alice", "correct-horse")


def test_refusal_costs_the_same_whether_the_user_exists():
    """An unknown username used to answer in milliseconds (bcrypt skipped): enumerable."""
    import statistics
    import tempfile

    from lib.db import make_engine
    from lib.schema import init_db

    engine = make_engine(f"sqlite:///{tempfile.mkdtemp()}/t.db")
    init_db(engine)
    _added(engine)

    def cost(username):
        times = []
        for _ in range(2):
            started = time.perf_counter()
            with pytest.raises(LoginRefused):
                _login(engine, username, "wrong-one")
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    known, unknown = cost("alice"), cost("mallory")
    assert known > 0.05  # bcrypt at cost 12 ran
    assert 0.5 < unknown / known < 2.0


def test_slowdown_grows_with_failures():
    assert [users.failure_delay_seconds(n) for n in range(6)] == [0, 0, 0, 1, 2, 4]


def test_failures_counted_for_the_delay_are_the_same_for_unknown_and_known_names(engine):
    _added(engine)
    for username in ("alice", "mallory"):
        for _ in range(3):
            with pytest.raises(LoginRefused):
                _login(engine, username, "bad")
    with session_scope(engine) as session:
        counts = [users.recent_failures(session=session, username=u) for u in ("alice", "mallory")]
    assert counts == [3, 3]
    _login(engine, "alice", "correct-horse")  # a success starts the count afresh
    with session_scope(engine) as session:
        assert users.recent_failures(session=session, username="alice") == 0


@pytest.mark.parametrize("change", ["logout", "disable", "role", "password"])
def test_changes_revoke_sessions_issued_before_them(session, change):
    # users.session_is_valid is the rule lib/auth.py applies to the login cookie (_cookie_is_revoked),
    # to every run's session (current_user) and to row downloads (ui.row_export); the cookie path
    # itself, under AppTest, is tests/pages/test_cookie_path.py.
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
