"""Item 13: the audit log cannot be emptied, and a row removed, inserted (back-dated) or changed by
someone with database access, past the append-only triggers, is named by `python -m lib.cli audit verify`."""
from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from lib import cli, config
from lib.db import make_engine, session_scope
from lib.schema import _alembic_config
from lib.services import audit


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def verify_cli(engine, monkeypatch, capsys):
    """`python -m lib.cli audit verify` against the test database, as an admin runs it: (rc, output)."""
    monkeypatch.setenv("DATABASE_URL", _url(engine))
    config.get_settings.cache_clear()

    def run() -> tuple[int, str]:
        capsys.readouterr()
        rc = cli.main(["audit", "verify"])
        out = capsys.readouterr()
        return rc, out.out + out.err

    yield run
    config.get_settings.cache_clear()


def _events(engine, n: int) -> None:
    with session_scope(engine) as session:
        for i in range(n):
            audit.record(session=session, actor=f"user{i}", action="export", entity="complaint", detail={"rows": i})


class Attacker:
    """Raw SQL on the database, the append-only triggers set aside as a superuser (or the SQLite
    file's owner) can."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"

    def run(self, statement: str, **params) -> None:
        with self.engine.begin() as conn:
            if self.sqlite:
                conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
                conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
            else:
                conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            conn.execute(text(statement), params)
            if not self.sqlite:
                conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))

    def last(self) -> tuple[int, str]:
        with self.engine.connect() as conn:
            return tuple(conn.execute(text("SELECT id, row_hash FROM audit_log ORDER BY id DESC LIMIT 1")).one())


def test_truncate_is_refused_on_postgresql(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; DELETE FROM audit_log is refused (test_users_audit_schema)")
    _events(engine, 3)
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_log"))
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT COUNT(*) FROM audit_log")) == 3


def test_an_untouched_log_verifies(engine, verify_cli):
    _events(engine, 5)
    rc, out = verify_cli()
    assert rc == 0 and "audit chain intact: 5 rows" in out, out


def test_a_back_dated_raw_insert_is_named(engine, verify_cli):
    _events(engine, 4)
    with engine.begin() as conn:  # no trigger forbids an INSERT: the attacker's row, dated last year
        conn.execute(text("INSERT INTO audit_log (at, actor, action, entity) "
                          "VALUES ('2025-01-02 03:04:05', 'mallory', 'login', 'user')"))
    rc, out = verify_cli()
    assert rc == 1 and "row 5 does not follow row 4" in out, out


def test_an_inserted_row_with_a_recomputed_unkeyed_hash_is_named(engine, verify_cli):
    """The attacker links the row to the last one and hashes it the way the report suggested
    (plain SHA-256, no key): without the server's key the hash cannot be right."""
    _events(engine, 3)
    attacker = Attacker(engine)
    last_id, last_hash = attacker.last()
    stamp = "2025-06-01 00:00:00.000000"
    body = json.dumps([last_id + 1, stamp, "mallory", "user_role", "user", "mallory", None],
                      ensure_ascii=False, separators=(",", ":"))
    forged = hashlib.sha256((last_hash + body).encode()).hexdigest()
    attacker.run("INSERT INTO audit_log (id, at, actor, action, entity, entity_id, prev_hash, row_hash) "
                 "VALUES (:id, :at, 'mallory', 'user_role', 'user', 'mallory', :prev, :hash)",
                 id=last_id + 1, at=stamp, prev=last_hash, hash=forged)
    rc, out = verify_cli()
    assert rc == 1 and f"row {last_id + 1} does not match its hash" in out, out


def test_a_middle_row_removed_past_the_triggers_is_named(engine, verify_cli):
    _events(engine, 5)
    Attacker(engine).run("DELETE FROM audit_log WHERE id = 3")
    rc, out = verify_cli()
    assert rc == 1 and "row 4 does not follow row 2" in out and "missing id 3" in out, out


def test_a_row_changed_past_the_triggers_is_named(engine, verify_cli):
    _events(engine, 5)
    Attacker(engine).run("UPDATE audit_log SET actor = 'someone_else' WHERE id = 2")
    rc, out = verify_cli()
    assert rc == 1 and "row 2 does not match its hash" in out, out


def test_parallel_writers_keep_one_chain(engine, verify_cli):
    """Sessions in eight threads at once: each row still follows the one committed before it."""
    def write(worker: int) -> None:
        for i in range(15):
            with session_scope(engine) as session:
                audit.record(session=session, actor=f"w{worker}", action="view_saved", entity_id=i)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, range(8)))
    rc, out = verify_cli()
    assert rc == 0 and "120 rows" in out, out


def test_migration_chains_the_rows_written_before_it(engine, verify_cli):
    """A database at 0005 with audit rows (unchained) is upgraded: every row verifies, and the log is
    still append-only afterwards (the triggers set aside for the back-fill are back)."""
    url = _url(engine)
    engine.dispose()
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
    with engine.begin() as conn:
        for i in range(4):
            conn.execute(text("INSERT INTO audit_log (at, actor, action, detail) VALUES (:at, :actor, 'login', :d)"),
                         {"at": f"2025-03-0{i + 1} 08:00:00.00000{i}", "actor": f"old{i}", "d": '{"n": 1}'})
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    _events(make_engine(url), 1)  # and the chain goes on from the back-filled rows
    rc, out = verify_cli()
    assert rc == 0 and "5 rows" in out, out
    with pytest.raises(DBAPIError):
        with engine.begin() as conn:
            conn.execute(text("UPDATE audit_log SET actor = 'x' WHERE id = 1"))


def test_a_writer_waiting_for_the_chain_never_deadlocks_with_one_holding_its_rows(engine):
    """PostgreSQL: A changes a user (not flushed yet) and records; B already holds that user's row and
    records after A has begun waiting. The chain's lock is taken after the transaction's other writes,
    so A waits for B's row and B gets the chain: both commit (the other order was a deadlock)."""
    import threading
    import time

    from lib.models import User
    from lib.services import users

    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite writers wait at BEGIN IMMEDIATE, one at a time")
    with session_scope(engine) as session:
        users.add_user(session=session, username="shared", role="staff", name="S", password="long-pass-123")
    errors: list[BaseException] = []

    def a() -> None:
        try:
            with session_scope(engine) as session:
                session.scalars(select(User).where(User.username == "shared")).one().name = "by A"
                audit.record(session=session, actor="a", action="user_role")
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    with session_scope(engine) as b:
        b.scalars(select(User).where(User.username == "shared")).one().name = "by B"
        b.flush()  # B holds the row
        thread = threading.Thread(target=a)
        thread.start()
        time.sleep(0.5)  # A is waiting now
        audit.record(session=b, actor="b", action="user_role")
    thread.join(timeout=30)
    assert errors == []
    with engine.connect() as conn:
        assert audit.verify(conn).intact and audit.verify(conn).rows == 3
